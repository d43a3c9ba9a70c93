"""Discarding many jobs never races a worker: each waiting job is locked as a single
discard locks one, and a job a worker is running is skipped and counted."""

import psycopg
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from jobs import services
from jobs.errors import JobError
from jobs.models import Job
from tests.factories import JobFactory, TraineeFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/deadjob/"


@pytest.fixture
def worker_session():
    """A second database session, standing for a worker: it takes a job's lock the way a
    worker's claim does (``pg_try_advisory_lock``, held by its session)."""
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    ) as session:
        yield session


def _worker_could_start(session, job_id: int) -> bool:
    started = session.execute("SELECT pg_try_advisory_lock(%s)", [job_id]).fetchone()[0]
    if started:
        session.execute("SELECT pg_advisory_unlock(%s)", [job_id])
    return started


def _retrying(**kwargs):
    return JobFactory(state="retrying", run_after=timezone.now(), **kwargs)


@pytest.mark.django_db(transaction=True)
def test_no_worker_can_start_a_job_while_its_bulk_discard_is_written(superuser, worker_session):
    job = _retrying()
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).discard(actor=superuser, reason="Not needed")
        # Until the commit, the discard holds the job's lock: a worker's claim is refused.
        assert not _worker_could_start(worker_session, job.pk)
    assert _worker_could_start(worker_session, job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED


def test_a_job_a_worker_is_running_is_skipped_and_counted(superuser, worker_session):
    running, idle = _retrying(), JobFactory(state="blocked")
    dead = JobFactory(dead=True)
    worker_session.execute("SELECT pg_advisory_lock(%s)", [running.pk])

    discarded = Job.objects.filter(pk__in=[running.pk, idle.pk, dead.pk]).discard(
        actor=superuser, reason="Trainee withdrawn"
    )

    assert (discarded.count, discarded.running) == (2, 1)
    assert discarded.describe() == (
        "2 jobs discarded. They stay in the ledger with your reason. 1 skipped: a worker is "
        "running them now. Discard them once they have finished, if they are dead."
    )
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {running.pk: "retrying", idle.pk: "discarded", dead.pk: "discarded"}
    assert idle.history.latest("history_date").history_change_reason == "Trainee withdrawn"


def test_discarding_only_running_jobs_is_refused_and_says_so(superuser, worker_session):
    running = _retrying()
    worker_session.execute("SELECT pg_advisory_lock(%s)", [running.pk])
    with pytest.raises(JobError, match="1 running now"):
        Job.objects.filter(pk=running.pk).discard(actor=superuser, reason="x")
    running.refresh_from_db()
    assert running.state == Job.State.RETRYING


def test_too_many_waiting_jobs_at_once_are_refused(superuser, monkeypatch):
    monkeypatch.setattr(services, "MAX_WAITING_DISCARD", 2)
    jobs = [_retrying() for _ in range(3)]
    with pytest.raises(JobError, match="These are 3 waiting jobs; discard at most 2 at a time"):
        Job.objects.filter(pk__in=[j.pk for j in jobs]).discard(actor=superuser, reason="x")
    assert Job.objects.filter(state="retrying").count() == 3


def test_a_dead_list_larger_than_postgresqls_lock_table_is_discarded_at_once(superuser):
    """Dead jobs take no lock each (no worker runs a dead job), so discarding every dead
    job the filter shows works however many there are."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_locks_per_transaction')::int")
        per_connection = cursor.fetchone()[0]
        cursor.execute("SELECT current_setting('max_connections')::int")
        lock_table = per_connection * cursor.fetchone()[0]
    now = timezone.now()
    Job.objects.bulk_create(
        Job(task_name="tests.record", queue="default", state="dead", created_at=now)
        for _ in range(lock_table + 1)
    )
    discarded = Job.objects.filter(state="dead").discard(actor=superuser, reason="Old outage")
    assert discarded.count == lock_table + 1
    assert not Job.objects.filter(state="dead").exists()


def test_the_console_and_the_command_say_how_many_were_discarded(agent_client, superuser, capsys):
    jobs = JobFactory.create_batch(2, dead=True)
    data = {"action": "discard_selected", ACTION_CHECKBOX_NAME: [str(j.pk) for j in jobs]}
    response = agent_client.post(LIST, {**data, "confirm": "yes", "reason": "Dupes"}, follow=True)
    assert "2 jobs discarded. They stay in the ledger with your reason." in (
        response.content.decode()
    )
    JobFactory(dead=True)
    call_command("dead_jobs", "--status", "404", "--discard", "--actor", "root", "--reason", "x")
    assert "1 jobs discarded. They stay in the ledger" in capsys.readouterr().out


def test_discard_all_matching_with_or_without_a_filter_discards_them(agent_client):
    """The list's filter joins trainees (nullable: an outer join), which PostgreSQL would
    not lock FOR UPDATE: the discard reads the ids without the list's joins."""
    trainee = TraineeFactory(with_trn=True)
    mine = JobFactory.create_batch(2, dead=True, trainee=trainee)
    other = JobFactory(dead=True)
    orphan = JobFactory(dead=True, trainee=None)
    query = f"?provider={trainee.provider_id}&q={trainee.trn}"
    data = {
        "action": "discard_selected",
        "select_across": "1",
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(mine[0].pk)],
    }
    response = agent_client.post(
        LIST + query, {**data, "confirm": "yes", "reason": "Duplicates"}, follow=True
    )
    assert response.status_code == 200
    assert "2 jobs discarded." in response.content.decode()
    assert set(Job.objects.filter(state="discarded").values_list("pk", flat=True)) == {
        j.pk for j in mine
    }
    assert Job.objects.get(pk=other.pk).state == Job.State.DEAD

    # Unfiltered, the join to trainees stays an outer join (a job may have no trainee).
    response = agent_client.post(
        LIST, {**data, "confirm": "yes", "reason": "Old outage"}, follow=True
    )
    assert "2 jobs discarded." in response.content.decode()
    assert Job.objects.get(pk=orphan.pk).state == Job.State.DISCARDED
