"""Console roles. Groups are created by a data migration and kept in step after every
``migrate`` (later apps add models and permissions)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

SUPPORT_AGENT = "Support agent"
DEVELOPER = "Developer"

# Apps whose every model support agents can see.
VIEW_APPS = ("trainees", "providers", "dqt", "jobs", "apply")
SUPPORT_EXTRA = [
    ("trainees", "change_trainee"),
    # The settings page, read-only: changing a flag is a developer's (change_settings).
    ("regsupport", "view_settings"),
    ("regsupport", "run_playbook_fixes"),
    ("jobs", "retry_job"),
    ("jobs", "discard_job"),
]
DEVELOPER_EXTRA = [
    ("regsupport", "change_settings"),
    ("jobs", "inspect_queues"),
    # Queue a DQT update for every trainee a filter matches (dqt.services.dqt_resync).
    ("dqt", "add_resync"),
    # Login lockouts (django-axes): see them, and unlock by deleting the attempts.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("axes", "view_accesslog"),
    ("axes", "view_accessfailurelog"),
]


def role_permissions(role: str) -> Q:
    query = Q(content_type__app_label__in=VIEW_APPS, codename__startswith="view_")
    extra = list(SUPPORT_EXTRA)
    if role == DEVELOPER:
        extra += DEVELOPER_EXTRA
    for app_label, codename in extra:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_role_permissions() -> None:
    for role in (SUPPORT_AGENT, DEVELOPER):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(role_permissions(role)))


def sync_role_permissions_after_migrate(sender, **kwargs) -> None:
    # Permissions exist only after every app's post_migrate has run create_permissions;
    # ours is registered first (regsupport is listed first), so make sure they are there.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    sync_role_permissions()
