"""Prometheus metrics at ``/metrics``: what the ledger and Redis hold, read when Prometheus
scrapes, and what worker processes measured (job durations, DQT calls), which they add up
in Redis (docs/decisions/0010-worker-metrics-through-redis.md says why Redis).

Worker side: ``observe_job`` and ``observe_dqt_call`` add to counts kept in the process;
a thread of the process adds them to Redis hashes every ``monitoring.metrics_flush_seconds``
(at once when that is 0), one pipelined round trip for everything since the last time.

Web side: ``render`` builds the page from ``LedgerAndWorkerMetrics`` over the ledger and those hashes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from regsupport.config import settings as app_settings

from .store import key, redis_client

logger = logging.getLogger(__name__)

PREFIX = "regsupport_"
# Jobs take milliseconds (a ledger no-op) to minutes (a DQT call waiting on its limit).
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
DQT_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30)


@functools.lru_cache(maxsize=4096)
def _label_key(labels: tuple[str, ...]) -> str:
    """A hash field naming a label set (few distinct ones: job types, outcomes, statuses)."""
    return json.dumps(list(labels))


class _Histogram:
    """A histogram whose observations are summed in Redis: one hash, a field per label set
    and bucket (counts per bucket, not cumulative), plus its sum and count."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str], buckets):
        self.name = PREFIX + name
        self.documentation = documentation
        self.labels = tuple(labels)
        self.buckets = tuple(float(b) for b in buckets)
        self.redis_key = key("metrics", name)

    def fields(self, labels: tuple[str, ...], seconds: float) -> list[tuple[str, float]]:
        label_key = _label_key(labels)
        bucket = next((b for b in self.buckets if seconds <= b), float("inf"))
        return [(f"{label_key}|{bucket!r}", 1), (f"{label_key}|sum", seconds)]

    def family(self, stored: dict[bytes, bytes]) -> HistogramMetricFamily:
        per_labels: dict[str, dict[str, float]] = defaultdict(dict)
        for field, value in stored.items():
            label_key, _, part = field.decode().rpartition("|")
            per_labels[label_key][part] = float(value)
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for label_key, parts in sorted(per_labels.items()):
            cumulative, buckets = 0.0, []
            for bound in (*self.buckets, float("inf")):
                cumulative += parts.get(repr(bound), 0.0)
                buckets.append((floatToGoString(bound), cumulative))
            family.add_metric(json.loads(label_key), buckets, parts.get("sum", 0.0))
        return family


class _Counter:
    def __init__(self, name: str, documentation: str, labels: Sequence[str]):
        self.name = PREFIX + name
        self.documentation = documentation
        self.labels = tuple(labels)
        self.redis_key = key("metrics", name)

    def fields(self, labels: tuple[str, ...]) -> list[tuple[str, float]]:
        return [(_label_key(labels), 1)]

    def family(self, stored: dict[bytes, bytes]) -> CounterMetricFamily:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for field, value in sorted(stored.items()):
            family.add_metric(json.loads(field), float(value))
        return family


JOB_DURATION = _Histogram(
    "job_duration_seconds",
    "How long a worker took to run a job, from its claim to its outcome, by outcome.",
    ["job_type", "queue", "outcome"],
    JOB_BUCKETS,
)
DQT_LATENCY = _Histogram(
    "dqt_request_duration_seconds",
    "How long DQT took to answer a call (waiting for the rate limit excluded).",
    ["method", "endpoint"],
    DQT_BUCKETS,
)
DQT_RESPONSES = _Counter(
    "dqt_responses",
    "DQT's answers by HTTP status; 'timeout' and 'connection_error' when none came.",
    ["endpoint", "status"],
)
FROM_WORKERS: tuple[_Histogram | _Counter, ...] = (JOB_DURATION, DQT_LATENCY, DQT_RESPONSES)


# --- worker side --------------------------------------------------------------------------


class _Pending:
    """What this process measured since its last flush to Redis."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], float] = defaultdict(float)
        self.pid = 0

    def add(self, redis_key: str, fields: list[tuple[str, float]]) -> None:
        with self.lock:
            for field, amount in fields:
                self.counts[(redis_key, field)] += amount
            start_flusher = self.pid != os.getpid()
            self.pid = os.getpid()
        interval = flush_seconds()
        if interval <= 0:
            self.flush()
        elif start_flusher:
            # A prefork child does not inherit its parent's thread: each process starts its own.
            threading.Thread(
                target=self._flush_every, args=(interval,), name="metrics-flush", daemon=True
            ).start()

    def _flush_every(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            self.flush()

    def flush(self) -> None:
        with self.lock:
            counts, self.counts = self.counts, defaultdict(float)
        if not counts:
            return
        pipe = redis_client().pipeline(transaction=False)
        for (redis_key, field), amount in counts.items():
            if float(amount).is_integer():
                pipe.hincrby(redis_key, field, int(amount))
            else:
                pipe.hincrbyfloat(redis_key, field, amount)
        try:
            pipe.execute()
        except redis.RedisError as error:
            # Dropped, not kept: a long outage would otherwise grow this without bound.
            logger.warning("%d metric updates lost, Redis is unreachable: %s", len(counts), error)


_pending = _Pending()


def flush_seconds() -> float:
    return float(app_settings.get("monitoring.metrics_flush_seconds", 5))


def flush() -> None:
    """Send what this process measured to Redis now (a worker process does on shutdown)."""
    _pending.flush()


def observe_job(*, job_type: str, queue: str, outcome: str, seconds: float) -> None:
    labels = (job_type, queue, outcome)
    _pending.add(JOB_DURATION.redis_key, JOB_DURATION.fields(labels, seconds))


def observe_dqt_call(*, method: str, endpoint: str, status: str, seconds: float | None) -> None:
    """One call to DQT: its answer's ``status`` (or why none came) and, if it answered, how
    long it took."""
    if seconds is not None:
        _pending.add(DQT_LATENCY.redis_key, DQT_LATENCY.fields((method, endpoint), seconds))
    _pending.add(DQT_RESPONSES.redis_key, DQT_RESPONSES.fields((endpoint, status)))


# --- web side -----------------------------------------------------------------------------


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class LedgerAndWorkerMetrics(Collector):
    """Everything on ``/metrics``, read fresh at each scrape."""

    def collect(self) -> Iterator[Metric]:
        yield from self._from_ledger()
        yield from self._from_analytics()
        yield from self._from_redis()

    def _from_analytics(self) -> Iterator[Metric]:
        from analytics.models import DroppedEvents
        from analytics.selectors import dropped_total, outbox_size

        yield GaugeMetricFamily(
            PREFIX + "analytics_outbox_size",
            "Analytics events waiting in the outbox to be shipped (bounded by "
            "analytics.outbox_limit).",
            value=outbox_size(),
        )
        dropped = CounterMetricFamily(
            PREFIX + "analytics_dropped_events",
            "Analytics events dropped: the outbox was full, or the sink rejected them.",
            labels=["why"],
        )
        for why in DroppedEvents.Why.values:
            dropped.add_metric([why], dropped_total(why))
        yield dropped

    def _from_ledger(self) -> Iterator[Metric]:
        from jobs import ledger

        # Finished jobs only grow (and succeeded ones are purged): their rate is the count of
        # regsupport_job_duration_seconds. Running jobs keep their waiting state on the row.
        jobs = GaugeMetricFamily(
            PREFIX + "jobs",
            "Jobs in the ledger that are not finished, by type and state (running: a worker "
            "holds the job's lock).",
            labels=["job_type", "state"],
        )
        running = sorted(ledger.running_job_ids())
        for task_name, state, count in _rows(
            """SELECT task_name, CASE WHEN id = ANY(%s) AND state <> 'dead' THEN 'running'
                                      ELSE state END AS shown, count(*)
               FROM jobs_job WHERE state NOT IN ('succeeded', 'discarded')
               GROUP BY task_name, shown ORDER BY task_name, shown""",
            [running],
        ):
            jobs.add_metric([task_name, state], count)
        yield jobs

        dead = GaugeMetricFamily(
            PREFIX + "dead_jobs",
            "Dead jobs by type and error (HTTP status and DQT error code; empty when none).",
            labels=["job_type", "error_status", "error_code"],
        )
        for task_name, status, code, count in _rows(
            """SELECT task_name, error_status, error_code, count(*) FROM jobs_job
               WHERE state = 'dead' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
        ):
            dead.add_metric([task_name, _text(status), _text(code)], count)
        yield dead

        oldest = GaugeMetricFamily(
            PREFIX + "oldest_waiting_job_age_seconds",
            "Per queue, how long the job waiting longest to run has been runnable: enqueued "
            "since, or due since (scheduled and retrying). 0 when none waits.",
            labels=["queue"],
        )
        ages = oldest_waiting_ages(running)
        for queue in settings.JOBS_QUEUES:
            oldest.add_metric([queue], float(ages.get(queue) or 0.0))
        yield oldest

    def _from_redis(self) -> Iterator[Metric]:
        client = redis_client()
        depth = GaugeMetricFamily(
            PREFIX + "queue_depth",
            "Messages waiting in Redis per queue (jobs sent to workers, not yet taken).",
            labels=["queue"],
        )
        pipe = client.pipeline(transaction=False)
        for queue in settings.JOBS_QUEUES:
            pipe.llen(queue)
        for from_workers in FROM_WORKERS:
            pipe.hgetall(from_workers.redis_key)
        results = pipe.execute()
        for queue, length in zip(settings.JOBS_QUEUES, results, strict=False):
            depth.add_metric([queue], length)
        yield depth
        stored = results[len(settings.JOBS_QUEUES) :]
        for index, values in enumerate(stored):
            yield FROM_WORKERS[index].family(values)


# Runnable now and not taken: enqueued, or scheduled/retrying and due. Blocked jobs wait on
# another job, not on a worker, and are left out, and so are running jobs (their row still
# waits; a worker's lock says they run).
OLDEST_WAITING_SQL = """
    SELECT queue, extract(epoch FROM statement_timestamp() - min(
             CASE WHEN state = 'enqueued' THEN coalesce(enqueued_at, created_at)
                  ELSE run_after END))
    FROM jobs_job
    WHERE (state = 'enqueued'
           OR (state IN ('scheduled', 'retrying') AND run_after <= statement_timestamp()))
      AND id <> ALL(%s)
    GROUP BY queue"""


def oldest_waiting_ages(running: list[int] | None = None) -> dict[str, float]:
    """Per queue with a job runnable and not running, how long (seconds) the longest such
    wait has been. ``running``: the running job ids, if the caller has read them already."""
    from jobs import ledger

    if running is None:
        running = sorted(ledger.running_job_ids())
    return {queue: float(age) for queue, age in _rows(OLDEST_WAITING_SQL, [running])}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerAndWorkerMetrics())
    return generate_latest(registry)
