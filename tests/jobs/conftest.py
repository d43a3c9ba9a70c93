import pytest

from .worker import celery_worker, flush_broker


@pytest.fixture
def worker(django_db_setup, tmp_path):
    """A real worker on the test database and our own Redis database."""
    flush_broker()
    with celery_worker(tmp_path / "worker.log") as process:
        yield process
    flush_broker()
