"""A real worker while its PostgreSQL (a private one: the test stops and starts it) goes
away mid-run: nothing is lost, nothing runs twice, and nobody has to restart the worker."""

from __future__ import annotations

import os
import time
from collections import Counter

import psycopg
import pytest

from jobs.publish import publish_many
from regsupport.celery import app

from .private_services import PrivatePostgres, wait_until
from .worker import celery_worker, flush_broker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOBS = 240


@pytest.fixture
def private_postgres():
    server = PrivatePostgres().start()
    try:
        env = {**os.environ, "REGSUPPORT_ENV": "test", "DJANGO_SETTINGS_MODULE": "tests.settings"}
        yield server, server.create_database("outage", env=env)
    finally:
        server.remove()


def _add_jobs(url: str, path: str) -> tuple[list[int], int]:
    """JOBS enqueued jobs taking 50 ms each, and one scheduled job that only the sweep
    sends (its run_after has come; no message was ever sent for it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            INSERT INTO jobs_job (task_name, arguments, queue, state, attempts, max_attempts,
                created_at, enqueued_at, run_after, error_title, error_message, errors, note,
                discard_reason)
            SELECT 'tests.slow_record', jsonb_build_object('path', %s::text, 'seconds', 0.05),
                   'default', CASE WHEN g > %s THEN 'scheduled' ELSE 'enqueued' END, 0, 1,
                   now(), now(), CASE WHEN g > %s THEN now() END, '', '', '[]', '', ''
            FROM generate_series(1, %s) g ORDER BY g RETURNING id, state""",
            [path, JOBS, JOBS, JOBS + 1],
        ).fetchall()
    enqueued = [job_id for job_id, state in rows if state == "enqueued"]
    scheduled = next(job_id for job_id, state in rows if state == "scheduled")
    return enqueued, scheduled


def _states(url: str) -> Counter:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return Counter(
                dict(conn.execute("SELECT state, count(*) FROM jobs_job GROUP BY state").fetchall())
            )
    except psycopg.OperationalError:
        return Counter()


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_a_postgresql_restart_mid_run_loses_no_job_and_runs_none_twice(
    private_postgres, tmp_path, pool
):
    server, url = private_postgres
    done = tmp_path / "done.txt"
    done.touch()
    enqueued, scheduled = _add_jobs(url, str(done))
    flush_broker()
    publish_many((job_id, "default") for job_id in enqueued)

    with celery_worker(tmp_path / "worker.log", concurrency=4, pool=pool, database=url):
        wait_until(lambda: done.read_text().count("\n") >= JOBS // 4, what="a quarter of the jobs")
        server.stop()
        # What beat does every few seconds: the sweeps sent during the outage fail.
        for _ in range(6):
            app.send_task("jobs.sweep", queue="default")
            time.sleep(1)
        server.start()

        def all_succeeded() -> bool:
            app.send_task("jobs.sweep", queue="default")
            return _states(url)["succeeded"] == JOBS + 1

        wait_until(
            all_succeeded, what="every job to succeed after the restart", seconds=120, every=1
        )
    flush_broker()

    runs = Counter(line.split()[1] for line in done.read_text().splitlines())
    assert set(runs) == {str(job_id) for job_id in [*enqueued, scheduled]}
    assert max(runs.values()) == 1
    with psycopg.connect(url) as conn:
        attempts = conn.execute("SELECT max(attempts), min(attempts) FROM jobs_job").fetchone()
    assert attempts == (1, 1)


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_messages_taken_while_postgresql_is_down_go_back_to_the_queue_and_run_once(
    private_postgres, tmp_path, pool
):
    server, url = private_postgres
    done = tmp_path / "done.txt"
    done.touch()
    enqueued, _ = _add_jobs(url, str(done))
    flush_broker()
    server.stop()
    publish_many((job_id, "default") for job_id in enqueued)

    log = tmp_path / "worker.log"
    with celery_worker(log, concurrency=4, pool=pool, database=url):
        wait_until(
            lambda: log.read_text().count("the database is unreachable") >= 8,
            what="the worker to send messages back",
        )
        server.start()
        # No sweep: each job runs from its own message, which came back.
        wait_until(
            lambda: _states(url)["succeeded"] == JOBS,
            what="every job to succeed once the database is back",
            seconds=120,
            every=1,
        )
    flush_broker()
    runs = Counter(line.split()[1] for line in done.read_text().splitlines())
    assert set(runs) == {str(job_id) for job_id in enqueued}
    assert max(runs.values()) == 1
