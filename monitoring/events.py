"""What the rest of the code tells monitoring: a job's outcome. Each is one log line (and
its metrics), so a caller makes one call and knows nothing about either."""

from __future__ import annotations

import logging

from . import logs

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
