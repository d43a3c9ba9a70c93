"""Workers with a thread pool (the dqt queue's), alone and beside a prefork worker on the
same queues: every job exactly once, each trainee's jobs in order, few database sessions."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from jobs.models import Job
from jobs.publish import publish_many
from jobs.services import enqueue
from tests.factories import TraineeFactory

from .worker import celery_worker, flush_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _runs(path) -> Counter:
    return Counter(line.split()[1] for line in path.read_text().splitlines())


def test_two_workers_on_the_same_queues_run_every_job_once_and_each_trainee_in_order(tmp_path):
    """A thread-pool worker and a prefork worker take the same queues; every message is
    sent twice (a duplicate, as after a redelivery)."""
    flush_broker()
    done = tmp_path / "done.txt"
    done.touch()
    trainees = [TraineeFactory() for _ in range(5)]
    # Both workers are up before anything is published: on a slow machine the first one up
    # would otherwise take every job before the second has started.
    with (
        celery_worker(tmp_path / "threads.log", pool="threads", concurrency=20, name="io"),
        celery_worker(tmp_path / "prefork.log", pool="prefork", concurrency=2, name="cpu"),
    ):
        with transaction.atomic():
            unordered = [enqueue("tests.record", arguments={"path": str(done)}) for _ in range(300)]
            ordered = [
                enqueue(
                    "tests.ordered",
                    trainee=trainee,
                    arguments={
                        "path": str(tmp_path / f"trainee-{trainee.pk}.txt"),
                        "step": str(n),
                    },
                )
                for n in range(20)
                for trainee in trainees
            ]
        jobs = [*unordered, *ordered]
        publish_many((job.pk, job.queue) for job in jobs)
        wait_for(
            lambda: Job.objects.filter(state="succeeded").count() == len(jobs),
            what="every job to succeed",
            seconds=120,
        )
    flush_broker()

    assert Job.objects.exclude(state="succeeded").count() == 0
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}
    runs = _runs(done)
    assert set(runs) == {str(job.pk) for job in unordered}
    assert max(runs.values()) == 1
    for trainee in trainees:
        steps = (tmp_path / f"trainee-{trainee.pk}.txt").read_text().split()
        assert steps == [str(n) for n in range(20)]
    # Both workers took jobs: their ledger sessions are the runner pids.
    assert Job.objects.values("runner_pid").distinct().count() >= 2


def test_a_thread_pool_worker_sends_many_dqt_updates_at_once_on_few_database_sessions(
    tmp_path, dqt_on
):
    """The real DQT update job, DQT answering in half a second: 50 jobs wait on it at
    once, and the worker holds few database sessions meanwhile."""
    from dqt.jobs import update_trainee

    flush_broker()
    trainees = [TraineeFactory(with_trn=True) for _ in range(100)]
    for trainee in trainees:
        dqt_on.add_teacher_for(trainee)
    dqt_on.slow_down("/v2/teachers/", seconds=0.5)
    with transaction.atomic():
        jobs = [update_trainee.enqueue(trainee=t, trainee_id=t.pk) for t in trainees]
    most_sessions = [0]
    stop = threading.Event()
    database = connection.settings_dict["NAME"]

    def count_sessions():
        from django.db import connections

        try:
            with connections["default"].cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()",
                        [database],
                    )
                    most_sessions[0] = max(most_sessions[0], cursor.fetchone()[0])
                    stop.wait(0.05)
        finally:
            connections["default"].close()

    with celery_worker(tmp_path / "threads.log", pool="threads", concurrency=50, queues="dqt"):
        sampler = threading.Thread(target=count_sessions)
        sampler.start()
        try:
            wait_for(
                lambda: Job.objects.filter(state="succeeded").count() == len(jobs),
                what="every update to succeed",
                seconds=120,
            )
        finally:
            stop.set()
            sampler.join()
    flush_broker()

    patches = Counter(c["path"] for c in dqt_on.calls if c["method"] == "PATCH")
    assert patches == Counter(f"/v2/teachers/update/{t.trn}" for t in trainees)
    # The worker's sessions: one for the ledger and at most JOBS_IO_POOL_DATABASE_SESSIONS
    # (8) for the jobs' own queries, not one per job waiting on DQT; the test has one more.
    assert most_sessions[0] <= 1 + 8 + 1
    assert Job.objects.values("runner_pid").distinct().count() == 1
