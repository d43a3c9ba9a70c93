"""What the Apply integration keeps besides the applications themselves
(``trainees.ApplyApplication``): Publish's courses the import reads, one row per retrieval
from Apply, and the console's import runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from jobs.models import Job


class Course(models.Model):
    """A course a provider publishes, as Register imports it from Publish (Register's
    ``Course``, table ``courses``). An Apply application names its course by ``uuid``; the
    trainee made from it takes the course's route, phase and age range."""

    class Level(models.IntegerChoices):
        PRIMARY = 0, "Primary"
        SECONDARY = 1, "Secondary"

    uuid = models.UUIDField(unique=True)
    code = models.CharField(max_length=10)
    accredited_body_code = models.CharField(max_length=10, db_index=True)
    name = models.CharField(max_length=255)
    level = models.IntegerField(choices=Level.choices)
    # trainees.Trainee.TrainingRoute values (Register's TRAINING_ROUTES_FOR_COURSE).
    route = models.IntegerField()
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    recruitment_cycle_year = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["accredited_body_code", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.accredited_body_code})"


class ApplyApplicationSyncRequest(models.Model):
    """One retrieval of applications from Apply for one recruitment cycle year: every page
    answered 200 (``successful``), or the first answer that was not (Register's
    ``ApplyApplicationSyncRequest``). The newest successful one's time is the next
    retrieval's ``changed_since``."""

    recruitment_cycle_year = models.IntegerField(null=True, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    successful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Apply sync request"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["recruitment_cycle_year", "successful", "-created_at"],
                name="apply_sync_year_ok_created",
            )
        ]

    def __str__(self) -> str:
        outcome = "successful" if self.successful else f"failed ({self.response_code})"
        return f"Sync {self.recruitment_cycle_year} at {self.created_at:%Y-%m-%d %H:%M} {outcome}"


class ImportRun(models.Model):
    """One start of the two Apply jobs from the console, and every job it led to, so its
    page can follow them until they end. A playbook re-import also keeps the group it
    re-imported (body code, year, apply ids) and whether Apply's choices were touched."""

    accredited_body_code = models.CharField(max_length=10, blank=True)
    recruitment_cycle_year = models.IntegerField()
    apply_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    touched_in_apply = models.BooleanField(
        default=False, help_text="The console touched the application choices in Apply itself"
    )
    reason = models.TextField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the import jobs were started"
    )
    jobs = models.ManyToManyField(Job, blank=True, related_name="apply_runs")

    class Meta:
        verbose_name = "Apply import run"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        if self.accredited_body_code:
            return (
                f"Re-import of {self.accredited_body_code} {self.recruitment_cycle_year} "
                f"({len(self.apply_ids)} applications)"
            )
        return f"Apply import {self.recruitment_cycle_year}"

    @property
    def is_reimport(self) -> bool:
        return bool(self.accredited_body_code)
