"""Celery entry points: the one task every job runs through, and the beat-driven
sweeper and clean-ups. The logic lives in ``runner`` and ``services``."""

from __future__ import annotations

import logging
import random
import time

from celery import shared_task
from celery.exceptions import Reject
from celery.signals import task_prerun, worker_init

logger = logging.getLogger(__name__)

# How long a worker waits before sending back a message it could not record because the
# database was unreachable: it comes back at once, so without a pause every worker would
# spin on it while the database restarts.
REQUEUE_PAUSE_SECONDS = (1.0, 3.0)


@shared_task(name="jobs.run_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> str:
    from .ledger import DatabaseUnavailable
    from .runner import run

    try:
        return run(job_id)
    except DatabaseUnavailable as error:
        # Nothing was recorded: acknowledging would lose the job until the sweep's
        # lost-message check; sending the message back runs it once the database is back.
        logger.warning(
            "Job %s goes back to the queue, the database is unreachable: %s", job_id, error
        )
        time.sleep(random.uniform(*REQUEUE_PAUSE_SECONDS))
        raise Reject(str(error), requeue=True) from error


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


@worker_init.connect
def _configure_worker(sender, **_):
    from .worker import configure

    configure(sender.pool_cls)


@task_prerun.connect
def _reconnect_after_an_outage(**_):
    """Celery keeps a task's database connection for the next task (``CELERY_DB_REUSE_MAX``)
    without looking at it; one that broke in a database restart would fail every later
    task with "the connection is closed". Checking costs nothing: psycopg knows."""
    from .ledger import drop_broken_connections

    drop_broken_connections()
