"""What ``/readyz`` checks: the database, the broker, a worker for every queue and beat,
each named with its latency. docs/deploy.md, "Health checks", says what each failure means.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from . import heartbeat
from .store import redis_client


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    latency_ms: float

    def as_json(self) -> dict:
        return {"ok": self.ok, "detail": self.detail, "latency_ms": round(self.latency_ms, 2)}


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "answered"


def check_broker() -> str:
    redis_client().ping()
    return "answered"


def silent_queues(*, now: float | None = None) -> dict[str, float | None]:
    """Each queue no worker has been heard taking within ``monitoring.silent_after_seconds``,
    with how long since one was (None: never, or not in the last day)."""
    now = time.time() if now is None else now
    limit = heartbeat.silent_after_seconds()
    newest: dict[str, float] = {}
    for beat in heartbeat.workers():
        for queue in beat.queues:
            newest[queue] = min(newest.get(queue, beat.age(now)), beat.age(now))
    return {
        queue: newest.get(queue)
        for queue in settings.JOBS_QUEUES
        if newest.get(queue) is None or newest[queue] > limit
    }


def check_workers() -> str:
    silent = silent_queues()
    if silent:
        raise CheckFailed(
            "no worker heard from for the "
            + ", ".join(f"{queue} queue ({_since(age)})" for queue, age in silent.items())
        )
    return f"every queue has a worker ({len(heartbeat.workers())} heard from)"


def beat_silence(*, now: float | None = None) -> float | None:
    """Seconds since beat last ticked if longer than ``monitoring.silent_after_seconds``
    (infinity: never heard from), else None."""
    tick = heartbeat.last_beat_tick()
    if tick is None:
        return float("inf")
    age = max((time.time() if now is None else now) - tick, 0.0)
    return age if age > heartbeat.silent_after_seconds() else None


def check_beat() -> str:
    silence = beat_silence()
    if silence is not None:
        raise CheckFailed(f"beat not heard from ({_since(silence)})")
    return "ticking"


class CheckFailed(Exception):
    """A check that ran and found something wrong (as opposed to one that crashed)."""


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "workers": check_workers,
    "beat": check_beat,
}


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as error:  # noqa: BLE001 - any failure makes the check fail
            detail, ok = str(error) or type(error).__name__, False
        results.append(CheckResult(name, ok, detail, (time.perf_counter() - started) * 1000))
    return results


def _since(age: float | None) -> str:
    if age is None or age == float("inf"):
        return "never, or not in the last day"
    return f"last {age:.0f} s ago"
