from django.db import models


class Console(models.Model):
    """Holds console-wide permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_settings", "Can view settings and feature flags"),
            ("run_playbook_fixes", "Can run support playbook fixes"),
        ]
