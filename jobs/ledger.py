"""The worker's bookkeeping on the ledger: claim a job, record how its attempt ended.

This is the hot path (every job passes here two or three times), so it is plain SQL on
the row, one statement per step, and it writes no history rows: the state changes a
worker makes are facts about the job, kept on the row itself (attempts, errors, times).
History is kept for what people do to jobs (retry, discard), see ``services``.

A job runs at most once at a time: a worker flips the row to ``running`` only from a
runnable state (compare-and-set) and stamps it with its database session's pid. A
``running`` row is runnable again only once that session is gone (the worker died). A second copy of the message, from the
sweeper or from Redis redelivering, finds the lock taken or the state wrong and is dropped.
"""

from __future__ import annotations

import json
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.db import connection
from django.utils import timezone

from .models import ERROR_HISTORY_LIMIT, Job

# Times in SQL are statement_timestamp(), not now(): now() is the start of the transaction,
# which is not "now" for a statement inside a long one.
TABLE = "jobs_job"
UNFINISHED = "('succeeded', 'discarded')"


# A `running` row whose worker's database session is gone was left by a worker that died
# mid-job: that session (pid and start time, stored at claim) no longer exists.
RUNNER_GONE = """NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a
    WHERE a.pid = {t}.runner_pid AND a.backend_start <= {t}.started_at)"""


_COLUMNS = ", ".join(f"j.{f.column}" for f in Job._meta.concrete_fields)
_CLAIM = f"""
    UPDATE {TABLE} j SET state = 'running', started_at = statement_timestamp(),
           attempts = attempts + 1, finished_at = NULL, runner_pid = pg_backend_pid()
    WHERE j.id = %s AND {{condition}}
    RETURNING {_COLUMNS}"""
_RUNNABLE = """(j.state IN ('enqueued', 'blocked')
    OR (j.state IN ('scheduled', 'retrying') AND j.run_after <= statement_timestamp()))"""
# No earlier unfinished job of the same trainee in the same queue holds this one back.
_NOT_HELD_BACK = f"""(j.trainee_id IS NULL OR NOT (j.task_name = ANY(%s)) OR NOT EXISTS (
        SELECT 1 FROM {TABLE} e
        WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
          AND e.state NOT IN {UNFINISHED}))"""
# The common case, ordered types included: a runnable job nothing holds back.
CLAIM_RUNNABLE = _CLAIM.format(condition=f"{_RUNNABLE} AND {_NOT_HELD_BACK}")
# The rare one: a `running` row whose worker's session is gone is claimed again.
CLAIM_ANY = _CLAIM.format(
    condition=f"""({_RUNNABLE} OR (j.state = 'running' AND {RUNNER_GONE.format(t="j")}))
      AND {_NOT_HELD_BACK}"""
)


def claim(job_id: int, *, ordered_types: list[str]) -> Job | str:
    """Flip the job to running and return it, or say why not ("not runnable", "blocked").
    ``ordered_types``: job types whose queue keeps each trainee's jobs in order.

    Compare-and-set: the row changes only from a runnable state, so of two messages for
    the same job one claims it and the other finds it running (its worker alive) or
    finished, and is dropped. The statement without the dead-worker check is tried first:
    it costs half of the full one, and every job but one left by a dead worker passes it
    (ordered types included, so a DQT job is claimed in one statement, not two).
    """
    row = None
    with _prepared() as cursor:
        for statement in (CLAIM_RUNNABLE, CLAIM_ANY):
            cursor.execute(statement, [job_id, ordered_types])
            row = cursor.fetchone()
            if row is not None:
                break
    if row is not None:
        names = [f.attname for f in Job._meta.concrete_fields]
        values = [
            _json(v) if n in ("arguments", "errors", "error_fields") else v
            for n, v in zip(names, row, strict=True)
        ]
        return Job.from_db(connection.alias, names, values)
    blocked = bool(ordered_types) and _wait_behind_earlier(job_id, ordered_types)
    return "blocked" if blocked else "not runnable"


def _wait_behind_earlier(job_id: int, ordered_types: list[str]) -> bool:
    """Park a runnable job that an earlier unfinished job of its trainee holds back."""
    with _prepared() as cursor:
        cursor.execute(
            f"""
            UPDATE {TABLE} j SET state = 'blocked', note = 'waiting for job ' || (
                SELECT min(e.id) FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            WHERE j.id = %s AND j.state IN ('enqueued', 'blocked', 'running')
              AND j.task_name = ANY(%s) AND EXISTS (
                SELECT 1 FROM {TABLE} e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN {UNFINISHED})
            RETURNING id""",
            [job_id, ordered_types],
        )
        return cursor.fetchone() is not None


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
        _finish(claim, sets, params)
        return []
    # The statement's snapshot still sees this job unfinished (a CTE's changes are not
    # visible to the rest of its statement), so it is left out of "earliest unfinished" by id.
    with _prepared() as cursor:
        cursor.execute(
            f"""
            WITH done AS (
              UPDATE {TABLE} SET {sets}
              WHERE id = %s AND state = 'running' AND runner_pid = %s
              RETURNING id, trainee_id, queue)
            UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            FROM done
            WHERE j.id = (
                SELECT b.id FROM {TABLE} b
                WHERE b.trainee_id = done.trainee_id AND b.queue = done.queue
                  AND b.id <> done.id AND b.state NOT IN {UNFINISHED}
                ORDER BY b.id LIMIT 1)
              AND j.state = 'blocked'
            RETURNING j.id, j.queue""",
            [*params, claim.id, claim.runner_pid],
        )
        return list(cursor.fetchall())


def reschedule(claim: Job, *, run_after: datetime, note: str, arguments: dict) -> None:
    # A reschedule is not a failed attempt: give the attempt back.
    _finish(
        claim,
        "state = 'scheduled', attempts = attempts - 1, run_after = %s, note = %s, "
        "arguments = %s::jsonb, finished_at = NULL",
        [run_after, note[:255], json.dumps(arguments)],
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


def _finish(claim: Job, sets: str, params: list) -> None:
    # Only while the row is still ours: running, claimed by the session that claimed it
    # (compared with the stored pid, not this statement's, in case the job function
    # reconnected to the database meanwhile).
    with _prepared() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET {sets} WHERE id = %s AND state = 'running' AND runner_pid = %s",
            [*params, claim.id, claim.runner_pid],
        )


def release_next(*, trainee_id: int, queue: str) -> list[tuple[int, str]]:
    """The next blocked job of this trainee in this queue may run now that no earlier
    unfinished job holds it back."""
    with _prepared() as cursor:
        cursor.execute(
            f"""
            UPDATE {TABLE} j SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            WHERE j.id = (
                SELECT b.id FROM {TABLE} b
                WHERE b.trainee_id = %s AND b.queue = %s AND b.state NOT IN {UNFINISHED}
                ORDER BY b.id LIMIT 1)
              AND j.state = 'blocked'
            RETURNING id, queue""",
            [trainee_id, queue],
        )
        return list(cursor.fetchall())


# Django opens psycopg connections with prepare_threshold=None, which makes psycopg ignore
# even an explicit prepare=True, and its cursors bind parameters client-side, which cannot
# prepare at all. The ledger's statements go through a server-binding cursor on a
# connection whose threshold is raised so high that only they (prepare=True) are prepared:
# everything else Django runs on that connection stays unprepared, as before.
EXPLICIT_ONLY = 2**31 - 1


@contextmanager
def _prepared():
    """A cursor whose statements are prepared once per database session.

    Planning these statements (a 1,000,000-row table with a dozen partial indexes) costs
    more than running them: measured in one process, a claim took 0.5-0.7 ms unprepared
    and 0.2 ms prepared. Uses Django's own connection, so transactions and autocommit are
    Django's.
    """
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = EXPLICIT_ONLY
    with psycopg.Cursor(raw) as cursor:
        yield _PreparingCursor(cursor)


class _PreparingCursor:
    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql, params):
        return self._cursor.execute(sql, params, prepare=True)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value
