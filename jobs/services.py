"""Every state change a person or the scheduler makes to jobs.

Operator actions (retry, discard, duplicate clean-up) write a history row each, with the
actor and the reason. Refusals raise :class:`jobs.errors.JobError` with a message for a
support agent, and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from regsupport.audit import audit_context, clean_reason
from regsupport.config import settings as app_settings
from regsupport.dates import uk_datetime

from . import ledger, registry
from .errors import JobError
from .models import Job
from .publish import publish, publish_many

RETRY_REASON = "Retried from the dead-jobs console"
BULK_BATCH = 2000


def enqueue(
    task_name: str, *, arguments: dict, trainee=None, run_after: datetime | None = None
) -> Job:
    """Insert the job in the caller's transaction; the message goes out only on commit."""
    now = timezone.now()
    later = run_after is not None and run_after > now
    job = _new_job(task_name, arguments, now=now, run_after=run_after if later else None)
    job.trainee = trainee
    # A new job is not an operator action: its history starts with the first retry/discard.
    job.skip_history_when_saving = True
    job.save()
    del job.skip_history_when_saving
    countdown = (run_after - now).total_seconds() if run_after is not None and later else None
    transaction.on_commit(partial(publish, job.pk, job.queue, countdown=countdown))
    return job


def enqueue_many(task_name: str, *, jobs: Iterable[tuple[int, dict]]) -> list[Job]:
    """Insert one job per ``(trainee id, arguments)`` in the caller's transaction, in batches
    (a bulk resync queues tens of thousands), and send their messages in one pipeline on
    commit. The order given is the order they run in, per trainee as for ``enqueue``."""
    now = timezone.now()
    rows = []
    for trainee_id, arguments in jobs:
        job = _new_job(task_name, arguments, now=now)
        job.trainee_id = trainee_id
        rows.append(job)
    created = Job.objects.bulk_create(rows, batch_size=BULK_BATCH)
    messages = [(job.pk, job.queue) for job in created]
    transaction.on_commit(lambda: publish_many(messages))
    return created


def _new_job(
    task_name: str, arguments: dict, *, now: datetime, run_after: datetime | None = None
) -> Job:
    job_type = registry.get(task_name)
    return Job(
        task_name=task_name,
        arguments=arguments,
        queue=job_type.queue,
        max_attempts=job_type.max_attempts,
        state=Job.State.SCHEDULED if run_after else Job.State.ENQUEUED,
        run_after=run_after,
        enqueued_at=None if run_after else now,
        created_at=now,
    )


def _require_actor_reason(reason: str | None, default: str) -> str:
    return clean_reason(reason or default)


@transaction.atomic
def job_retry(*, job: Job, actor, reason: str | None = None, arguments: dict | None = None) -> Job:
    """Run a dead job again, with a fresh set of attempts (and ``arguments``, when given,
    recorded on the same history row as the retry)."""
    reason = _require_actor_reason(reason, RETRY_REASON)
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state != Job.State.DEAD:
        raise JobError(
            f"Job {job.pk} is {job.get_state_display().lower()}, not dead: "
            "only dead jobs can be retried."
        )
    record_worker_changes([job.pk])
    _mark_retried(job)
    if arguments is not None:
        job.arguments = arguments
    with audit_context(job, reason=reason, actor=actor):
        job.save()
    transaction.on_commit(partial(publish, job.pk, job.queue))
    return job


def _mark_retried(job: Job) -> None:
    try:
        per_run = registry.get(job.task_name).max_attempts
    except registry.UnknownJobType:
        per_run = 1
    job.state = Job.State.ENQUEUED
    job.max_attempts = job.attempts + per_run
    job.enqueued_at = timezone.now()
    job.run_after = None
    job.note = ""


@transaction.atomic
def job_discard(*, job: Job, actor, reason: str) -> Job:
    """Give up on a job (a soft delete): it stays in the ledger and its history says why."""
    reason = clean_reason(reason)
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state == Job.State.DISCARDED:
        when = uk_datetime(job.discarded_at) if job.discarded_at else "an unknown date"
        raise JobError(f"Job {job.pk} was already discarded on {when}.")
    if job.state in (Job.State.SUCCEEDED, Job.State.RUNNING):
        raise JobError(
            f"Job {job.pk} is {job.get_state_display().lower()}: "
            "only jobs that are waiting or dead can be discarded."
        )
    # Held until this transaction ends, so no worker can start it while it is discarded.
    if not ledger.lock_if_idle(job.pk):
        raise JobError(
            f"Job {job.pk} is running: a worker is doing it now. "
            "Wait for it to finish, then discard it if it is dead."
        )
    record_worker_changes([job.pk])
    _mark_discarded(job, reason)
    with audit_context(job, reason=reason, actor=actor):
        job.save()
    _release_after_commit([job])
    return job


def _mark_discarded(job: Job, reason: str) -> None:
    job.state = Job.State.DISCARDED
    job.discarded_at = timezone.now()
    job.discard_reason = reason
    job.finished_at = job.discarded_at


def _save_discarded(jobs: list[Job], *, actor, reason: str | None = None) -> None:
    """Write jobs marked by ``_mark_discarded``, with a history row each: ``reason`` for
    all, or each job's own ``_change_reason`` when it is None."""
    record_worker_changes([job.pk for job in jobs])
    bulk_update_with_history(
        jobs,
        Job,
        ["state", "discarded_at", "discard_reason", "finished_at"],
        batch_size=BULK_BATCH,
        default_user=actor,
        default_change_reason=reason,
    )


def jobs_retry(*, jobs, actor, reason: str | None = None) -> int:
    """Retry every dead job in ``jobs`` (a queryset: the console's filter, a selection or a
    shell query), oldest first so each trainee's earlier jobs run first.

    Set-based: one UPDATE and one INSERT into the history table per batch, so retrying
    10,000 jobs after an outage takes seconds; each job still gets its history row with the
    actor and the reason, as a single retry does.
    """
    reason = _require_actor_reason(reason, RETRY_REASON)
    ids = list(jobs.filter(state=Job.State.DEAD).order_by("id").values_list("id", flat=True))
    if not ids:
        raise JobError("None of these jobs is dead, so there is nothing to retry.")
    attempts_per_run = {t.name: t.max_attempts for t in registry.all_types()}
    retried: list[tuple[int, str]] = []
    at = timezone.now()  # every history row of this retry: the console finds them by it
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), BULK_BATCH):
            # Before the update: the rows as the workers left them.
            record_worker_changes(ids[start : start + BULK_BATCH], at=at)
            cursor.execute(
                """
                UPDATE jobs_job j SET state = 'enqueued', enqueued_at = statement_timestamp(),
                       run_after = NULL, note = '',
                       max_attempts = j.attempts + coalesce(
                           (%s::jsonb ->> j.task_name)::int, 1)
                WHERE j.id = ANY(%s) AND j.state = 'dead'
                RETURNING j.id, j.queue""",
                [json.dumps(attempts_per_run), ids[start : start + BULK_BATCH]],
            )
            batch = sorted(cursor.fetchall())
            _history_rows(
                cursor, [job_id for job_id, _ in batch], reason=reason, actor=actor, at=at
            )
            retried.extend(batch)
        transaction.on_commit(partial(publish_many, retried))
    return len(retried)


def _history_columns() -> list[str]:
    """The job's columns its history rows copy (all but simple-history's own)."""
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
    return [f.column for f in Job.history.model._meta.concrete_fields if f.column not in own]


WORKER_CHANGES_REASON = "Recorded by the workers while running the job (attempts, errors)"


def record_worker_changes(ids: list[int], *, at: datetime | None = None) -> None:
    """Before an operator changes these jobs: a history row by no one (the system) for each
    job the workers changed since its last history row. Workers write no history, so
    without it the operator's row would show the workers' attempts and errors as the
    operator's changes. ``at``: the operator's rows' time, when they share one (a bulk
    retry)."""
    if not ids:
        return
    history = Job.history.model._meta.db_table
    columns = _history_columns()
    listed = ", ".join(columns)
    current = ", ".join(f"j.{c}" for c in columns)
    recorded = ", ".join(f"h.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {history}
                ({listed}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {current}, %s, %s, '~', NULL
            FROM jobs_job j
            JOIN LATERAL (SELECT * FROM {history} WHERE id = j.id
                          ORDER BY history_date DESC, history_id DESC LIMIT 1) h ON true
            WHERE j.id = ANY(%s) AND ROW({current}) IS DISTINCT FROM ROW({recorded})
            ORDER BY j.id""",
            # A microsecond before the operator's rows: ``prev_record`` and the history
            # page order by time alone, and would otherwise skip one of two equal times.
            [(at or timezone.now()) - timedelta(microseconds=1), WORKER_CHANGES_REASON, list(ids)],
        )


def _history_rows(cursor, ids: list[int], *, reason: str, actor, at: datetime) -> None:
    """One history row per job, as simple-history would write on save (type "~"), all at
    one time ``at``: the console finds a bulk retry's jobs by it
    (``jobs.selectors.retry_batch``)."""
    history = Job.history.model
    listed = ", ".join(_history_columns())
    cursor.execute(
        f"""
        INSERT INTO {history._meta.db_table}
            ({listed}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {listed}, %s, %s, '~', %s FROM jobs_job
        WHERE id = ANY(%s) ORDER BY id""",
        [at, reason, getattr(actor, "pk", None), ids],
    )


@dataclass(frozen=True)
class Discarded:
    """What a bulk discard did: how many jobs it discarded, and how many it left alone
    because a worker was running them."""

    count: int
    running: int = 0

    def describe(self) -> str:
        text = f"{self.count} jobs discarded. They stay in the ledger with your reason."
        if self.running:
            text += (
                f" {self.running} skipped: a worker is running them now. Discard them once "
                "they have finished, if they are dead."
            )
        return text


# Discarding a waiting job holds its lock until the commit, and PostgreSQL's lock table
# holds a few thousand locks across all sessions (max_locks_per_transaction x connections).
MAX_WAITING_DISCARD = 2000


def jobs_discard(*, jobs, actor, reason: str) -> Discarded:
    """Discard every job in ``jobs`` that is dead or waiting (not enqueued), skipping the
    ones a worker is running, in one transaction.

    A waiting job is locked as ``job_discard`` locks one (its advisory lock, held until the
    commit), so no worker can start it while it is discarded; if a worker holds the lock,
    the job is running and is skipped. A dead job takes no lock: no worker runs a dead job
    (a claim finds it not runnable) and its row lock keeps a retry out, so a list of any
    size can be discarded at once.
    """
    reason = clean_reason(reason)
    discardable = (Job.State.DEAD, Job.State.BLOCKED, Job.State.SCHEDULED, Job.State.RETRYING)
    with transaction.atomic():
        # Without the list's joins (trainee, provider): PostgreSQL locks no outer join's rows.
        rows = jobs.select_related(None).select_for_update().filter(state__in=discardable)
        candidates = list(rows.order_by("id"))
        waiting = [job.pk for job in candidates if job.state != Job.State.DEAD]
        if len(waiting) > MAX_WAITING_DISCARD:
            raise JobError(
                f"These are {len(waiting):,} waiting jobs; discard at most "
                f"{MAX_WAITING_DISCARD:,} at a time (each is locked so that no worker starts "
                "it meanwhile). Narrow the selection, e.g. by trainee or job type."
            )
        idle = _lock_if_idle(waiting)
        batch = [job for job in candidates if job.state == Job.State.DEAD or job.pk in idle]
        running = len(candidates) - len(batch)
        if not batch:
            raise JobError(
                "None of these jobs can be discarded (already discarded, finished or "
                f"running{f': {running} running now' if running else ''})."
            )
        for job in batch:
            _mark_discarded(job, reason)
        _save_discarded(batch, actor=actor, reason=reason)
        _release_after_commit(batch)
    return Discarded(count=len(batch), running=running)


def _lock_if_idle(ids: list[int]) -> set[int]:
    """``ledger.lock_if_idle`` for many jobs in one statement: take each job's lock for the
    rest of the transaction unless a worker holds it; the ids locked."""
    if not ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_xact_lock(id)",
            [ids],
        )
        return {row[0] for row in cursor.fetchall()}


def _release_after_commit(jobs: list[Job]) -> None:
    """Jobs waiting behind the ones just discarded may run now."""
    keys = {(j.trainee_id, j.queue) for j in jobs if j.trainee_id and j.is_ordered}
    if keys:
        transaction.on_commit(partial(_release, keys))


def _release(keys) -> None:
    released = []
    for trainee_id, queue in keys:
        released += ledger.release_next(trainee_id=trainee_id, queue=queue)
    publish_many(released)


# --- the scheduler (beat) ---------------------------------------------------------------


def sweep(*, lost_after: timedelta | None = None, limit: int = 10_000) -> dict[str, int]:
    """Send every job that should be running and is not: due scheduled/retrying jobs,
    enqueued jobs no worker picked up (the broker lost them, or their worker died and
    its message went with it), and blocked jobs nothing holds back any more. A job a
    worker is running (its advisory lock is held) is left alone."""
    if lost_after is None:
        lost_after = timedelta(minutes=float(app_settings.get("jobs.enqueued_lost_after_minutes")))
    ordered = sorted(registry.ordered_task_names())
    statements = {
        "due": """
            UPDATE jobs_job SET state = 'enqueued', enqueued_at = statement_timestamp()
            WHERE id IN (SELECT id FROM jobs_job
                         WHERE state IN ('scheduled', 'retrying') AND run_after <= statement_timestamp()
                           AND NOT (id = ANY(%(running)s))
                         ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
            RETURNING id, queue""",
        "lost": """
            UPDATE jobs_job SET enqueued_at = statement_timestamp()
            WHERE id IN (SELECT id FROM jobs_job
                         WHERE state = 'enqueued' AND enqueued_at <= statement_timestamp() - %(lost)s
                           AND NOT (id = ANY(%(running)s))
                         ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
            RETURNING id, queue""",
        "unblocked": """
            UPDATE jobs_job SET state = 'enqueued', enqueued_at = statement_timestamp(), note = ''
            WHERE id IN (SELECT j.id FROM jobs_job j
                         WHERE j.state = 'blocked' AND NOT (j.id = ANY(%(running)s)) AND (
                           j.trainee_id IS NULL OR NOT (j.task_name = ANY(%(ordered)s))
                           OR NOT EXISTS (
                             SELECT 1 FROM jobs_job e
                             WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue
                               AND e.id < j.id AND e.state NOT IN ('succeeded', 'discarded')))
                         ORDER BY j.id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
            RETURNING id, queue""",
    }
    params: dict[str, Any] = {"limit": limit, "lost": lost_after, "ordered": ordered}
    counts = {}
    for name, sql in statements.items():
        # Read just before each statement: a job whose worker is running it keeps its state.
        params["running"] = sorted(ledger.running_job_ids())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = sorted(cursor.fetchall())
        counts[name] = publish_many(rows) if rows else 0
    return counts


# --- clean-ups --------------------------------------------------------------------------


def remove_dead_duplicates(*, actor=None) -> int:
    """Discard dead jobs that repeat an earlier dead job of the same type, trainee and error
    status (Register's remove-dead-duplicates job); the earliest one stays."""
    with transaction.atomic():
        duplicates = list(
            Job.objects.select_for_update()
            .filter(
                pk__in=_raw_ids(
                    """
                    SELECT id FROM (
                      SELECT id, row_number() OVER (
                        PARTITION BY task_name, trainee_id, error_status ORDER BY id) AS n,
                        first_value(id) OVER (
                        PARTITION BY task_name, trainee_id, error_status ORDER BY id) AS first
                      FROM jobs_job WHERE state = 'dead' AND trainee_id IS NOT NULL) d
                    WHERE n > 1"""
                )
            )
            .order_by("id")
        )
        firsts = dict(
            (
                (j.task_name, j.trainee_id, j.error_status),
                j.pk,
            )
            for j in Job.objects.filter(
                state=Job.State.DEAD,
                trainee_id__in={d.trainee_id for d in duplicates},
            ).order_by("-id")
        )
        for job in duplicates:
            first = firsts.get((job.task_name, job.trainee_id, job.error_status))
            _mark_discarded(job, f"Duplicate of dead job {first} (same type, trainee and error)")
            job._change_reason = job.discard_reason
        _save_discarded(duplicates, actor=actor)
    return len(duplicates)


def purge_succeeded_jobs(*, older_than_days: int | None = None) -> int:
    """Delete succeeded jobs past the retention limit (``jobs.succeeded_retention_days``).

    These rows are the scheduler's bookkeeping, not records anyone changed, so they go
    without a history row each; any history they have (an operator retried them) stays.
    """
    if older_than_days is None:
        older_than_days = int(app_settings.get("jobs.succeeded_retention_days"))
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                """DELETE FROM jobs_job WHERE id IN (
                       SELECT id FROM jobs_job WHERE state = 'succeeded' AND finished_at < %s
                       LIMIT 10000)""",
                [cutoff],
            )
            if cursor.rowcount == 0:
                return deleted
            deleted += cursor.rowcount


def _raw_ids(sql: str, params=None) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return [row[0] for row in cursor.fetchall()]
