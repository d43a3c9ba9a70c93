"""Who may run playbook fixes: holders of ``trainees.run_playbook_fixes`` (support agents
and developers get it through their roles). Checked by every fix view and admin action."""

from django.core.exceptions import PermissionDenied

PLAYBOOK_PERMISSION = "trainees.run_playbook_fixes"
REFUSED = "Only support agents and developers may run playbook fixes."


def can_run_playbook_fixes(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PLAYBOOK_PERMISSION))


def require_playbook_permission(request) -> None:
    if not can_run_playbook_fixes(request.user):
        raise PermissionDenied(REFUSED)


class PlaybookFixesAdminMixin:
    """Lets ``allowed_permissions = ("run_playbook_fixes",)`` guard admin actions."""

    def has_run_playbook_fixes_permission(self, request) -> bool:
        return can_run_playbook_fixes(request.user)
