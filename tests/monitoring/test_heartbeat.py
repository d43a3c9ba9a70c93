"""Real worker and beat processes write the heartbeats /readyz reads."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
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


@contextmanager
def celery_beat(tmp_path, **settings_env: str):
    """A beat process on our Redis, stopped at the end of the block."""
    flush_broker()
    env = {
        **os.environ,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "REGSUPPORT_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        **settings_env,
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
        yield beat
    finally:
        stop_worker(beat)
        flush_broker()


def test_beat_writes_its_heartbeat_as_it_ticks(tmp_path):
    with celery_beat(tmp_path, SETTINGS__MONITORING__HEARTBEAT_SECONDS="1"):
        first = wait_for(heartbeat.last_beat_tick, what="beat's first heartbeat")
        wait_for(lambda: heartbeat.last_beat_tick() > first, what="a later tick", seconds=30)


def test_a_worker_alerts_when_beat_is_silent(tmp_path, slack):
    """Beat's silence stops the beat task that checks alerts: the workers tell instead."""
    flush_broker()
    quick = {
        "SETTINGS__MONITORING__HEARTBEAT_SECONDS": "1",
        "SETTINGS__MONITORING__SILENT_AFTER_SECONDS": "2",
    }
    with celery_worker(tmp_path / "worker.log", name="teller", env=quick):
        wait_for(lambda: slack, what="the worker's alert", seconds=60)
    flush_broker()
    assert slack[0]["text"].startswith("Celery beat is never heard from")
    assert "#alert-beat-silent" in slack[0]["text"]


def test_beat_alerts_when_every_worker_is_silent(tmp_path, slack):
    """With no worker, no task runs: beat itself checks the workers as it ticks."""
    with celery_beat(
        tmp_path,
        SETTINGS__MONITORING__HEARTBEAT_SECONDS="1",
        SETTINGS__MONITORING__SILENT_AFTER_SECONDS="2",
    ):
        wait_for(lambda: slack, what="beat's alert", seconds=60)
    assert slack[0]["text"].startswith("No Celery worker has been heard from: no job runs.")
    assert "#alert-workers-silent" in slack[0]["text"]
