"""The worker's bookkeeping on the ledger: claim a job, record how its attempt ended.

Every job passes here, so it is plain SQL, one prepared statement per step, and it writes
no history rows: the state changes a worker makes are facts about the job, kept on the
row itself (attempts, errors, times). History is kept for what people do to jobs (retry,
discard), see ``services``.

**One write per job.** Claiming a job writes nothing: the worker takes a session-level
advisory lock keyed by the job's id and reads the row; the only write is the outcome. A
job is *running* while a session holds its lock on a row that is still waiting
(``running_job_ids``); a worker that dies loses its session and so its locks.

A job runs at most once at a time, and never again once finished: the lock admits one
session per job; the claim reads the row with a snapshot taken after the lock
(``jobs_claim``, migration 0004); and a worker lets go of a lock only after the outcome is
committed, so whoever takes it next sees that outcome. docs/jobs.md has the whole argument.

Advisory locks with a single bigint key in this database are the ledger's.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.utils import timezone
from psycopg.sql import Literal
from psycopg.types.json import Jsonb

from .models import ERROR_HISTORY_LIMIT, Job

# Times in SQL are statement_timestamp(), not now(): now() is the start of the transaction,
# which is not "now" for a statement inside a long one.
TABLE = "jobs_job"
UNFINISHED = "('succeeded', 'discarded')"

# Statements that find their row by primary key test its state against parameters, not
# constants: from a constant the planner may prove a partial index's predicate and scan
# that index instead of the primary key (docs/decisions/0002-ledger-on-psycopg-prepare.md).
RUNNABLE_NOW = ["enqueued", "blocked"]
RUNNABLE_WHEN_DUE = ["scheduled", "retrying"]
# The states a claimed job can be in (the row keeps its waiting state while it runs).
CLAIMABLE = [*RUNNABLE_NOW, *RUNNABLE_WHEN_DUE]
# Scalars, not one array: psycopg adapts a list parameter anew on every call.
_IS_CLAIMABLE = f"state IN ({', '.join(['%s'] * len(CLAIMABLE))})"

# What a claim loads: what running a job needs. The rest of the row is deferred; Django
# loads it if a job function asks (a failure appends to ``errors`` in SQL, see ``fail``).
_CLAIM_FIELDS = [
    "id",
    "task_name",
    "arguments",
    "trainee_id",
    "queue",
    "state",
    "attempts",
    "max_attempts",
]
_COLUMN_OF = {f.attname: f.column for f in Job._meta.concrete_fields}


@functools.lru_cache(maxsize=8)
def _claim_sql(ordered_types: tuple[str, ...]) -> str:
    """The claim, with its lists written in: inside jobs_claim they are parameters of its
    query, so the plan is the same, and psycopg would adapt a list parameter anew on every
    call. The ordered types are the registry's, so a process has one such statement."""
    return (
        f"SELECT {', '.join(f'j.{_COLUMN_OF[name]}' for name in _CLAIM_FIELDS)} "
        f"FROM jobs_claim(%s, %s, {Literal(list(ordered_types)).as_string()}::text[], "
        f"{Literal(RUNNABLE_NOW).as_string()}, {Literal(RUNNABLE_WHEN_DUE).as_string()}) j"
    )


logger = logging.getLogger(__name__)

# What an outcome function returns when its write matched no row: someone else finished
# the job meanwhile (only possible if this worker lost its session, and so the job's lock).
NOT_RECORDED = "not recorded"
# How long a worker holding a job's outcome waits for the database to come back before it
# gives the job up (its message goes back to the broker and the job runs again).
OUTCOME_WAIT_SECONDS = 30.0


class DatabaseUnavailable(Exception):
    """The database could not be reached, so nothing about this run was recorded: the
    job's message must go back to the broker (``jobs.tasks.run_job`` requeues it)."""


class _Session:
    """The database session a worker's ledger statements run on, and what it holds: the
    locks of the jobs it is running (``running``: job id to the backend pid whose session
    took the lock) and of the successes it has not let go yet (``kept``).

    By default it is Django's own connection, one per thread (one per process in a prefork
    worker; the caller's transaction in tests). A worker whose pool runs jobs in threads
    shares one dedicated session among them (``share_one_session``), so the number of
    sessions does not grow with the jobs in flight: a session can hold many advisory locks.
    """

    def __init__(self) -> None:
        self.mutex = threading.RLock()
        self.running: dict[int, int] = {}
        self.kept: list[tuple[int, int]] = []

    def connection(self) -> psycopg.Connection:
        """The live connection, connecting anew if the last one broke."""
        db = connections[DEFAULT_DB_ALIAS]
        if db.connection is not None and db.connection.closed and not db.in_atomic_block:
            db.close()
        if db.connection is None:
            db.ensure_connection()
        return db.connection

    def discard_connection(self) -> None:
        db = connections[DEFAULT_DB_ALIAS]
        if not db.in_atomic_block:
            db.close()


class _SharedSession(_Session):
    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        super().__init__()
        self._connect = connect
        self._conn: psycopg.Connection | None = None

    def connection(self) -> psycopg.Connection:
        with self.mutex:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                self.kept.clear()  # those locks went with the old session
            return self._conn

    def discard_connection(self) -> None:
        with self.mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


_thread = threading.local()
_shared: _SharedSession | None = None


def _session() -> _Session:
    if _shared is not None:
        return _shared
    session = getattr(_thread, "session", None)
    if session is None:
        session = _thread.session = _Session()
    return session


def share_one_session() -> None:
    """From now on, every thread of this process runs its ledger statements on one
    dedicated database session (a worker with a thread pool calls this at start-up)."""
    global _shared
    params = connections[DEFAULT_DB_ALIAS].get_connection_params()
    params.pop("cursor_factory", None)
    _shared = _SharedSession(lambda: psycopg.connect(**params, autocommit=True))


def connection_lost(error: BaseException) -> bool:
    """Whether ``error``, raised by a job's own queries, is this thread's database session
    going away (a restart, a network cut, a refused connection), as opposed to a statement
    failing on a live session."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, psycopg.OperationalError | psycopg.InterfaceError | DatabaseError):
            db = connections[DEFAULT_DB_ALIAS]
            return db.connection is None or db.connection.closed
        seen = seen.__cause__ or seen.__context__
    return False


def drop_broken_connections() -> None:
    """Close this thread's database connections that broke (the server restarted), so the
    next statement connects anew instead of failing with "the connection is closed"."""
    for db in connections.all(initialized_only=True):
        raw = db.connection
        if raw is not None and raw.closed and not db.in_atomic_block:
            db.close()


T = TypeVar("T")


def _once_more_on_a_new_session(statement: Callable[[psycopg.Connection], T]) -> T:
    """Run a claim; if the session turns out dead (the server restarted while it was
    idle), once more on a new one. Anything a dead session held went with it."""
    session = _session()
    for attempt in (1, 2):
        try:
            if attempt == 2:
                session.discard_connection()
            conn = session.connection()
        except (psycopg.Error, DatabaseError) as error:
            raise DatabaseUnavailable(str(error)) from error
        try:
            return statement(conn)
        except psycopg.Error as error:
            if not conn.closed:
                raise
            if attempt == 2:
                raise DatabaseUnavailable(str(error)) from error
    raise AssertionError("unreachable")


def claim(job_id: int, *, ordered_types: list[str]) -> Job | str:
    """Lock the job and return it, or say why not ("not runnable", "blocked").
    ``ordered_types``: job types whose queue keeps each trainee's jobs in order.

    The returned job's ``attempts`` is this attempt's number and its ``state`` is
    ``running``; neither is written until the attempt ends. Raises
    ``DatabaseUnavailable`` when the database cannot be reached.
    """
    session = _session()
    with session.mutex:
        # A session takes an advisory lock it already holds again: two messages for one
        # job in the same process would both get it.
        if job_id in session.running:
            return "not runnable"
        return _once_more_on_a_new_session(
            lambda conn: _claim(session, conn, job_id, ordered_types)
        )


def _claim(
    session: _Session, conn: psycopg.Connection, job_id: int, ordered_types: list[str]
) -> Job | str:
    backend_pid = conn.info.backend_pid
    release = None
    while session.kept and release is None:
        pid, kept_id = session.kept.pop()
        if pid == backend_pid:
            release = kept_id  # on another session, it went with that session
    sql = _claim_sql(tuple(ordered_types))
    rows = _execute(conn, sql, [job_id, release]).fetchall()
    if not rows and ordered_types:
        if _wait_behind_earlier(conn, job_id, ordered_types):
            return "blocked"
        # Not held back after all: the earlier job finished between the claim and the
        # check, and its success found nothing blocked to release. Claim it now.
        rows = _execute(conn, sql, [job_id, None]).fetchall()
    if not rows:
        return "not runnable"
    values = list(rows[0])
    values[2] = json.loads(values[2])  # Django's connection loads jsonb as text
    job = Job.from_db(DEFAULT_DB_ALIAS, _CLAIM_FIELDS, values)
    job.state = Job.State.RUNNING
    job.attempts += 1
    job.started_at = timezone.now()
    job.runner_pid = backend_pid
    session.running[job_id] = backend_pid
    return job


def running_job_ids() -> set[int]:
    """Ids whose advisory lock a session holds in this database: the jobs running now
    (and, for a moment after each success, the job a worker just finished)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
        )
        return {row[0] for row in cursor.fetchall()}


def lock_if_idle(job_id: int) -> bool:
    """Take the job's lock for the rest of the caller's transaction, if no worker holds it:
    an operator's change to a waiting job (discard) then cannot meet a worker's run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [job_id])
        return bool(cursor.fetchone()[0])


def _wait_behind_earlier(conn: psycopg.Connection, job_id: int, ordered_types: list[str]) -> bool:
    """Park a runnable job that an earlier unfinished job of its trainee holds back."""
    parked = _execute(
        conn,
        f"""
            UPDATE {TABLE} j SET state = 'blocked', note = 'waiting for job ' || (
                SELECT min(e.id) FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            WHERE j.id = %s AND j.state = ANY(%s::text[])
              AND j.task_name = ANY(%s::text[]) AND EXISTS (
                SELECT 1 FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            RETURNING id""",
        [job_id, RUNNABLE_NOW, ordered_types],
    ).fetchall()
    return bool(parked)


def succeed(
    claim: Job, *, arguments_changed: dict | None = None, release_next_of_trainee: bool = False
) -> list[tuple[int, str]] | None:
    """Record the success; None if the write matched no row (see ``NOT_RECORDED``). With
    ``release_next_of_trainee`` (an ordered job with a trainee), the same statement also
    releases the trainee's next blocked job in this queue, as ``release_next`` does, and
    returns it: one round trip per DQT job instead of two."""
    sets = "state = 'succeeded', finished_at = statement_timestamp(), run_after = NULL, note = ''"
    params: list[Any] = []
    if arguments_changed is not None:
        sets += ", arguments = %s"
        params.append(Jsonb(arguments_changed))
    if not release_next_of_trainee:
        return [] if _finish(claim, sets, params, keep_lock=True) else None

    # The statement's snapshot still sees this job unfinished (a CTE's changes are not
    # visible to the rest of its statement), so it is left out of "earliest unfinished" by
    # id. One row if the job's own write matched, with the job it released, if any.
    def write(conn: psycopg.Connection) -> list[tuple[int, str]] | None:
        rows = _execute(
            conn,
            f"""
                WITH done AS (
                  UPDATE {TABLE} SET {sets}, {_ATTEMPT}
                  WHERE id = %s AND {_IS_CLAIMABLE}
                  RETURNING id, trainee_id, queue),
                released AS (
                  UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(),
                         note = ''
                  FROM done
                  WHERE j.id = (
                      SELECT b.id FROM {TABLE} b
                      WHERE b.trainee_id = done.trainee_id AND b.queue = done.queue
                        AND b.id <> done.id AND b.state NOT IN {UNFINISHED}
                      ORDER BY b.id LIMIT 1)
                    AND j.state = %s
                  RETURNING j.id, j.queue)
                SELECT released.id, released.queue FROM done LEFT JOIN released ON true""",
            [*params, *_attempt(claim), claim.id, *CLAIMABLE, "blocked"],
        ).fetchall()
        if not rows:
            return None
        return [(job_id, queue) for job_id, queue in rows if job_id is not None]

    return _record(claim, write, keep_lock=True)


def reschedule(claim: Job, *, run_after: datetime, note: str, arguments: dict) -> bool:
    """Put the job back to scheduled; False if the write matched no row. A reschedule is
    not a failed attempt: the attempt is given back."""
    return _finish(
        claim,
        "state = 'scheduled', run_after = %s, note = %s, arguments = %s, finished_at = NULL",
        [run_after, note[:255], Jsonb(arguments)],
        attempts=claim.attempts - 1,
    )


@dataclass
class ParsedError:
    status: int | None
    code: int | None
    title: str
    fields: dict | None
    message: str
    transient: bool
    # The least wait before another attempt that the other side asked for (a 429's
    # Retry-After), in seconds.
    retry_after: float | None = None


def parse_error(exc: BaseException) -> ParsedError:
    def _int(value):
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    fields = getattr(exc, "field_errors", None)
    retry_after = getattr(exc, "retry_after", None)
    return ParsedError(
        status=_int(getattr(exc, "status", None)),
        code=_int(getattr(exc, "error_code", None)),
        title=str(getattr(exc, "title", "") or "")[:255],
        fields=fields if isinstance(fields, dict) and fields else None,
        message=str(exc) or exc.__class__.__name__,
        transient=bool(getattr(exc, "transient", False)),
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
    )


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform between half and all of base·2^(n-1)."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def fail(claim: Job, error: ParsedError, *, retry_in: float | None) -> str:
    """Record a failed attempt; ``retry_in`` None means the job is dead. Returns the state
    written, or ``NOT_RECORDED`` if the write matched no row."""
    entry = {
        "attempt": claim.attempts,
        "at": timezone.now().isoformat(),
        "status": error.status,
        "code": error.code,
        "title": error.title,
        "message": error.message[:4000],
    }
    state = "dead" if retry_in is None else "retrying"
    run_after = None if retry_in is None else timezone.now() + timedelta(seconds=retry_in)
    # The entry is appended (and the list cut to its last ERROR_HISTORY_LIMIT) in the same
    # statement: reading the row's errors first would be a query on the job's own
    # connection, outside the outcome's wait for a database that is restarting.
    recorded = _finish(
        claim,
        "state = %s, run_after = %s, finished_at = statement_timestamp(), error_status = %s, "
        "error_code = %s, error_title = %s, error_fields = %s, error_message = %s, "
        f"errors = ({_APPEND_ERROR})",
        [
            state,
            run_after,
            error.status,
            error.code,
            error.title,
            Jsonb(error.fields) if error.fields else None,
            error.message,
            Jsonb([entry]),
            ERROR_HISTORY_LIMIT,
        ],
    )
    return state if recorded else NOT_RECORDED


_APPEND_ERROR = f"""
    SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements({TABLE}.errors || %s::jsonb) WITH ORDINALITY AS t(e, n)
    WHERE n > jsonb_array_length({TABLE}.errors) + 1 - %s"""

# What every outcome records of the attempt: its number, when it started, which session.
_ATTEMPT = "attempts = %s, started_at = %s, runner_pid = pg_backend_pid()"


def _attempt(claim: Job, attempts: int | None = None) -> list[Any]:
    return [claim.attempts if attempts is None else attempts, claim.started_at]


def _finish(
    claim: Job, sets: str, params: list, *, attempts: int | None = None, keep_lock: bool = False
) -> bool:
    """Write the attempt's outcome, unless someone changed the row meanwhile (an operator
    cannot: a job's lock keeps its discard away), then let go of the lock. False if the
    write matched no row."""

    def write(conn: psycopg.Connection) -> bool | None:
        cursor = _execute(
            conn,
            f"UPDATE {TABLE} SET {sets}, {_ATTEMPT} WHERE id = %s AND {_IS_CLAIMABLE}",
            [*params, *_attempt(claim, attempts), claim.id, *CLAIMABLE],
        )
        return True if cursor.rowcount else None

    return bool(_record(claim, write, keep_lock=keep_lock))


def _record(
    claim: Job, write: Callable[[psycopg.Connection], T | None], *, keep_lock: bool
) -> T | None:
    """Run an outcome's ``write`` on a session holding the job's lock, then keep or release
    the lock. None when the write matched no row, or another session took the lock while
    this worker's session was gone: then another run has the job, and this outcome is not
    recorded (``runner`` reports it).

    The session may have died while the job ran (the server restarted): the lock went with
    it, so a new session takes it again before writing. While the database is down the
    outcome waits for it, up to ``OUTCOME_WAIT_SECONDS``, then gives up with
    ``DatabaseUnavailable``: nothing is recorded and the job runs again."""
    session = _session()
    deadline = time.monotonic() + OUTCOME_WAIT_SECONDS
    pause = 0.2
    while True:
        with session.mutex:
            try:
                conn = session.connection()
            except (psycopg.Error, DatabaseError) as error:
                last_error: BaseException = error
            else:
                try:
                    if not _hold_lock(session, conn, claim):
                        session.running.pop(claim.id, None)
                        return None
                    result = write(conn)
                    _let_go(session, conn, claim, keep=keep_lock and result is not None)
                    return result
                except psycopg.Error as error:
                    if not conn.closed:
                        raise
                    last_error = error
        if time.monotonic() >= deadline:
            session.running.pop(claim.id, None)
            raise DatabaseUnavailable(str(last_error)) from last_error
        if pause == 0.2:
            # Said once per outcome: the job's work is done, so if this worker dies now the
            # job runs again and its call goes twice.
            logger.warning(
                "Job %s: its outcome waits for the database (up to %s s): %s",
                claim.id,
                OUTCOME_WAIT_SECONDS,
                last_error,
            )
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def _hold_lock(session: _Session, conn: psycopg.Connection, claim: Job) -> bool:
    """Whether ``conn``'s session holds the job's lock, taking it again if the session that
    claimed the job is gone."""
    pid = conn.info.backend_pid
    if session.running.get(claim.id) == pid:
        return True
    taken = _execute(conn, "SELECT pg_try_advisory_lock(%s)", [claim.id]).fetchone()
    if not (taken and taken[0]):
        logger.warning(
            "Job %s: the worker's database session was lost while it ran, and another "
            "session holds the job now",
            claim.id,
        )
        return False
    session.running[claim.id] = pid
    claim.runner_pid = pid
    return True


def _let_go(session: _Session, conn: psycopg.Connection, claim: Job, *, keep: bool) -> None:
    """Release the job's lock, after the outcome's commit (the worker runs in autocommit).
    After a success the lock stays until this session's next claim, which releases it in
    the same round trip: releasing it now would cost a round trip per job."""
    session.running.pop(claim.id, None)
    if keep:
        session.kept.append((conn.info.backend_pid, claim.id))
        return
    try:
        _execute(conn, "SELECT pg_advisory_unlock(%s)", [claim.id])
    except psycopg.Error:
        if not conn.closed:
            raise  # a closed session let go of it already


def abandon(claim: Job) -> None:
    """Give up a run without recording anything (its database connection broke): let go
    of its lock if this worker's session still holds it, so the job's message, sent back
    to the broker, can run it."""
    session = _session()
    with session.mutex:
        pid = session.running.pop(claim.id, None)
        conn = _live_connection(session)
        if conn is not None and conn.info.backend_pid == pid:
            try:
                _execute(conn, "SELECT pg_advisory_unlock(%s)", [claim.id])
            except psycopg.Error:
                pass  # the session is gone, and the lock with it


def _live_connection(session: _Session) -> psycopg.Connection | None:
    if isinstance(session, _SharedSession):
        conn = session._conn
    else:
        conn = connections[DEFAULT_DB_ALIAS].connection
    return conn if conn is not None and not conn.closed else None


def release_next(*, trainee_id: int, queue: str) -> list[tuple[int, str]]:
    """The next blocked job of this trainee in this queue may run now that no earlier
    unfinished job holds it back. Returns (id, queue) rows, as ``publish_many`` takes them."""
    return _execute(
        _django_connection(),
        f"""
            UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            WHERE j.id = (
                SELECT b.id FROM {TABLE} b
                WHERE b.trainee_id = %s AND b.queue = %s AND b.state NOT IN {UNFINISHED}
                ORDER BY b.id LIMIT 1)
              AND j.state = %s
            RETURNING id, queue""",
        [trainee_id, queue, "blocked"],
    ).fetchall()


def _execute(conn: psycopg.Connection, statement: str, params: list) -> psycopg.Cursor:
    """Run a ledger statement, prepared once per session: planning these statements on a
    large table with a dozen partial indexes costs more than running them. On Django's
    connection it leaves its transaction and autocommit as they are; Django's own cursors
    bind parameters client-side and cannot prepare, hence a plain psycopg cursor."""
    cursor = getattr(_cursors, "cursor", None)
    if cursor is None or cursor.connection is not conn:
        # One cursor per thread and connection: a new one per statement builds its
        # adapters anew, about 10 µs of CPU (docs/decisions/0002-ledger-on-psycopg-prepare.md).
        cursor = _cursors.cursor = psycopg.Cursor(conn)
    cursor.execute(statement, params, prepare=True)
    return cursor


_cursors = threading.local()


def _django_connection() -> psycopg.Connection:
    """psycopg's connection under Django's, connecting if need be."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None:
        db.ensure_connection()
    return db.connection
