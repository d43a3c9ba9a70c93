"""Real worker and beat processes write the heartbeats /readyz reads."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from monitoring import heartbeat
from tests.jobs.worker import BASE_DIR, celery_worker, flush_broker, stop_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_running_worker_writes_its_heartbeat_with_its_queues(tmp_path):
    flush_broker()
    started = time.time()
    with celery_worker(
        tmp_path / "worker.log",
        pool="threads",
        queues="dqt,apply",
        name="beating",
        env={"SETTINGS__MONITORING__HEARTBEAT_SECONDS": "1"},
    ):
        first = wait_for(
            lambda: [w for w in heartbeat.workers() if w.hostname.startswith("beating@")],
            what="the worker's heartbeat",
        )
        assert first[0].queues == ("apply", "dqt")
        # It goes on beating, not only once at start-up.
        wait_for(
            lambda: heartbeat.workers()[0].at > first[0].at,
            what="a second heartbeat",
            seconds=30,
        )
    assert heartbeat.workers()[0].at >= started
    flush_broker()


def test_beat_writes_its_heartbeat_as_it_ticks(tmp_path):
    flush_broker()
    env = {
        **os.environ,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "REGSUPPORT_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SETTINGS__MONITORING__HEARTBEAT_SECONDS": "1",
    }
    celery = str(Path(sys.executable).parent / "celery")
    with (tmp_path / "beat.log").open("w") as log:
        beat = subprocess.Popen(
            [celery, "-A", "regsupport", "beat", "-s", str(tmp_path / "schedule"), "-l", "INFO"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        first = wait_for(heartbeat.last_beat_tick, what="beat's first heartbeat")
        wait_for(lambda: heartbeat.last_beat_tick() > first, what="a later tick", seconds=30)
    finally:
        stop_worker(beat)
        flush_broker()
