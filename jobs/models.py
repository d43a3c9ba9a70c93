"""The job ledger: one row per job, the truth about it whatever Redis holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from regsupport.audit import AuditedModel

from . import registry

if TYPE_CHECKING:
    from .services import Discarded

# Errors kept on the row for the job page; the newest replace the oldest.
ERROR_HISTORY_LIMIT = 20


class JobQuerySet(models.QuerySet):
    """Shell and console helpers: ``dead_jobs().filter(error_status=405).retry(...)``."""

    def dead(self):
        return self.filter(state=Job.State.DEAD)

    def waiting(self):
        return self.filter(state__in=Job.WAITING_STATES)

    def unique_trainees(self) -> int:
        """How many trainees these jobs belong to. Grouped in trainee order, which
        PostgreSQL streams over an index on the trainee (for dead jobs, the dead (trainee,
        age) one) instead of hashing every trainee: 11-18 ms at 100,000 dead jobs, against
        15-26 ms for ``count(DISTINCT)``."""
        try:
            sql, params = (
                self.exclude(trainee_id=None)
                .order_by()
                .values("trainee_id")
                .query.sql_with_params()
            )
        except EmptyResultSet:
            return 0  # a filter no job can match (a value no column can hold)
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"""SELECT count(*) FROM (
                      SELECT trainee_id FROM ({sql}) jobs
                      GROUP BY trainee_id ORDER BY trainee_id) trainees""",
                params,
            )
            return cursor.fetchone()[0]

    def tally(self) -> dict[str, int]:
        rows = self.order_by().values_list("task_name").annotate(n=models.Count("id"))
        return {registry.label_for(name): n for name, n in rows}

    def retry(self, *, actor, reason: str | None = None) -> int:
        from .services import jobs_retry

        return jobs_retry(jobs=self, actor=actor, reason=reason)

    def discard(self, *, actor, reason: str) -> Discarded:
        from .services import jobs_discard

        return jobs_discard(jobs=self, actor=actor, reason=reason)


class Job(AuditedModel):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ENQUEUED = "enqueued", "Enqueued"
        # Never stored (migration 0004): a waiting job whose advisory lock a worker holds
        # is running (``is_running``); the claimed job a job function gets says so.
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Retrying"
        BLOCKED = "blocked", "Blocked"
        DEAD = "dead", "Dead"
        DISCARDED = "discarded", "Discarded"

    FINISHED_STATES = (State.SUCCEEDED, State.DISCARDED)
    WAITING_STATES = (State.SCHEDULED, State.ENQUEUED, State.RETRYING, State.BLOCKED)

    task_name = models.CharField("job type", max_length=100)
    arguments = models.JSONField(default=dict, blank=True)
    trainee = models.ForeignKey(
        "trainees.Trainee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_index=True,
    )
    queue = models.CharField(max_length=50, default="default")
    state = models.CharField(max_length=20, choices=State.choices, default=State.ENQUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    run_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The database session of the worker that ran its last attempt (jobs/ledger.py; while a
    # job runs, its worker's session holds the job's advisory lock instead).
    runner_pid = models.IntegerField(null=True, blank=True, editable=False)

    # The last error, parsed so the console filters with indexes, never by scanning text.
    error_status = models.IntegerField("error status", null=True, blank=True)
    error_code = models.IntegerField("error code", null=True, blank=True)
    error_title = models.CharField("error title", max_length=255, blank=True, default="")
    error_fields = models.JSONField("field errors", null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    # Earlier failed attempts, newest last: {attempt, at, status, code, title, message}.
    errors = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")

    discarded_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.TextField(blank=True, default="")

    # Only operator actions (retry, discard, duplicate clean-up) write history rows; the
    # worker's own bookkeeping does not (see docs/jobs.md, "What is audited"). The
    # arguments are kept: a fix may change them (poll again: the new deadline).
    history = HistoricalRecords(
        excluded_fields=["errors", "error_fields"],
        user_model=settings.AUTH_USER_MODEL,
    )
    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("retry_job", "Can retry dead jobs"),
            ("discard_job", "Can discard jobs"),
            ("inspect_queues", "Can inspect job queues"),
        ]
        indexes = [
            # Partial indexes only: a row moving enqueued -> succeeded then touches
            # few of them, which is most of the ledger's cost per job.
            models.Index(
                fields=["run_after"],
                name="jobs_due",
                condition=models.Q(state__in=["scheduled", "retrying"]),
            ),
            models.Index(
                fields=["enqueued_at"],
                name="jobs_enqueued_at",
                condition=models.Q(state="enqueued"),
            ),
            models.Index(
                fields=["trainee", "queue", "id"],
                name="jobs_unfinished_by_trainee",
                condition=~models.Q(state__in=["succeeded", "discarded"]),
            ),
            models.Index(
                fields=["finished_at"],
                name="jobs_succeeded_finished",
                condition=models.Q(state="succeeded"),
            ),
            # The dead-jobs console: every list query is one of these, on dead rows only.
            models.Index(
                fields=["created_at", "id"], name="jobs_dead_age", condition=models.Q(state="dead")
            ),
            models.Index(
                fields=["task_name", "created_at", "id"],
                name="jobs_dead_type_age",
                condition=models.Q(state="dead"),
            ),
            models.Index(
                fields=["error_status", "created_at", "id"],
                name="jobs_dead_status_age",
                condition=models.Q(state="dead"),
            ),
            models.Index(
                fields=["error_code", "created_at", "id"],
                name="jobs_dead_code_age",
                condition=models.Q(state="dead"),
            ),
            models.Index(
                fields=["trainee", "created_at", "id"],
                name="jobs_dead_trainee_age",
                condition=models.Q(state="dead"),
            ),
            models.Index(
                fields=["task_name", "trainee"],
                name="jobs_dead_type_trainee",
                condition=models.Q(state="dead"),
            ),
            models.Index(
                fields=["queue", "task_name", "state"],
                name="jobs_waiting",
                condition=models.Q(state__in=["scheduled", "enqueued", "retrying", "blocked"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_label} #{self.pk} ({self.get_state_display().lower()})"

    @property
    def type_label(self) -> str:
        return registry.label_for(self.task_name)

    @property
    def days_waiting(self) -> int:
        return (timezone.localdate() - timezone.localdate(self.created_at)).days

    @property
    def is_running(self) -> bool:
        """A worker is running it now: its row waits and a worker's session holds its lock."""
        if self.state not in self.WAITING_STATES:
            return self.state == self.State.RUNNING
        from .ledger import running_job_ids

        return self.pk in running_job_ids()

    @property
    def is_ordered(self) -> bool:
        try:
            return registry.get(self.task_name).ordered
        except registry.UnknownJobType:
            return False


class DeadJob(Job):
    """The dead-jobs console's list: same rows, shown the way a support agent needs them."""

    class Meta:
        proxy = True
        verbose_name = "dead job"
        verbose_name_plural = "dead jobs"
