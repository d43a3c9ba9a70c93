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

import json
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
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
# loads it if a job function asks (a failure reads ``errors`` that way).
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
# The state lists are constants here; inside jobs_claim they are parameters of its query.
_CLAIM = (
    f"SELECT {', '.join(f'j.{_COLUMN_OF[name]}' for name in _CLAIM_FIELDS)} "
    f"FROM jobs_claim(%s, %s, %s::text[], {Literal(RUNNABLE_NOW).as_string()}, "
    f"{Literal(RUNNABLE_WHEN_DUE).as_string()}) j"
)

# Per thread, as Django's connections are: the lock this thread's database session still
# holds after its last success, as (backend pid, job id), released by the next claim on
# the same session.
_session = threading.local()


def claim(job_id: int, *, ordered_types: list[str]) -> Job | str:
    """Lock the job and return it, or say why not ("not runnable", "blocked").
    ``ordered_types``: job types whose queue keeps each trainee's jobs in order.

    The returned job's ``attempts`` is this attempt's number and its ``state`` is
    ``running``; neither is written until the attempt ends.
    """
    release = None
    backend_pid = _raw_connection().info.backend_pid
    kept = getattr(_session, "kept_lock", None)
    if kept is not None:
        if kept[0] == backend_pid:
            release = kept[1]
        _session.kept_lock = None  # on another session, it went with that session
    rows = _execute(_CLAIM, [job_id, release, ordered_types]).fetchall()
    if not rows and ordered_types:
        if _wait_behind_earlier(job_id, ordered_types):
            return "blocked"
        # Not held back after all: the earlier job finished between the claim and the
        # check, and its success found nothing blocked to release. Claim it now.
        rows = _execute(_CLAIM, [job_id, None, ordered_types]).fetchall()
    if not rows:
        return "not runnable"
    values = list(rows[0])
    values[2] = json.loads(values[2])  # Django's connection loads jsonb as text
    job = Job.from_db(DEFAULT_DB_ALIAS, _CLAIM_FIELDS, values)
    job.state = Job.State.RUNNING
    job.attempts += 1
    job.started_at = timezone.now()
    job.runner_pid = backend_pid
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


def _wait_behind_earlier(job_id: int, ordered_types: list[str]) -> bool:
    """Park a runnable job that an earlier unfinished job of its trainee holds back."""
    parked = _execute(
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
) -> list[tuple[int, str]]:
    """Record the success. With ``release_next_of_trainee`` (an ordered job with a trainee),
    the same statement also releases the trainee's next blocked job in this queue, as
    ``release_next`` does, and returns it: one round trip per DQT job instead of two."""
    sets = "state = 'succeeded', finished_at = statement_timestamp(), run_after = NULL, note = ''"
    params: list[Any] = []
    if arguments_changed is not None:
        sets += ", arguments = %s"
        params.append(Jsonb(arguments_changed))
    if not release_next_of_trainee:
        _finish(claim, sets, params, keep_lock=True)
        return []
    # The statement's snapshot still sees this job unfinished (a CTE's changes are not
    # visible to the rest of its statement), so it is left out of "earliest unfinished" by id.
    released = _execute(
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
        [*params, *_attempt(claim), claim.id, *CLAIMABLE, "blocked"],
    ).fetchall()
    _keep_lock(claim)
    return released


def reschedule(claim: Job, *, run_after: datetime, note: str, arguments: dict) -> None:
    # A reschedule is not a failed attempt: the attempt is given back.
    _finish(
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
        "state = %s, run_after = %s, finished_at = statement_timestamp(), error_status = %s, "
        "error_code = %s, error_title = %s, error_fields = %s, error_message = %s, errors = %s",
        [
            state,
            run_after,
            error.status,
            error.code,
            error.title,
            Jsonb(error.fields) if error.fields else None,
            error.message,
            Jsonb(errors),
        ],
    )
    return state


# What every outcome records of the attempt: its number, when it started, which session.
_ATTEMPT = "attempts = %s, started_at = %s, runner_pid = pg_backend_pid()"


def _attempt(claim: Job, attempts: int | None = None) -> list[Any]:
    return [claim.attempts if attempts is None else attempts, claim.started_at]


def _finish(
    claim: Job, sets: str, params: list, *, attempts: int | None = None, keep_lock: bool = False
) -> None:
    """Write the attempt's outcome, unless someone changed the row meanwhile (an operator
    cannot: a job's lock keeps its discard away), then let go of the lock."""
    _execute(
        f"UPDATE {TABLE} SET {sets}, {_ATTEMPT} WHERE id = %s AND {_IS_CLAIMABLE}",
        [*params, *_attempt(claim, attempts), claim.id, *CLAIMABLE],
    )
    if keep_lock:
        _keep_lock(claim)
    else:
        _unlock(claim)


def _keep_lock(claim: Job) -> None:
    """After a success the lock stays until this session's next claim, which releases it
    in the same round trip: releasing it now would cost a round trip per job."""
    _session.kept_lock = (claim.runner_pid, claim.id)


def _unlock(claim: Job) -> None:
    """Release the job's lock, after the outcome's commit (the worker runs in autocommit).
    If the job function reconnected to the database, the lock went with the old session."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None or db.connection.info.backend_pid != claim.runner_pid:
        return
    _execute("SELECT pg_advisory_unlock(%s)", [claim.id])


def release_next(*, trainee_id: int, queue: str) -> list[tuple[int, str]]:
    """The next blocked job of this trainee in this queue may run now that no earlier
    unfinished job holds it back. Returns (id, queue) rows, as ``publish_many`` takes them."""
    return _execute(
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


def _execute(statement: str, params: list) -> psycopg.Cursor:
    """Run a ledger statement on Django's own connection (its transaction and autocommit
    unchanged), prepared once per session: planning these statements on a large table with
    a dozen partial indexes costs more than running them. Django's own cursors bind
    parameters client-side and cannot prepare, hence a plain psycopg cursor."""
    cursor = psycopg.Cursor(_raw_connection())
    cursor.execute(statement, params, prepare=True)
    return cursor


def _raw_connection() -> psycopg.Connection:
    """psycopg's connection under Django's, connecting if need be."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None:
        db.ensure_connection()
    return db.connection
