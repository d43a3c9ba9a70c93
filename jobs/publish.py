"""Sending "run job N" to Celery. Redis only carries that message; the row is the job."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

from regsupport.celery import app

RUN_JOB = "jobs.run_job"
# Beyond this, a wait lives in the ledger's run_after and the sweeper sends the message:
# long Celery ETAs are redelivered by Redis every visibility timeout.
MAX_COUNTDOWN_SECONDS = 60


def publish(job_id: int, queue: str, *, countdown: float | None = None) -> None:
    if countdown and countdown > MAX_COUNTDOWN_SECONDS:
        return  # the sweeper sends it when run_after comes
    app.send_task(
        RUN_JOB,
        args=(job_id,),
        queue=queue,
        countdown=countdown if countdown and countdown > 0 else None,
    )


def publish_many(jobs: Iterable[tuple[int, str]]) -> int:
    """Send many messages over one broker connection, in the order given."""
    sent = 0
    with app.producer_or_acquire() as producer:
        # kombu's publish batch sends Redis commands in pipelines of 1,000 instead of one
        # round trip (and one client object) per message: 10,000 retries in well under a
        # second instead of several.
        batch = producer.batch(max_size=1000) if hasattr(producer, "batch") else nullcontext()
        with batch:
            for job_id, queue in jobs:
                app.send_task(RUN_JOB, args=(job_id,), queue=queue, producer=producer)
                sent += 1
    return sent
