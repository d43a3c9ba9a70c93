"""Signs of life from the processes that have no HTTP port: each Celery worker and beat
write a timestamp to Redis every ``monitoring.heartbeat_seconds``; ``/readyz`` and the
silence alert read them.

- A worker writes ``monitoring:heartbeat:worker:<hostname>`` with the queues it takes, from
  a step of its own start-up (``WorkerHeartbeat``, added in ``regsupport.celery``). It runs
  on the worker's timer, in the main process, so a worker whose main process hangs or dies
  falls silent even if a pool child lives on.
- Beat writes ``monitoring:heartbeat:beat`` from its scheduler's tick (``BeatScheduler``,
  ``CELERY_BEAT_SCHEDULER``), so the time is that of beat's own loop, not of a task it sent.

Times are the writers' clocks (seconds since the epoch): the machines keep time with NTP.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

import redis
from celery import bootsteps
from celery.beat import PersistentScheduler
from celery.signals import worker_process_shutdown

from regsupport.config import AppSettings

from . import metrics
from .store import key, redis_client

logger = logging.getLogger(__name__)

BEAT_KEY = key("heartbeat", "beat")
WORKER_PREFIX = key("heartbeat", "worker", "")


def _setting(key: str, default: float) -> float:
    # From the files and the environment only: the console's layer reads PostgreSQL, and a
    # worker starting (or beating) while the database is down must not wait on it.
    return float(AppSettings().get(key, default))


def interval_seconds() -> float:
    return _setting("monitoring.heartbeat_seconds", 10)


def silent_after_seconds() -> float:
    return _setting("monitoring.silent_after_seconds", 60)


@dataclass(frozen=True)
class WorkerBeat:
    hostname: str
    queues: tuple[str, ...]
    at: float

    def age(self, now: float) -> float:
        return max(now - self.at, 0.0)


def record_worker(hostname: str, queues: list[str], *, now: float | None = None) -> None:
    value = json.dumps({"queues": sorted(queues), "at": time.time() if now is None else now})
    # Gone after a day: a worker that was scaled away should not be listed for ever.
    redis_client().set(WORKER_PREFIX + hostname, value, ex=24 * 3600)


def record_beat(*, now: float | None = None) -> None:
    redis_client().set(BEAT_KEY, repr(time.time() if now is None else now))


def workers() -> list[WorkerBeat]:
    """Every worker heard from in the last day, newest first."""
    client = redis_client()
    names = sorted(client.scan_iter(match=WORKER_PREFIX + "*", count=1000))
    found = []
    for name, raw in zip(names, client.mget(names) if names else [], strict=True):
        if raw is None:
            continue  # expired between the scan and the read
        value = json.loads(raw)
        hostname = name.decode()[len(WORKER_PREFIX) :]
        found.append(WorkerBeat(hostname, tuple(value["queues"]), float(value["at"])))
    return sorted(found, key=lambda beat: -beat.at)


def last_beat_tick() -> float | None:
    raw = redis_client().get(BEAT_KEY)
    return float(raw) if raw is not None else None


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker start-up step: write this worker's heartbeat now and on every interval."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref: Any = None

    def start(self, worker: Any) -> None:
        self.beat(worker)
        self.timer_ref = worker.timer.call_repeatedly(
            interval_seconds(), self.beat, (worker,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
        metrics.flush()  # a thread pool's jobs ran in this process

    def beat(self, worker: Any) -> None:
        from .alerts import beat_silent, check

        queues = list(worker.app.amqp.queues.consume_from or worker.app.amqp.queues)
        try:
            record_worker(worker.hostname or socket.gethostname(), queues)
        except redis.RedisError as error:
            # Redis down means no jobs either; /readyz says so through its broker check.
            logger.warning("Worker heartbeat not written, Redis is unreachable: %s", error)
            return
        # Beat's silence stops the beat task that checks for alerts: a worker tells instead.
        check((beat_silent,))


class BeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler, writing beat's heartbeat as it ticks (at most once
    per interval: a tick can come every few milliseconds when tasks are due together)."""

    _last_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now - self._last_heartbeat >= interval_seconds():
            self._last_heartbeat = now
            self._heartbeat()
        return super().tick(*args, **kwargs)

    def _heartbeat(self) -> None:
        from .alerts import check, workers_silent

        try:
            record_beat()
        except redis.RedisError as error:
            logger.warning("Beat heartbeat not written, Redis is unreachable: %s", error)
            return
        # With every worker silent, no worker runs the beat task that checks for alerts.
        check((workers_silent,))


@worker_process_shutdown.connect
def _flush_metrics(**_: Any) -> None:
    """A prefork child going away first sends what it measured since its last flush."""
    metrics.flush()
