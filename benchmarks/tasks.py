"""The throughput baselines: the same work as the ledger's benchmark jobs, as bare Celery
tasks (jobs/testing.py has the ledger side)."""

from celery import shared_task

from .counter import count_done, poll_trn_request


@shared_task(name="benchmarks.plain_noop", acks_late=True, ignore_result=True)
def plain_noop(job_id: int) -> None:
    count_done()


@shared_task(name="benchmarks.plain_dqt", acks_late=True, ignore_result=True)
def plain_dqt(job_id: int, *, base_url: str, api_key: str, request_id: str) -> None:
    poll_trn_request(base_url=base_url, api_key=api_key, request_id=request_id)
