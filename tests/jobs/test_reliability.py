"""With a real Celery worker and real Redis: nothing is lost, nothing runs twice."""

import os
import signal
from pathlib import Path

import pytest
from django.db import transaction

from jobs.models import Job
from jobs.services import enqueue

from .worker import broker_length, celery_worker, flush_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _state(job):
    job.refresh_from_db()
    return job.state


def test_a_worker_killed_mid_job_runs_it_again_and_it_succeeds_once(worker, tmp_path):
    done = tmp_path / "done.txt"
    job = enqueue("tests.record", arguments={"path": str(done), "hang_first_attempt": True})

    pid_file = Path(f"{done}.pid")
    pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the job to start"))
    os.kill(pid, signal.SIGKILL)

    wait_for(lambda: _state(job) == Job.State.SUCCEEDED, what="the job to succeed", sweep=True)
    assert done.read_text().count("done") == 1
    # The killed attempt left nothing to clean up and is not counted: one attempt, a success.
    assert job.attempts == 1
    assert job.runner_pid is not None


def test_all_waiting_jobs_finish_after_redis_is_flushed(tmp_path):
    flush_broker()
    with transaction.atomic():
        jobs = [enqueue("tests.apply_noop", arguments={"n": n}) for n in range(1000)]
    assert broker_length("apply") == 1000

    flush_broker()
    assert broker_length("apply") == 0

    with celery_worker(tmp_path / "worker.log"):
        wait_for(
            lambda: (
                Job.objects.filter(pk__in=[j.pk for j in jobs], state="succeeded").count() == 1000
            ),
            what="all 1,000 jobs to succeed",
            seconds=120,
            sweep=True,
        )
    flush_broker()


def test_a_job_failing_transiently_twice_then_passing_succeeds_with_three_attempts(
    worker, tmp_path
):
    done = tmp_path / "done.txt"
    job = enqueue("tests.flaky", arguments={"path": str(done), "fail_times": 2})

    wait_for(lambda: _state(job) == Job.State.SUCCEEDED, what="the job to succeed")
    assert job.attempts == 3
    assert [e["attempt"] for e in job.errors] == [1, 2]
    assert job.errors[0]["status"] == 503
    assert done.read_text().count("done") == 1
