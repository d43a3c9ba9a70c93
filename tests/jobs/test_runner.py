"""What the ledger records when a job runs (in-process: the worker calls the same code)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import registry
from jobs.errors import PermanentError, Reschedule, TransientError
from jobs.models import Job
from jobs.registry import job_type
from jobs.runner import run
from jobs.services import enqueue, job_discard, job_retry
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db


@job_type("tests.unit_fail", label="Unit Fail", max_attempts=3, retry_base_seconds=3600)
def unit_fail(job, *, transient: bool):
    error = TransientError if transient else PermanentError
    raise error(
        'status: 400, body: {"title":"Teacher has no incomplete ITT record","status":400,'
        '"errorCode":10005}',
        status=400 if not transient else 502,
        error_code=10005,
        title="Teacher has no incomplete ITT record",
        field_errors={"qualification.providerUkprn": ["Organisation not found"]},
    )


@job_type("tests.unit_poll", label="Unit Poll", max_attempts=2)
def unit_poll(job, *, polls: int):
    job.arguments["polls"] = polls + 1
    raise Reschedule(run_after=timezone.now() + timedelta(hours=1), note="TRN not ready")


def test_a_non_transient_failure_is_dead_at_once_with_its_error_in_columns():
    job = enqueue("tests.unit_fail", arguments={"transient": False})
    run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DEAD
    assert (job.error_status, job.error_code) == (400, 10005)
    assert job.error_title == "Teacher has no incomplete ITT record"
    assert job.error_fields == {"qualification.providerUkprn": ["Organisation not found"]}
    assert job.error_message.startswith("status: 400, body: {")


def test_a_transient_failure_waits_in_the_ledger_with_backoff_then_dies_after_max_attempts():
    job = enqueue("tests.unit_fail", arguments={"transient": True})
    run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.RETRYING
    # An hour-scale wait is not a Celery ETA: it is run_after, for the sweeper.
    assert job.run_after > timezone.now() + timedelta(minutes=20)

    for _ in range(2):
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
        run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DEAD
    assert job.attempts == 3
    assert [e["attempt"] for e in job.errors] == [1, 2, 3]


@job_type("tests.unit_fail_often", label="Unit Fail Often", max_attempts=30)
def unit_fail_often(job):
    raise TransientError(f"status: 502, attempt {job.attempts}", status=502)


def test_a_job_keeps_the_errors_of_its_last_twenty_attempts_oldest_first():
    job = enqueue("tests.unit_fail_often", arguments={})
    for _ in range(23):
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
        run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.RETRYING, 23)
    assert [e["attempt"] for e in job.errors] == list(range(4, 24))
    assert job.errors[-1]["message"] == "status: 502, attempt 23"


def test_a_reschedule_is_not_a_failed_attempt_and_keeps_changed_arguments():
    job = enqueue("tests.unit_poll", arguments={"polls": 0})
    run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SCHEDULED
    assert job.attempts == 0
    assert job.arguments == {"polls": 1}
    assert job.note == "TRN not ready"
    assert job.run_after > timezone.now() + timedelta(minutes=50)


def test_a_job_runs_only_when_claimable_so_a_second_message_is_dropped(tmp_path):
    done = tmp_path / "done.txt"
    job = enqueue("tests.record", arguments={"path": str(done)})
    assert run(job.pk) == "succeeded"
    assert run(job.pk) == "not runnable"
    assert done.read_text().count("done") == 1


def test_a_later_job_of_a_trainee_is_blocked_behind_a_dead_one_and_runs_after_retry(
    tmp_path, superuser
):
    done = tmp_path / "order.txt"
    trainee = TraineeFactory()
    first = enqueue(
        "tests.ordered",
        trainee=trainee,
        arguments={"path": str(done), "step": "update", "fail": True},
    )
    second = enqueue(
        "tests.ordered", trainee=trainee, arguments={"path": str(done), "step": "award"}
    )
    run(first.pk)
    assert run(second.pk) == "blocked"
    second.refresh_from_db()
    assert second.state == Job.State.BLOCKED
    assert second.note == f"waiting for job {first.pk}"

    first.refresh_from_db()
    first.arguments["fail"] = False
    first.save()
    job_retry(job=first, actor=superuser, reason="DQT fixed the record")
    run(first.pk)
    second.refresh_from_db()
    assert second.state == Job.State.ENQUEUED  # released by the first one's success
    run(second.pk)
    assert done.read_text().split() == ["update", "award"]


def test_a_blocked_job_is_released_when_the_dead_one_is_discarded(tmp_path, superuser):
    done = tmp_path / "order.txt"
    trainee = TraineeFactory()
    first = enqueue(
        "tests.ordered", trainee=trainee, arguments={"path": str(done), "step": "a", "fail": True}
    )
    second = enqueue("tests.ordered", trainee=trainee, arguments={"path": str(done), "step": "b"})
    run(first.pk)
    run(second.pk)

    job_discard(job=first, actor=superuser, reason="Race with the award job; data matches")
    # Released on commit in production; the sweeper finds it too.
    from jobs.services import sweep

    sweep()
    second.refresh_from_db()
    assert second.state == Job.State.ENQUEUED
    run(second.pk)
    second.refresh_from_db()
    assert second.state == Job.State.SUCCEEDED


def test_unordered_queues_do_not_block():
    trainee = TraineeFactory()
    first = enqueue("tests.unit_fail", trainee=trainee, arguments={"transient": False})
    second = enqueue("tests.apply_noop", trainee=trainee, arguments={})
    run(first.pk)
    assert run(second.pk) == "succeeded"
    assert not registry.get("tests.apply_noop").ordered


@pytest.mark.django_db(transaction=True)
def test_a_job_running_in_a_live_worker_is_not_run_again_until_that_worker_is_gone(tmp_path):
    import psycopg
    from django.db import connection

    done = tmp_path / "done.txt"
    job = enqueue("tests.record", arguments={"path": str(done)})
    params = connection.get_connection_params()
    other_worker = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    pid = other_worker.execute("SELECT pg_backend_pid()").fetchone()[0]
    other_worker.execute("SELECT pg_advisory_lock(%s)", [job.pk])  # what its claim holds

    assert job.is_running
    assert run(job.pk) == "not runnable"  # a second message while the first still runs
    assert not done.exists()
    job.refresh_from_db()
    assert job.state == Job.State.ENQUEUED

    other_worker.close()  # the worker died mid-job
    _wait_for_session_end(pid)
    assert not job.is_running
    assert run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.attempts == 1
    assert done.read_text().count("done") == 1


@pytest.mark.django_db(transaction=True)
def test_a_success_is_never_run_again_by_a_later_message(tmp_path):
    """The lock is kept after a success until the session's next claim; a duplicate
    message on another session finds it held, and once it is released, finds the job
    succeeded (its read comes after the lock, so it sees the committed outcome)."""
    import psycopg
    from django.db import connection

    done = tmp_path / "done.txt"
    job = enqueue("tests.record", arguments={"path": str(done)})
    assert run(job.pk) == "succeeded"
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    ) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [job.pk]).fetchone()[0] is False
        other_job = enqueue("tests.record", arguments={"path": str(done)})
        assert run(other_job.pk) == "succeeded"  # this session's next claim lets go of it
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [job.pk]).fetchone()[0] is True
    assert run(job.pk) == "not runnable"
    assert done.read_text().count("done") == 2


@pytest.mark.django_db(transaction=True)
def test_a_running_job_cannot_be_discarded(tmp_path, superuser):
    import psycopg
    from django.db import connection

    from jobs.errors import JobError

    job = enqueue("tests.flaky", arguments={"path": str(tmp_path / "x"), "fail_times": 9})
    Job.objects.filter(pk=job.pk).update(state="retrying", run_after=timezone.now())
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [job.pk])
        with pytest.raises(JobError, match="is running"):
            job_discard(job=job, actor=superuser, reason="Not needed any more")
        with pytest.raises(JobError, match="running"):
            Job.objects.filter(pk=job.pk).discard(actor=superuser, reason="Not needed any more")
    job.refresh_from_db()
    assert job.state == Job.State.RETRYING
    job_discard(job=job, actor=superuser, reason="Not needed any more")
    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED


def _wait_for_session_end(pid):
    import time

    from django.db import connection

    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_the_worker_prepares_its_statements_again_when_they_vanish(tmp_path):
    """psycopg deallocates a session's prepared statements after a ROLLBACK (a job
    function's failed atomic block does that); the next job must not fail for it."""
    from django.db import connection

    done = tmp_path / "done.txt"
    first = enqueue("tests.record", arguments={"path": str(done)})
    assert run(first.pk) == "succeeded"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 2
        cursor.execute("DEALLOCATE ALL")
    second = enqueue("tests.record", arguments={"path": str(done)})
    assert run(second.pk) == "succeeded"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 2
    second.refresh_from_db()
    assert (second.state, second.attempts) == (Job.State.SUCCEEDED, 1)
    assert done.read_text().count("done") == 2


def test_an_ordered_job_whose_earlier_job_finishes_during_its_claim_still_runs(
    tmp_path, monkeypatch
):
    """The earlier job's success can land between the later job's claim (held back) and
    its check before parking as blocked; then nothing would release it, so it is claimed
    again at once instead of being dropped."""
    from jobs import ledger

    done = tmp_path / "order.txt"
    trainee = TraineeFactory()
    first = enqueue("tests.ordered", trainee=trainee, arguments={"path": str(done), "step": "a"})
    second = enqueue("tests.ordered", trainee=trainee, arguments={"path": str(done), "step": "b"})
    check = ledger._wait_behind_earlier

    def first_finishes_meanwhile(conn, job_id, ordered_types):
        Job.objects.filter(pk=first.pk).update(state=Job.State.SUCCEEDED)
        return check(conn, job_id, ordered_types)

    monkeypatch.setattr(ledger, "_wait_behind_earlier", first_finishes_meanwhile)
    assert run(second.pk) == "succeeded"
    second.refresh_from_db()
    assert second.state == Job.State.SUCCEEDED
    assert done.read_text().split() == ["b"]


@job_type("tests.unit_finished_elsewhere", label="Unit Finished Elsewhere")
def unit_finished_elsewhere(job, *, then_fail: bool):
    """Another run of the same job finishes it while this one runs (possible only when this
    worker's database session, and so the job's lock, was lost meanwhile)."""
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, attempts=1)
    if then_fail:
        raise TransientError("status: 502, body: ", status=502)


@pytest.mark.parametrize("then_fail", [False, True])
def test_a_run_whose_outcome_matches_no_row_reports_it_and_never_says_succeeded(then_fail, caplog):
    job = enqueue("tests.unit_finished_elsewhere", arguments={"then_fail": then_fail})
    with caplog.at_level("WARNING", logger="jobs.runner"):
        assert run(job.pk) == "not recorded"
    assert (
        f"Job {job.pk} tests.unit_finished_elsewhere attempt 1: its outcome was not recorded"
        in (caplog.text)
    )
    assert "(now succeeded)" in caplog.text
    job.refresh_from_db()
    # What the other run wrote stays: one success, one attempt, no error from this run.
    assert (job.state, job.attempts, job.errors) == (Job.State.SUCCEEDED, 1, [])
    assert not job.is_running
