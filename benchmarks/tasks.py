"""The throughput pairs: the same work as a bare Celery task and as a ledger job type."""

from celery import shared_task

from jobs.registry import job_type

from .counter import count_done, poll_trn_request


@shared_task(name="benchmarks.plain_noop", acks_late=True, ignore_result=True)
def plain_noop(job_id: int) -> None:
    count_done()


@job_type("benchmarks.count", label="Benchmark Count", queue="default")
def ledger_noop(job, **_):
    count_done()


@shared_task(name="benchmarks.plain_dqt", acks_late=True, ignore_result=True)
def plain_dqt(job_id: int, *, base_url: str, api_key: str, request_id: str) -> None:
    poll_trn_request(base_url=base_url, api_key=api_key, request_id=request_id)


@job_type("benchmarks.dqt_poll", label="Benchmark DQT Poll", queue="dqt", ordered=True)
def ledger_dqt(job, *, base_url: str, api_key: str, request_id: str):
    """An ordered per-trainee job like the DQT jobs, so it pays what they pay on the ledger."""
    poll_trn_request(base_url=base_url, api_key=api_key, request_id=request_id)
