import pytest

from tests.jobs.worker import celery_worker, flush_broker


@pytest.fixture
def worker(dqt_on, django_db_setup, tmp_path):
    """A real Celery worker on the test database, talking to the fake DQT."""
    flush_broker()
    with celery_worker(tmp_path / "worker.log") as process:
        yield process
    flush_broker()
