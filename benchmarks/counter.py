import redis
from django.conf import settings

KEY = "bench:done"
_client = None


def client():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return _client


def count_done() -> None:
    client().incr(KEY)


def poll_trn_request(*, base_url: str, api_key: str, request_id: str) -> None:
    """The realistic job: one DQT round trip, made the way dqt/jobs.py makes them (a new
    client, so a new HTTP connection, per job), then counted."""
    from dqt.client import DqtClient

    with DqtClient(base_url=base_url, api_key=api_key) as dqt:
        dqt.get_trn_request(request_id)
    count_done()
