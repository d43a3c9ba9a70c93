import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from regsupport.audit import AuditedModel
from trainees.models import Trainee


class TrnRequest(AuditedModel):
    """One TRN request per trainee; ``request_id`` is ours, made before the first call, so a
    retried registration is the same request to DQT (its PUT is get-or-create)."""

    class State(models.IntegerChoices):
        REQUESTED = 0, "Requested"
        RECEIVED = 1, "Received"
        FAILED = 2, "Failed"

    trainee = models.OneToOneField(
        Trainee, on_delete=models.CASCADE, related_name="dqt_trn_request"
    )
    request_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    response = models.JSONField(null=True, blank=True)
    state = models.IntegerField(choices=State.choices, default=State.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "TRN request"

    def __str__(self) -> str:
        return f"TRN request {self.request_id} ({self.get_state_display()})"

    @property
    def days_waiting(self) -> int:
        return (timezone.localdate() - timezone.localdate(self.created_at)).days


class DqtTeacher(models.Model):
    """Our copy of what an update needs to know of DQT's teacher: whether DQT takes personal
    details from Register for them (``allowPIIUpdates``). Register kept the same copy
    (``dqt_teachers.allowed_pii_updates``, refreshed weekly by ``Dqt::SyncTeachersJob``) and
    its update job made no other call; ours is refreshed by the update itself when older than
    ``dqt.teacher_copy_max_age_days``. DQT's data, written only by DQT jobs: not audited."""

    trn = models.CharField(max_length=7, primary_key=True)
    allow_pii_updates = models.BooleanField()
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "DQT teacher (copy)"

    def __str__(self) -> str:
        return f"DQT teacher {self.trn}"


class Resync(models.Model):
    """A bulk resync: one DQT update queued for every sendable trainee a filter matched,
    with who asked, why, and what was left out. Its jobs are in ``entries``; the progress
    is read from their states (``dqt.services.dqt_resync_progress``)."""

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField()
    description = models.CharField(
        "trainees", max_length=500, help_text="The filter the trainees were chosen by"
    )
    matched = models.PositiveIntegerField(help_text="Trainees the filter matched")
    queued = models.PositiveIntegerField(help_text="Updates queued")
    skipped = models.JSONField(
        default=dict, blank=True, help_text="Trainees left out, by why: DQT takes no update"
    )

    class Meta:
        verbose_name = "DQT resync"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Resync {self.pk}: {self.queued} update(s), {self.description}"


class ResyncJob(models.Model):
    """Which job a resync queued: the link its progress is counted by."""

    resync = models.ForeignKey(Resync, on_delete=models.CASCADE, related_name="entries")
    # A purged (succeeded) job takes its link with it; the progress counts it as done.
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="resync_entry")
