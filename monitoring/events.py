"""What the rest of the code tells monitoring: a job's outcome, DQT's answer to a call.
Each is one call for the caller; here it becomes a log line, metrics and alert state."""

from __future__ import annotations

import logging

from . import dqt_health, logs, metrics

logger = logging.getLogger("regsupport.jobs")


def job_finished(job, *, outcome: str, seconds: float) -> None:
    """A worker ran ``job`` (the claimed row) and it ended as ``outcome`` (``jobs.runner``'s
    words: succeeded, retrying, dead, rescheduled, not recorded, requeued)."""
    logs.log_event(
        logger,
        "job.finished",
        level=logging.WARNING if outcome in ("dead", "not recorded") else logging.INFO,
        job_id=job.pk,
        job_type=job.task_name,
        queue=job.queue,
        trainee_id=job.trainee_id,
        attempt=job.attempts,
        outcome=outcome,
        duration_ms=round(seconds * 1000, 1),
    )
    metrics.observe_job(job_type=job.task_name, queue=job.queue, outcome=outcome, seconds=seconds)


def dqt_answered(*, method: str, endpoint: str, status: str, seconds: float | None) -> None:
    """DQT answered a call with HTTP ``status`` after ``seconds``, or did not answer
    (``status`` "timeout" or "connection_error", ``seconds`` None)."""
    metrics.observe_dqt_call(method=method, endpoint=endpoint, status=status, seconds=seconds)
    dqt_health.record(status)
