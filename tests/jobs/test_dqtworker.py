"""``manage.py dqtworker``: a thread-pool worker process per core, run and stopped as one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from jobs.management.commands.dqtworker import worker_commands
from jobs.models import Job
from jobs.publish import publish_many
from jobs.services import enqueue
from regsupport.processes import child_pids
from tests.factories import TraineeFactory

from .worker import BASE_DIR, database_url, flush_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_each_process_gets_its_share_of_the_threads_and_a_name_of_its_own():
    commands = worker_commands(
        processes=3, concurrency=100, queues="dqt,apply", hostname="dqt@%h", loglevel="INFO"
    )
    for index, command in enumerate(commands, start=1):
        assert command[command.index("--pool") + 1] == "threads"
        assert command[command.index("--concurrency") + 1] == "34"
        assert command[command.index("--hostname") + 1] == f"dqt-{index}@%h"
        assert command[command.index("--queues") + 1] == "dqt,apply"
    [alone] = worker_commands(
        processes=1, concurrency=100, queues="dqt", hostname="dqt@%h", loglevel="INFO"
    )
    assert alone[alone.index("--hostname") + 1] == "dqt@%h"
    assert alone[alone.index("--concurrency") + 1] == "100"


def _start(log: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(settings.DATABASES["default"], connection.settings_dict["NAME"]),
        REDIS_URL=settings.CELERY_BROKER_URL,
        REGSUPPORT_ENV="test",
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONUNBUFFERED="1",
    )
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "dqtworker", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,  # as a terminal's foreground job: signalled as a group
        )


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def supervisor(tmp_path):
    flush_broker()
    log = tmp_path / "dqtworker.log"
    process = _start(
        log, "--processes", "2", "--concurrency", "8", "--queues", "dqt", "--hostname", "t@%h"
    )
    wait_for(
        lambda: log.read_text().count("ready.") == 2,
        what="both worker processes to start",
        seconds=90,
    )
    yield process, log
    if process.poll() is None:
        process.kill()
        process.wait()
    for child in child_pids(process.pid):
        os.kill(child, signal.SIGKILL)
    flush_broker()


def test_two_processes_share_the_queue_and_stop_together_on_sigterm(supervisor, tmp_path):
    process, log = supervisor
    text = log.read_text()
    assert "2 thread-pool process(es), 4 threads each, queues dqt" in text
    assert "t-1@" in text and "t-2@" in text
    trainees = [TraineeFactory() for _ in range(10)]
    with transaction.atomic():
        jobs = [
            enqueue(
                "tests.ordered",
                trainee=trainee,
                arguments={"path": str(tmp_path / f"trainee-{trainee.pk}.txt"), "step": str(n)},
            )
            for n in range(3)
            for trainee in trainees
        ]
    publish_many((job.pk, job.queue) for job in jobs)
    wait_for(
        lambda: Job.objects.filter(state="succeeded").count() == len(jobs),
        what="every job to succeed",
    )
    for trainee in trainees:
        assert (tmp_path / f"trainee-{trainee.pk}.txt").read_text().split() == ["0", "1", "2"]

    children = child_pids(process.pid)
    assert len(children) == 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert not any(_alive(child) for child in children)


def test_a_worker_process_dying_stops_the_other_and_fails_the_whole(supervisor):
    process, log = supervisor
    first, second = child_pids(process.pid)
    os.kill(first, signal.SIGKILL)
    assert process.wait(timeout=60) != 0
    assert not _alive(second)
    assert "stopped by itself" in log.read_text()


def test_the_worker_processes_do_not_outlive_a_killed_supervisor(supervisor):
    process, _ = supervisor
    children = child_pids(process.pid)
    assert len(children) == 2
    process.kill()
    process.wait()
    wait_for(
        lambda: not any(_alive(child) for child in children),
        what="the worker processes to stop after their supervisor died",
        seconds=60,
    )


def test_ctrl_c_reaches_the_workers_once_through_the_supervisor(supervisor):
    """A terminal's Ctrl-C goes to the foreground process group: the workers are in groups
    of their own, so only the supervisor gets it and passes it on once (a second SIGINT
    would be Celery's cold shutdown, cutting running jobs short)."""
    process, log = supervisor
    children = child_pids(process.pid)
    assert all(os.getpgid(child) != os.getpgid(process.pid) for child in children)
    os.killpg(os.getpgid(process.pid), signal.SIGINT)
    process.wait(timeout=60)  # Celery exits 1 after a SIGINT, 0 after a SIGTERM
    assert not any(_alive(child) for child in children)
    text = log.read_text()
    # Celery says this at the first SIGINT and shuts down cold at a second.
    assert text.count("Hitting Ctrl+C again will initiate cold shutdown") == 2
    assert text.count("Warm shutdown") == 2
    assert "Cold shutdown" not in text
