"""A real Celery worker process on the test database, for the reliability tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url(db: Mapping[str, Any], name: str) -> str:
    """The test database as a URL for a worker process; the host may be a socket directory
    (the embedded PostgreSQL of `make test`), which must be percent-encoded."""
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db.get('USER') or '', safe='')}{password}@{host}{port}/{name}"


def flush_broker() -> None:
    # Our own Redis database number only (REDIS_URL), never the whole server.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def broker_length(queue: str) -> int:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue)


@contextmanager
def celery_worker(
    log_path: Path,
    *,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: str = "default,dqt,apply",
    database: str | None = None,
    broker: str | None = None,
    name: str = "worker",
    env: Mapping[str, str] | None = None,
    loglevel: str = "INFO",
):
    """A worker process on the test database (or ``database``, a URL) and our Redis (or
    ``broker``), stopped at the end of the block."""
    process = start_worker(
        log_path,
        concurrency=concurrency,
        pool=pool,
        queues=queues,
        database=database
        or database_url(settings.DATABASES["default"], connection.settings_dict["NAME"]),
        broker=broker or settings.CELERY_BROKER_URL,
        name=name,
        env=env,
        loglevel=loglevel,
    )
    try:
        yield process
    finally:
        stop_worker(process)


def start_worker(
    log_path: Path,
    *,
    concurrency: int,
    pool: str,
    queues: str,
    database: str,
    broker: str,
    name: str = "worker",
    env: Mapping[str, str] | None = None,
    loglevel: str = "INFO",
) -> subprocess.Popen:
    """Start a worker and wait until it takes messages."""
    worker_env = dict(os.environ)
    worker_env.update(
        DATABASE_URL=database,
        REDIS_URL=broker,
        REGSUPPORT_ENV="test",
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONUNBUFFERED="1",
    )
    worker_env.update(env or {})
    celery = Path(sys.executable).parent / "celery"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "regsupport",
                "worker",
                "-Q",
                queues,
                "-c",
                str(concurrency),
                "-P",
                pool,
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                loglevel,
            ],
            cwd=BASE_DIR,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "ready." in log_path.read_text(), what="the worker to start", seconds=60)
    except AssertionError:
        stop_worker(process)
        raise
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, *, what: str, seconds: float = 60, sweep: bool = False):
    """Poll until ``condition()`` is true; with ``sweep`` run the scheduler's sweep each
    time, as beat would every few seconds."""
    from jobs.services import sweep as sweep_ledger

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sweep:
            sweep_ledger(lost_after=timedelta(seconds=2))
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"Gave up waiting for {what} after {seconds} s")
