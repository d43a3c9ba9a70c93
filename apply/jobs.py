"""The Apply jobs, on the job ledger (queue ``apply``), as Register's:

* ``apply.import_applications`` (``RecruitsApi::ImportApplicationsJob``, beat daily 01:00):
  for each configured year, every application changed since the last successful
  retrieval, one ``apply.import_application`` job each;
* ``apply.import_application`` (``RecruitsApi::ImportApplicationJob``): keep one;
* ``apply.create_trainees`` (``Trainees::CreateFromApplyJob``, beat daily 04:00): one
  ``apply.create_trainee`` job per importable application of the year whose provider
  has ``apply_sync_enabled``;
* ``apply.create_trainee`` (``Trainees::CreateFromApplicationJob``): make the draft trainee.

The two daily jobs do nothing while ``features.import_applications_from_apply`` is off.
Started from the console they carry the ``run_id`` of an :class:`~apply.models.ImportRun`,
which then lists every job they led to; the run's ``create_trainees`` waits until its
imports have ended, as the three hours between 01:00 and 04:00 do in Register.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.errors import Reschedule
from jobs.models import Job
from jobs.registry import job_type
from providers.models import Provider
from regsupport.config import settings as app_settings
from trainees.models import ApplyApplication

from . import creating, importing
from .models import ImportRun

logger = logging.getLogger(__name__)

IMPORT_APPLICATIONS = "apply.import_applications"
IMPORT_APPLICATION = "apply.import_application"
CREATE_TRAINEES = "apply.create_trainees"
CREATE_TRAINEE = "apply.create_trainee"
IMPORT_TYPES = (IMPORT_APPLICATIONS, IMPORT_APPLICATION)
# How often a run's create_trainees looks again whether its imports have ended.
WAIT_FOR_IMPORTS = timedelta(seconds=3)
FINISHED = (Job.State.SUCCEEDED, Job.State.DEAD, Job.State.DISCARDED)


def import_enabled() -> bool:
    return bool(app_settings.get("features.import_applications_from_apply", False))


def _link(run_id: int | None, jobs: list[Job]) -> None:
    if run_id is not None and jobs:
        ImportRun.jobs.through.objects.bulk_create(
            [ImportRun.jobs.through(importrun_id=run_id, job_id=job.pk) for job in jobs]
        )


@job_type(
    IMPORT_APPLICATIONS,
    label="Apply Import Applications",
    queue="apply",
    max_attempts=5,
    retry_base_seconds=60,
)
def import_applications(
    job,
    *,
    recruitment_cycle_years: list[int] | None = None,
    from_date: str | None = None,
    run_id: int | None = None,
) -> None:
    """``from_date`` (ISO 8601) replaces the last successful retrieval as ``changed_since``."""
    if not import_enabled():
        return
    for year in recruitment_cycle_years or importing.import_years():
        changed_since = parse_datetime(from_date) if from_date else None
        applications = importing.retrieve_applications(
            recruitment_cycle_year=year,
            changed_since=changed_since or importing.last_successful_sync(year),
        )
        with transaction.atomic():
            _link(
                run_id,
                [
                    import_application.enqueue(application_data=data, run_id=run_id)
                    for data in applications
                ],
            )
        logger.info("Apply %s: %s applications to import", year, len(applications))


@job_type(IMPORT_APPLICATION, label="Apply Import Application", queue="apply", max_attempts=3)
def import_application(job, *, application_data: dict[str, Any], run_id: int | None = None) -> None:
    importing.import_application(application_data)


@job_type(CREATE_TRAINEES, label="Apply Create Trainees", queue="apply", max_attempts=3)
def create_trainees(
    job, *, recruitment_cycle_year: int | None = None, run_id: int | None = None
) -> None:
    if not import_enabled():
        return
    if run_id is not None and imports_unfinished(run_id):
        raise Reschedule(
            run_after=timezone.now() + WAIT_FOR_IMPORTS, note="Waiting for the run's imports"
        )
    year = recruitment_cycle_year or importing.create_year()
    synced_codes = Provider.objects.filter(
        apply_sync_enabled=True, discarded_at__isnull=True
    ).values("code")
    application_ids = ApplyApplication.objects.filter(
        state=ApplyApplication.State.IMPORTABLE,
        recruitment_cycle_year=year,
        accredited_body_code__in=synced_codes,
    ).values_list("pk", flat=True)
    with transaction.atomic():
        _link(
            run_id,
            [
                create_trainee.enqueue(application_id=pk, run_id=run_id)
                for pk in application_ids.order_by("apply_id")
            ],
        )


@job_type(CREATE_TRAINEE, label="Apply Create Trainee", queue="apply", max_attempts=3)
def create_trainee(job, *, application_id: int, run_id: int | None = None) -> None:
    application = ApplyApplication.objects.filter(pk=application_id).first()
    if application is None:
        return
    creating.create_trainee_from_application(application)


def imports_unfinished(run_id: int) -> bool:
    return (
        Job.objects.filter(apply_runs=run_id, task_name__in=IMPORT_TYPES)
        .exclude(state__in=FINISHED)
        .exists()
    )
