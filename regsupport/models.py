from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .audit import AuditedModel


class Console(models.Model):
    """Holds console-wide permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_settings", "Can view settings and feature flags"),
            ("run_playbook_fixes", "Can run support playbook fixes"),
            ("change_settings", "Can change feature flags from the console"),
        ]


class ConsoleSetting(AuditedModel):
    """A setting's value set from the console or the shell (``regsupport.flags``). It wins
    over the settings files and loses to an environment variable; every process reads
    these rows again every few seconds (``regsupport.config``).

    A row is never deleted: clearing the console's value makes it inactive, so each change,
    clearing included, is one history row with who, when, why and old -> new."""

    key = models.CharField(max_length=200, unique=True)
    value = models.JSONField(null=True, blank=True)
    # False once cleared: the files (or an environment variable) decide again.
    active = models.BooleanField(default=True)
    # The value in effect just before this change, whatever its source.
    previous_value = models.JSONField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}"
