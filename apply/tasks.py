"""Beat's entry points for the two daily Apply jobs (Register's sidekiq-cron
``import_applications_from_apply`` at 01:00 and ``create_trainees_from_apply`` at 04:00).
Each only puts its job on the ledger; the job itself checks the feature flag, as
Register's do, so a flag turned on later needs no restart of beat."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction


@shared_task(name="apply.import_applications_from_apply", ignore_result=True)
def import_applications_from_apply() -> int:
    from .jobs import import_applications

    with transaction.atomic():
        return import_applications.enqueue().pk


@shared_task(name="apply.create_trainees_from_apply", ignore_result=True)
def create_trainees_from_apply() -> int:
    from .jobs import create_trainees

    with transaction.atomic():
        return create_trainees.enqueue().pk
