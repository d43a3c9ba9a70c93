"""A job's history says who changed what: the workers' attempts are the system's, the
agent's retry or discard is the agent's."""

import pytest

from jobs.models import Job
from jobs.services import WORKER_CHANGES_REASON, job_discard, job_retry
from regsupport.audit import record_changes
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _fail_again(job):
    """What a worker's failed run leaves: attempts, error and state, with no history row."""
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DEAD,
        attempts=job.attempts + 2,
        error_status=500,
        error_message="status: 500, body: DQT is down",
    )


def _changed_fields(record):
    return {change.field for change in record_changes(record, record.prev_record)}


def test_a_discard_after_the_workers_runs_is_not_credited_with_their_changes(support_agent):
    job = JobFactory(dead=True)
    job_retry(job=job, actor=support_agent, reason="DQT fixed the record")
    _fail_again(job)

    job_discard(job=job, actor=support_agent, reason="Given up: ticket 881")

    discard, workers, retry = job.history.order_by("-history_date", "-history_id")[:3]
    assert discard.history_user == support_agent
    assert discard.history_change_reason == "Given up: ticket 881"
    assert {"attempts", "error_status", "error_message"}.isdisjoint(_changed_fields(discard))
    assert "state" in _changed_fields(discard)
    assert workers.history_user is None
    assert workers.history_change_reason == WORKER_CHANGES_REASON
    assert {"attempts", "error_status", "error_message"} <= _changed_fields(workers)
    assert retry.history_user == support_agent


def test_a_bulk_retry_records_the_workers_changes_apart_from_the_agents(support_agent):
    job = JobFactory(dead=True)
    job_retry(job=job, actor=support_agent, reason="First try")
    _fail_again(job)

    Job.objects.filter(pk=job.pk).retry(actor=support_agent, reason="DQT is back")

    latest, workers = job.history.order_by("-history_date", "-history_id")[:2]
    assert latest.history_change_reason == "DQT is back"
    assert "attempts" not in _changed_fields(latest)
    assert workers.history_user is None and "attempts" in _changed_fields(workers)


def test_an_agents_action_with_no_worker_run_between_adds_no_system_row(support_agent):
    job = JobFactory(dead=True)
    job_retry(job=job, actor=support_agent, reason="First try")
    job_discard(job=job, actor=support_agent, reason="Retried by mistake")
    reasons = list(job.history.values_list("history_change_reason", flat=True))
    assert reasons[:2] == ["Retried by mistake", "First try"]
    assert WORKER_CHANGES_REASON not in reasons
