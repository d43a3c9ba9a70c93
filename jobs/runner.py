"""Running one job in a worker: claim it, call its function, record the outcome."""

from __future__ import annotations

import logging

from django.utils import timezone

from . import ledger, registry
from .errors import Reschedule
from .publish import publish

logger = logging.getLogger(__name__)


def run(job_id: int) -> str:
    claim = ledger.claim(job_id, ordered_types=sorted(registry.ordered_task_names()))
    if isinstance(claim, str):
        return claim
    task_name = claim.task_name
    try:
        job_type = registry.get(task_name)
    except registry.UnknownJobType as exc:
        ledger.fail(claim, ledger.parse_error(exc), retry_in=None)
        return "dead"
    job = claim
    original_arguments = dict(job.arguments)
    try:
        job_type.func(job, **original_arguments)
    except Reschedule as reschedule:
        ledger.reschedule(
            claim, run_after=reschedule.run_after, note=reschedule.note, arguments=job.arguments
        )
        delay = (reschedule.run_after - timezone.now()).total_seconds()
        publish(job_id, claim.queue, countdown=max(delay, 0.001))
        return "rescheduled"
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the ledger
        error = ledger.parse_error(exc)
        retry_in = None
        if error.transient and claim.attempts < claim.max_attempts:
            retry_in = ledger.backoff_seconds(
                claim.attempts, base=job_type.retry_base_seconds, cap=job_type.retry_max_seconds
            )
        state = ledger.fail(claim, error, retry_in=retry_in)
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
    for next_id, queue in released:
        publish(next_id, queue)
    return "succeeded"
