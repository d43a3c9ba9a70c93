import pytest

from monitoring.store import PREFIX, redis_client


@pytest.fixture(autouse=True)
def clean_monitoring_keys():
    """No heartbeat, metric or alert limit left over from another test."""

    def clean():
        client = redis_client()
        keys = list(client.scan_iter(match=PREFIX + "*", count=1000))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()


@pytest.fixture
def everything_alive():
    """A worker for every queue and beat, heard from just now."""
    from django.conf import settings

    from monitoring import heartbeat

    heartbeat.record_worker("default@host-a", ["default"])
    heartbeat.record_worker("dqt@host-a", [q for q in settings.JOBS_QUEUES if q != "default"])
    heartbeat.record_beat()
