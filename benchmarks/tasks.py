"""The throughput baseline: the same work as the ledger's no-op job, as a bare Celery task."""

from celery import shared_task

from .counter import count_done


@shared_task(name="benchmarks.plain_noop", acks_late=True, ignore_result=True)
def plain_noop(job_id: int) -> None:
    count_done()
