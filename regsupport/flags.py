"""Feature flags changed from the console or the shell: the services behind the settings
page's "Change" form and ``settings.set(...)`` / ``settings.clear(...)``.

A console value wins over the settings files and loses to an environment variable (the
order is in ``regsupport.config``). Every change carries an actor and a reason and is one
history row of :class:`~regsupport.models.ConsoleSetting`: who, when, why, old -> new.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from .audit import clean_reason
from .config import ConsoleValue, current_environment, parse_env_value, settings
from .errors import Refusal
from .models import ConsoleSetting

logger = logging.getLogger(__name__)

# Only feature flags change at run time; integration settings (URLs, keys) stay with the
# deployment, where a secret never passes through a web form.
CHANGEABLE_PREFIX = "features."
SIGN_IN_METHODS = ("password", "otp", "persona")
# Signing in by picking a user has no secret at all: never in production.
DEVELOPMENT_ONLY_VALUES = {"features.sign_in_method": ("persona",)}
CHOICES = {"features.sign_in_method": SIGN_IN_METHODS}


class SettingRefused(Refusal):
    """A console change of a setting was refused; nothing was stored."""


def changeable(key: str) -> bool:
    return key.startswith(CHANGEABLE_PREFIX) and key in settings.file_entries()


def choices(key: str) -> tuple[Any, ...] | None:
    """The values a flag takes, for the page's select: its choices, or true/false."""
    if key in CHOICES:
        return CHOICES[key]
    if isinstance(settings.file_entries()[key].value, bool):
        return (True, False)
    return None


def refuse_value(key: str, value: Any, *, environment: str) -> str | None:
    """Why ``value`` cannot be ``key``'s value in ``environment``, or None when it can.
    Shared by the console and by the start-up check of the files and environment."""
    allowed = CHOICES.get(key)
    if allowed is not None and value not in allowed:
        return f"{key} cannot be {value!r}: use one of {', '.join(allowed)}."
    if environment == "production" and value in DEVELOPMENT_ONLY_VALUES.get(key, ()):
        return f"{key} cannot be {value!r} in production: it is for development and tests only."
    return None


def coerce(key: str, value: Any) -> Any:
    """``value`` as ``key``'s type (text from a form is parsed as an environment variable's
    text is: ``true``, ``false``, numbers), or a refusal saying what is expected."""
    if not changeable(key):
        raise SettingRefused(
            f"{key!r} cannot be changed from the console: only feature flags "
            f"({CHANGEABLE_PREFIX}…) that config/settings.yml defines can."
        )
    current = settings.file_entries()[key].value
    if isinstance(value, str):
        value = value.strip() if isinstance(current, str) else parse_env_value(value)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise SettingRefused(f"{key} is on or off: give true or false, not {value!r}.")
    if current is not None and not isinstance(value, type(current)):
        raise SettingRefused(f"{key} takes a {type(current).__name__}, not {value!r}.")
    if (why := refuse_value(key, value, environment=settings.environment)) is not None:
        raise SettingRefused(why)
    return value


def _actor(actor: Any) -> Any:
    if actor is None or actor == "":
        raise SettingRefused("Say who is making this change: give actor= a user or a username.")
    if isinstance(actor, str):
        try:
            return get_user_model().objects.get(username=actor)
        except get_user_model().DoesNotExist:
            raise SettingRefused(f"There is no user {actor!r} to record as the actor.") from None
    return actor


@transaction.atomic
def console_setting_set(*, key: str, value: Any, actor: Any, reason: str) -> ConsoleSetting:
    """Give ``key`` a console value. Refused, changing nothing, for a key that is not a
    feature flag, a value of the wrong type or not allowed here, or no change at all."""
    reason = clean_reason(reason)
    user = _actor(actor)
    value = coerce(key, value)
    row = ConsoleSetting.objects.select_for_update().filter(key=key).first()
    in_effect = settings.entries[key]
    if row is not None and row.active and row.value == value:
        raise SettingRefused(f"{key} is already {value!r} in the console; nothing changed.")
    row = row or ConsoleSetting(key=key)
    row.previous_value = in_effect.value
    row.value = value
    row.active = True
    row.changed_by = user
    row.save_with_reason(reason, actor=user)
    _refresh_this_process()
    return row


@transaction.atomic
def console_setting_clear(*, key: str, actor: Any, reason: str) -> ConsoleSetting:
    """Remove ``key``'s console value, so the files (or the environment) decide again."""
    reason = clean_reason(reason)
    user = _actor(actor)
    row = ConsoleSetting.objects.select_for_update().filter(key=key, active=True).first()
    if row is None:
        raise SettingRefused(f"{key} has no console value to clear.")
    row.previous_value = row.value
    row.value = settings.file_entries()[key].value
    row.active = False
    row.changed_by = user
    row.save_with_reason(reason, actor=user)
    _refresh_this_process()
    return row


def _refresh_this_process() -> None:
    # This process reads the change at once (its own transaction sees it) and again after
    # the commit; other processes within their refresh interval.
    settings.refresh_console()
    transaction.on_commit(settings.refresh_console)


def console_values() -> Mapping[str, ConsoleValue] | None:
    """The active console values, or None when the database cannot answer (the caller keeps
    what it had). In a savepoint, so a failure never breaks the caller's transaction."""
    try:
        with transaction.atomic():
            rows = list(
                ConsoleSetting.objects.filter(active=True).values_list(
                    "key", "value", "changed_by__username", "changed_at"
                )
            )
    except DatabaseError as error:
        logger.warning("Console settings not read (the last values read stay): %s", error)
        return None
    except RuntimeError as error:
        # Code running where the database may not be used (a test without database
        # access: pytest-django refuses the connection) gets the files and environment.
        logger.debug("Console settings not read: %s", error)
        return None
    return {
        key: ConsoleValue(value, username or "(deleted user)", changed_at)
        for key, value, username, changed_at in rows
    }


@dataclass(frozen=True)
class SettingChange:
    when: datetime
    who: str
    key: str
    old: Any
    new: Any
    cleared: bool
    reason: str


def recent_changes(limit: int = 50) -> list[SettingChange]:
    """Newest first: every console change of a setting, clearing included."""
    records = ConsoleSetting.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )[:limit]
    return [
        SettingChange(
            when=record.history_date,
            who=record.history_user.get_username() if record.history_user else "system / shell",
            key=record.key,
            old=record.previous_value,
            new=record.value,
            cleared=not record.active,
            reason=record.history_change_reason or "",
        )
        for record in records
    ]


def check_start_up_values() -> list[str]:
    """Problems with the values the files and the environment give (read at start-up, when
    the console's values cannot be read yet): a production process refuses to start."""
    problems = []
    environment = current_environment()
    for key in CHOICES:
        for setting in (settings.file_entries().get(key), settings.environment_entries().get(key)):
            if setting is not None:
                why = refuse_value(key, setting.value, environment=environment)
                if why is not None:
                    problems.append(f"{why} (from {setting.source})")
    return problems
