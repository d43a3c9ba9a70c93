"""What every playbook management command shares: a required reason and an optional actor.

``--reason`` is stored on every history row the command writes. ``--actor`` names the
staff user (their console username) who ran it; without it the history shows the change as
made from the shell, as any ``manage.py shell`` change is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


def add_reason_and_actor_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--reason",
        required=True,
        help="Why this fix is being made (e.g. the ticket). Kept in the records' history.",
    )
    parser.add_argument(
        "--actor",
        metavar="USERNAME",
        default=None,
        help="Console username of the staff member running the fix, recorded in the history. "
        "Default: none, recorded as shell.",
    )


def resolve_actor(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not user.is_staff:
        raise CommandError(f"No active staff user with username '{username}'.")
    return user
