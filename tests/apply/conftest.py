from datetime import UTC, datetime

import pytest

from apply.fake.state import application_choice
from jobs import runner
from jobs.models import Job
from tests.factories import CourseFactory, ProviderFactory

YEAR = 2024
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def run(job):
    """Run one ledger job in this process, as a worker would."""
    outcome = runner.run(job.pk)
    job.refresh_from_db()
    return outcome


def run_all(task_name=None):
    """Run every runnable job (of a type), oldest first, until none is left."""
    outcomes = []
    while True:
        waiting = Job.objects.filter(state=Job.State.ENQUEUED).order_by("pk")
        if task_name:
            waiting = waiting.filter(task_name=task_name)
        job = waiting.first()
        if job is None:
            return outcomes
        outcomes.append(run(job))


def add_choice(fake, apply_id, *, code="2N2", year=YEAR, updated_at=LONG_AGO, **fields):
    return fake.add_choice(
        **application_choice(
            apply_id=apply_id,
            recruitment_cycle_year=year,
            training_provider_code=code,
            updated_at=updated_at,
            **fields,
        )
    )


@pytest.fixture
def provider(db):
    return ProviderFactory(code="2N2", name="Northern Nine SCITT", apply_sync_enabled=True)


@pytest.fixture
def course(provider):
    return CourseFactory(accredited_body_code="2N2", recruitment_cycle_year=YEAR)
