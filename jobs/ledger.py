"""The worker's bookkeeping on the ledger: claim a job, record how its attempt ended.

This is the hot path (every job passes here), so it is plain SQL, one statement per step,
and it writes no history rows: the state changes a worker makes are facts about the job,
kept on the row itself (attempts, errors, times). History is kept for what people do to
jobs (retry, discard), see ``services``.

**One write per job.** Claiming a job writes nothing: the worker takes a PostgreSQL
advisory lock keyed by the job's id (``pg_try_advisory_lock(id)``, session-level) and
reads the row; the only write is the outcome (succeeded, retrying, dead, scheduled). A
job is *running* while a worker's database session holds its lock on a row that is still
waiting (``running_job_ids``); when that worker dies, PostgreSQL ends its session and
releases the lock, and the job is runnable again with nothing to clean up.

A job runs at most once at a time, and never again once finished:

- the lock admits one session per job, so of two messages for the same job one claims it
  and the other is dropped ("not runnable");
- the claim reads the row *after* taking the lock, with a fresh snapshot (the
  ``jobs_claim`` function, migration 0004: a VOLATILE PL/pgSQL function sees a new
  snapshot per query), and a worker lets go of a job's lock only after the outcome is
  committed. So whoever takes a lock sees every outcome recorded under it: a job already
  succeeded or dead is not runnable.
- After a success the lock is kept until the same session's next claim (which releases it
  in the same round trip) or until the session ends: releasing it after the commit would
  cost a round trip per job. Other outcomes release it at once, after their commit,
  because the job may run again soon.

Advisory locks with a single bigint key in this database are the ledger's.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from psycopg import pq, sql

from .models import ERROR_HISTORY_LIMIT, Job

# Times in SQL are statement_timestamp(), not now(): now() is the start of the transaction,
# which is not "now" for a statement inside a long one.
TABLE = "jobs_job"
UNFINISHED = "('succeeded', 'discarded')"

# Every hot-path statement finds its row by primary key and tests the row's state against
# parameters (``state IN (%s, ...)``), never constants: with a constant the planner may
# prove a partial index's predicate (``jobs_enqueued_at`` holds the enqueued rows) and
# scan that index, filtering on id, instead of the primary key, and such an index carries
# an entry for every row that was ever in it until VACUUM removes them (1.5 ms instead of
# 0.05 ms per statement, measured with 3,000 jobs in flight). With a parameter no partial
# index is usable, and the generic plan is the only one these statements get
# (``plan_cache_mode`` in settings.DATABASES). Constants stay where a partial index is
# wanted (the ordering checks' ``e.state``).
RUNNABLE_NOW = ["enqueued", "blocked"]
RUNNABLE_WHEN_DUE = ["scheduled", "retrying"]
# The states a claimed job can be in (the row keeps its waiting state while it runs).
CLAIMABLE = [*RUNNABLE_NOW, *RUNNABLE_WHEN_DUE]
_IS_CLAIMABLE = f"state IN ({', '.join(['%s'] * len(CLAIMABLE))})"
BLOCKED = ["blocked"]
# The same lists as the text ``_hot`` sends, made once: the outcome sends them every job.
_CLAIMABLE_TEXT = [state.encode() for state in CLAIMABLE]
_BLOCKED_TEXT = b"blocked"

# What a claim loads: what running a job needs. The rest of the row (errors, error
# columns, times) is deferred: Django loads it if a job function asks (a failure reads
# ``errors`` that way), and most jobs never do. Fewer columns, less to decode per job.
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
_COLUMNS = ", ".join(f"j.{_COLUMN_OF[name]}" for name in _CLAIM_FIELDS)


@functools.cache
def _claim_sql(ordered_types: tuple[str, ...]) -> str:
    """The claim, with its lists written in as literals: psycopg dumps a list parameter on
    every call, which cost more than the rest of the claim's Python. Inside ``jobs_claim``
    they are the function's parameters, so its query's plan is still generic."""

    def array(values) -> str:
        return sql.Literal(list(values)).as_string(None) + "::text[]"

    return (
        f"SELECT {_COLUMNS} FROM jobs_claim(%s, %s, {array(ordered_types)}, "
        f"{array(RUNNABLE_NOW)}, {array(RUNNABLE_WHEN_DUE)}) j"
    )


# Per thread, as Django's connections are: the lock this thread's database session still
# holds after its last success, as (backend pid, job id), released by the next claim on
# the same session; and the hot statements prepared on that session (see ``_hot``).
_session = threading.local()


def claim(job_id: int, *, ordered_types: list[str]) -> Job | str:
    """Lock the job and return it, or say why not ("not runnable", "blocked").
    ``ordered_types``: job types whose queue keeps each trainee's jobs in order.

    The returned job's ``attempts`` is this attempt's number and its ``state`` is
    ``running``; neither is written until the attempt ends.
    """
    release = None
    backend_pid = _backend_pid()
    kept = getattr(_session, "kept_lock", None)
    if kept is not None:
        if kept[0] == backend_pid:
            release = kept[1]
        _session.kept_lock = None  # on another session, it went with that session
    statement = _claim_sql(tuple(ordered_types))
    rows = _hot(statement, [job_id, release])
    if not rows and ordered_types:
        if _wait_behind_earlier(job_id, ordered_types):
            return "blocked"
        # Not held back after all: the earlier job finished between the claim and the
        # check, and its success found nothing blocked to release. Claim it now.
        rows = _hot(statement, [job_id, None])
    if rows:
        (id_, task_name, arguments, trainee_id, queue, state, attempts, max_attempts) = rows[0]
        job = Job.from_db(
            DEFAULT_DB_ALIAS,
            _CLAIM_FIELDS,
            [
                int(id_),  # type: ignore[arg-type]
                task_name.decode(),  # type: ignore[union-attr]
                json.loads(arguments),  # type: ignore[arg-type]
                None if trainee_id is None else int(trainee_id),
                queue.decode(),  # type: ignore[union-attr]
                state.decode(),  # type: ignore[union-attr]
                int(attempts),  # type: ignore[arg-type]
                int(max_attempts),  # type: ignore[arg-type]
            ],
        )
        job.state = Job.State.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.runner_pid = backend_pid
        return job
    return "not runnable"


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


def _backend_pid() -> int:
    return _raw_connection().pgconn.backend_pid


def _raw_connection() -> psycopg.Connection:
    """psycopg's connection under Django's, connecting if need be. ``connections[...]`` once,
    not an attribute of the ``connection`` proxy per use: each such access is a lookup in a
    context-local (about 5 µs), and the worker's path made seven per job."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None:
        db.ensure_connection()
    return db.connection


def _wait_behind_earlier(job_id: int, ordered_types: list[str]) -> bool:
    """Park a runnable job that an earlier unfinished job of its trainee holds back."""
    parked = _hot(
        f"""
            UPDATE {TABLE} j SET state = 'blocked', note = 'waiting for job ' || (
                SELECT min(e.id) FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            WHERE j.id = %s AND j.state = ANY(%s)
              AND j.task_name = ANY(%s) AND EXISTS (
                SELECT 1 FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            RETURNING id""",
        [job_id, RUNNABLE_NOW, ordered_types],
    )
    return bool(parked)


def succeed(
    claim: Job, *, arguments_changed: dict | None = None, release_next_of_trainee: bool = False
) -> list[tuple[int, str]]:
    """Record the success. With ``release_next_of_trainee`` (an ordered job with a trainee),
    the same statement also releases the trainee's next blocked job in this queue, as
    ``release_next`` does, and returns it: one round trip per DQT job instead of two."""
    sets = "state = 'succeeded', finished_at = statement_timestamp(), run_after = NULL, note = ''"
    params: list[Any] = []
    if arguments_changed is not None:
        sets += ", arguments = %s::jsonb"
        params.append(json.dumps(arguments_changed))
    if not release_next_of_trainee:
        _finish(claim, sets, params, keep_lock=True)
        return []
    # The statement's snapshot still sees this job unfinished (a CTE's changes are not
    # visible to the rest of its statement), so it is left out of "earliest unfinished" by id.
    rows = _hot(
        f"""
            WITH done AS (
              UPDATE {TABLE} SET {sets}, {_ATTEMPT}
              WHERE id = %s AND {_IS_CLAIMABLE}
              RETURNING id, trainee_id, queue)
            UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            FROM done
            WHERE j.id = (
                SELECT b.id FROM {TABLE} b
                WHERE b.trainee_id = done.trainee_id AND b.queue = done.queue
                  AND b.id <> done.id AND b.state NOT IN {UNFINISHED}
                ORDER BY b.id LIMIT 1)
              AND j.state = %s
            RETURNING j.id, j.queue""",
        [*params, claim.attempts, _started(claim), claim.id, *_CLAIMABLE_TEXT, _BLOCKED_TEXT],
    )
    _keep_lock(claim)
    return _released(rows)


def reschedule(claim: Job, *, run_after: datetime, note: str, arguments: dict) -> None:
    # A reschedule is not a failed attempt: the attempt is given back.
    _finish(
        claim,
        "state = 'scheduled', run_after = %s, note = %s, arguments = %s::jsonb, finished_at = NULL",
        [run_after, note[:255], json.dumps(arguments)],
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


def parse_error(exc: BaseException) -> ParsedError:
    def _int(value):
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    fields = getattr(exc, "field_errors", None)
    return ParsedError(
        status=_int(getattr(exc, "status", None)),
        code=_int(getattr(exc, "error_code", None)),
        title=str(getattr(exc, "title", "") or "")[:255],
        fields=fields if isinstance(fields, dict) and fields else None,
        message=str(exc) or exc.__class__.__name__,
        transient=bool(getattr(exc, "transient", False)),
    )


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform between half and all of base·2^(n-1)."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def fail(claim: Job, error: ParsedError, *, retry_in: float | None) -> str:
    """Record a failed attempt; ``retry_in`` None means the job is dead."""
    entry = {
        "attempt": claim.attempts,
        "at": timezone.now().isoformat(),
        "status": error.status,
        "code": error.code,
        "title": error.title,
        "message": error.message[:4000],
    }
    errors = (list(claim.errors) + [entry])[-ERROR_HISTORY_LIMIT:]
    state = "dead" if retry_in is None else "retrying"
    run_after = None if retry_in is None else timezone.now() + timedelta(seconds=retry_in)
    _finish(
        claim,
        "state = %s, run_after = %s, finished_at = statement_timestamp(), error_status = %s, error_code = %s, "
        "error_title = %s, error_fields = %s::jsonb, error_message = %s, errors = %s::jsonb",
        [
            state,
            run_after,
            error.status,
            error.code,
            error.title,
            json.dumps(error.fields) if error.fields else None,
            error.message,
            json.dumps(errors),
        ],
    )
    return state


# What every outcome records of the attempt: its number, when it started, which session.
_ATTEMPT = "attempts = %s, started_at = to_timestamp(%s), runner_pid = pg_backend_pid()"


def _finish(
    claim: Job, sets: str, params: list, *, attempts: int | None = None, keep_lock: bool = False
) -> None:
    """Write the attempt's outcome, unless someone changed the row meanwhile (an operator
    cannot: a job's lock keeps its discard away), then let go of the lock."""
    _hot(
        f"UPDATE {TABLE} SET {sets}, {_ATTEMPT} WHERE id = %s AND {_IS_CLAIMABLE}",
        [
            *params,
            claim.attempts if attempts is None else attempts,
            _started(claim),
            claim.id,
            *_CLAIMABLE_TEXT,
        ],
    )
    if keep_lock:
        _keep_lock(claim)
    else:
        _unlock(claim)


def _started(claim: Job) -> float:
    return (claim.started_at or timezone.now()).timestamp()


def _keep_lock(claim: Job) -> None:
    _session.kept_lock = (claim.runner_pid, claim.id)


def _unlock(claim: Job) -> None:
    """Release the job's lock, after the outcome's commit (the worker runs in autocommit).
    If the job function reconnected to the database, the lock went with the old session."""
    if connections[DEFAULT_DB_ALIAS].connection is None or _backend_pid() != claim.runner_pid:
        return
    _hot("SELECT pg_advisory_unlock(%s)", [claim.id])


def release_next(*, trainee_id: int, queue: str) -> list[tuple[int, str]]:
    """The next blocked job of this trainee in this queue may run now that no earlier
    unfinished job holds it back."""
    rows = _hot(
        f"""
            UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            WHERE j.id = (
                SELECT b.id FROM {TABLE} b
                WHERE b.trainee_id = %s AND b.queue = %s AND b.state NOT IN {UNFINISHED}
                ORDER BY b.id LIMIT 1)
              AND j.state = ANY(%s)
            RETURNING id, queue""",
        [trainee_id, queue, BLOCKED],
    )
    return _released(rows)


# Every ledger statement goes to libpq directly, on Django's connection: prepared once per
# database session under names of its own, parameters and results as text. The hot path
# is a claim and an outcome per job; in a worker, Python time is latency (one worker
# process runs its jobs in sequence), and psycopg's per-call machinery (a cursor, adapting
# parameters, building the result) cost about as much as the round trip. Planning these
# statements (a 1,000,000-row table with a dozen partial indexes) also costs more than
# running them, hence prepared. Django's connection, transaction and autocommit are
# unchanged (psycopg reads the transaction status from libpq), and Django itself prepares
# nothing (its psycopg connections bind parameters client-side).


def _hot(statement: str, params: list) -> list[tuple[bytes | None, ...]]:
    """Run ``statement`` (psycopg's ``%s`` placeholders) and return its rows as text.

    Inside a transaction (tests, a shell session in ``atomic``) it is sent unprepared: a
    prepared statement can vanish under us (a DEALLOCATE ALL or DISCARD ALL on the
    session; psycopg sends one after a ROLLBACK whenever it has prepared statements of its
    own), and the error would abort the caller's transaction. A worker runs in autocommit,
    where such an error changes nothing: the statement is prepared again and sent again.
    """
    raw = _raw_connection()
    pgconn = raw.pgconn
    text = _numbered(statement)
    # None is SQL NULL: libpq takes it, though its stub says bytes only.
    values: list[Any] = [p if p.__class__ is bytes else _as_text(p) for p in params]
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return _rows(_check(pgconn.exec_params(text, values), raw))
    if getattr(_session, "prepared_on", None) != pgconn.backend_pid:
        _session.prepared = {}  # a new session has none of them prepared
        _session.prepared_on = pgconn.backend_pid
        _session.names = itertools.count()
    prepared: dict[str, bytes] = _session.prepared
    for _ in range(2):
        name = prepared.get(statement)
        if name is None:
            name = f"regsupport_ledger_{next(_session.names)}".encode()
            _check(pgconn.prepare(name, text), raw)
            prepared[statement] = name
        result = pgconn.exec_prepared(name, values)
        if result.error_field(pq.DiagnosticField.SQLSTATE) != b"26000":  # no such statement
            return _rows(_check(result, raw))
        prepared.clear()
    return _rows(_check(result, raw))


@functools.cache
def _numbered(statement: str) -> bytes:
    """psycopg's ``%s`` placeholders as libpq's ``$1``, ``$2``..."""
    numbers = iter(range(1, statement.count("%s") + 1))
    return re.sub(r"%s", lambda _: f"${next(numbers)}", statement).encode()


def _rows(result) -> list[tuple[bytes | None, ...]]:
    return [
        tuple(result.get_value(row, col) for col in range(result.nfields))
        for row in range(result.ntuples)
    ]


def _as_text(value) -> bytes | None:
    """A parameter as PostgreSQL's text input (bytes are taken as already that)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().encode()
    if isinstance(value, list | tuple):  # a PostgreSQL array of text
        quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return ("{" + ",".join(quoted) + "}").encode()
    return str(value).encode()


def _released(rows) -> list[tuple[int, str]]:
    """(id, queue) rows of jobs released from blocked, as ``publish_many`` takes them."""
    return [(int(job_id), queue.decode()) for job_id, queue in rows]


def _check(result, raw):
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
    return result
