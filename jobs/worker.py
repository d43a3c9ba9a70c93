"""How a worker process uses the database, set once when the worker starts
(``jobs.tasks`` connects ``configure`` to Celery's ``worker_init``).

- Every session of a worker process commits with ``JOBS_WORKER_SYNCHRONOUS_COMMIT``
  (``off`` by default, docs/jobs.md says why that is safe), given as a start-up parameter
  of the session, so it holds in any pool and costs no round trip.
- A worker whose pool runs jobs in threads (``--pool threads``, for the ``dqt`` and
  ``apply`` queues, where jobs wait on HTTP) bounds its database sessions: the ledger's
  statements of every thread share one session (``ledger.share_one_session``), and the
  jobs' own queries borrow from a pool of ``JOBS_IO_POOL_DATABASE_SESSIONS`` sessions,
  giving theirs back while they wait on the network (``released_while_waiting``).
  docs/decisions/0009-io-pool-database-sessions.md has the reasons and measurements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Celery pools whose jobs share one process, each waiting on I/O in its own thread.
IO_POOLS = ("celery.concurrency.thread",)


def configure(pool_cls: Any) -> None:
    from celery.concurrency import get_implementation

    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    options = database.setdefault("OPTIONS", {})
    commit = getattr(settings, "JOBS_WORKER_SYNCHRONOUS_COMMIT", "on")
    if commit != "on":
        options["options"] = f"{options.get('options', '')} -c synchronous_commit={commit}".strip()
    if get_implementation(pool_cls).__module__ in IO_POOLS:
        # Borrowed per query burst instead of held per thread: a thread pool of 100
        # would otherwise open 100 sessions, one per job waiting on DQT.
        options["pool"] = {
            "min_size": 1,
            "max_size": int(getattr(settings, "JOBS_IO_POOL_DATABASE_SESSIONS", 8)),
            "timeout": 30,
        }
        database["CONN_MAX_AGE"] = 0
        from . import ledger

        ledger.share_one_session()


@contextmanager
def released_while_waiting() -> Iterator[None]:
    """Give this thread's pooled database session back while it waits on the network (a
    DQT call): with a pool, the next query borrows one again. Without a pool, or inside a
    transaction, the session stays: closing it would cost a new connection, or the
    transaction."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is not None and not db.in_atomic_block and getattr(db, "pool", None):
        db.close()
    yield
