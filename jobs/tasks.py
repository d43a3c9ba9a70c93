"""Celery entry points: the one task every job runs through, and the beat-driven
sweeper and clean-ups. The logic lives in ``runner`` and ``services``."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init
from django.db.backends.signals import connection_created


@shared_task(name="jobs.run_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> str:
    from .runner import run

    return run(job_id)


@shared_task(name="jobs.sweep", ignore_result=True)
def sweep() -> dict:
    from .services import sweep as sweep_ledger

    return sweep_ledger()


@shared_task(name="jobs.remove_dead_duplicates", ignore_result=True)
def remove_dead_duplicates() -> int:
    from .services import remove_dead_duplicates as remove

    return remove()


@shared_task(name="jobs.purge_succeeded", ignore_result=True)
def purge_succeeded() -> int:
    from .services import purge_succeeded_jobs

    return purge_succeeded_jobs()


@worker_process_init.connect
def _worker_commits_asynchronously(**_):
    """Worker processes commit without waiting for the WAL flush (JOBS_WORKER_SYNCHRONOUS_COMMIT).

    Only a PostgreSQL crash can lose such a commit, and then it loses the last fraction of a
    second of them, oldest last: the same as the worker dying a moment earlier, which the
    ledger already recovers from (the job runs again). It halves the ledger's cost per job.
    """
    from django.conf import settings

    if getattr(settings, "JOBS_WORKER_SYNCHRONOUS_COMMIT", "on") == "off":
        connection_created.connect(_asynchronous_commit, weak=False)


def _asynchronous_commit(sender, connection, **_):
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
