"""Running one job in a worker: claim it, call its function, record the outcome."""

from __future__ import annotations

import logging
import time

from django.utils import timezone

from monitoring.events import job_finished
from regsupport.config import settings as app_settings

from . import ledger, registry
from .errors import Reschedule
from .models import Job
from .publish import publish

logger = logging.getLogger(__name__)


def run(job_id: int) -> str:
    """Run the job and say how it ended: "succeeded", "retrying", "dead", "rescheduled",
    "blocked", "not runnable", or ``ledger.NOT_RECORDED`` when another run finished it
    first. Raises ``ledger.DatabaseUnavailable`` when the database could not be reached,
    with nothing recorded: the job's message must go back to the broker."""
    claim = ledger.claim(job_id, ordered_types=sorted(registry.ordered_task_names()))
    if isinstance(claim, str):
        return claim
    started = time.perf_counter()
    try:
        outcome = _run_claimed(claim)
    except ledger.DatabaseUnavailable:
        ledger.abandon(claim)
        job_finished(claim, outcome="requeued", seconds=time.perf_counter() - started)
        raise
    job_finished(claim, outcome=outcome, seconds=time.perf_counter() - started)
    if outcome == ledger.NOT_RECORDED:
        logger.warning(
            "Job %s %s attempt %s: its outcome was not recorded, because the job was no "
            "longer waiting (now %s): another run finished it.",
            job_id,
            claim.task_name,
            claim.attempts,
            Job.objects.filter(pk=job_id).values_list("state", flat=True).first(),
        )
    return outcome


def _run_claimed(claim: Job) -> str:
    job_id, task_name = claim.pk, claim.task_name
    try:
        job_type = registry.get(task_name)
    except registry.UnknownJobType as exc:
        return ledger.fail(claim, ledger.parse_error(exc), retry_in=None)
    job = claim
    original_arguments = dict(job.arguments)
    try:
        job_type.func(job, **original_arguments)
    except Reschedule as reschedule:
        if not ledger.reschedule(
            claim, run_after=reschedule.run_after, note=reschedule.note, arguments=job.arguments
        ):
            return ledger.NOT_RECORDED
        delay = (reschedule.run_after - timezone.now()).total_seconds()
        publish(job_id, claim.queue, countdown=max(delay, 0.001))
        return "rescheduled"
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the ledger
        if ledger.connection_lost(exc):
            # Its own queries lost the database: like a worker dying, not the job failing.
            ledger.drop_broken_connections()
            raise ledger.DatabaseUnavailable(str(exc)) from exc
        error = ledger.parse_error(exc)
        retry_in = None
        if error.transient and claim.attempts < claim.max_attempts:
            scale = float(app_settings.get("jobs.retry_wait_scale", 1))
            retry_in = ledger.backoff_seconds(
                claim.attempts,
                base=job_type.retry_base_seconds * scale,
                cap=job_type.retry_max_seconds * scale,
            )
            if error.retry_after is not None:
                retry_in = max(retry_in, error.retry_after)
        state = ledger.fail(claim, error, retry_in=retry_in)
        if state == ledger.NOT_RECORDED:
            return state
        if retry_in is not None:
            publish(job_id, claim.queue, countdown=retry_in)
        logger.info("Job %s %s attempt %s failed: %s", job_id, task_name, claim.attempts, error)
        return state
    changed = job.arguments if job.arguments != original_arguments else None
    released = ledger.succeed(
        claim,
        arguments_changed=changed,
        release_next_of_trainee=job_type.ordered and claim.trainee_id is not None,
    )
    if released is None:
        return ledger.NOT_RECORDED
    for next_id, queue in released:
        publish(next_id, queue)
    return "succeeded"
