"""What every trainee service shares: the row lock, the before/after snapshot, the
field-by-field plan, and the save that records the reason and tells listeners."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from typing import Any

from django.db import transaction

from regsupport.audit import (
    VERSION_FIELD,
    FieldChange,
    audit_context,
    check_version,
    clean_reason,
    field_display,
    field_label,
)
from regsupport.dates import uk_date

from ..errors import TraineeError
from ..models import Trainee, dqt_rule_errors
from ..signals import trainee_changed


def snapshot(trainee: Trainee) -> dict[str, Any]:
    return {
        f.name: copy.deepcopy(getattr(trainee, f.attname))
        for f in Trainee._meta.concrete_fields
        if f.name not in ("updated_at", VERSION_FIELD)
    }


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Old → new for every field that differs; each progress flag is a line of its own."""
    changes = []
    for name, old in before.items():
        new = after[name]
        if old == new:
            continue
        if name == "progress":
            old, new = old or {}, new or {}
            changes += [
                FieldChange(
                    f"progress.{key}",
                    f"Progress: {key.replace('_', ' ')}",
                    old.get(key, "—"),
                    new.get(key, "—"),
                )
                for key in sorted(set(old) | set(new))
                if old.get(key) != new.get(key)
            ]
            continue
        changes.append(
            FieldChange(
                name,
                field_label(Trainee, name),
                field_display(Trainee, name, old),
                field_display(Trainee, name, new),
            )
        )
    return changes


def preview_changes(trainee: Trainee, change: Callable[[Trainee], Any]) -> list[FieldChange | str]:
    """What ``change`` would do to the trainee, made on a copy: nothing is saved."""
    preview = copy.copy(trainee)
    preview.progress = copy.deepcopy(trainee.progress)
    change(preview)
    return [*field_changes(snapshot(trainee), snapshot(preview))]


def lock(trainee: Trainee, *, expected_version: int | None = None) -> Trainee:
    """Lock the row and reload it, so two agents clicking at once cannot both apply a fix.
    With ``expected_version`` (the version the agent's page showed), refuse when someone
    changed the trainee since (:class:`~regsupport.errors.StaleVersion`)."""
    check_version(trainee, expected_version)
    trainee.refresh_from_db()
    return trainee


def refuse_dqt_rule_breaks(trainee: Trainee, *, fields: Collection[str] | None) -> None:
    """Refuse values DQT would refuse (:func:`trainees.models.dqt_rule_errors`) among
    ``fields`` (None: all), before anything is saved."""
    if errors := dqt_rule_errors(trainee, fields):
        problems = "; ".join(
            f"{field_label(Trainee, name)}: {message}" for name, message in errors.items()
        )
        raise TraineeError(f"{problems}. Nothing was changed.")


def refuse_discarded(trainee: Trainee) -> None:
    if trainee.discarded_at is not None:
        raise TraineeError(
            f"{trainee.full_name} was deleted (discarded) on "
            f"{uk_date(trainee.discarded_at)}; restore the record first."
        )


def save_and_announce(
    trainee: Trainee,
    *,
    before: dict[str, Any],
    event: str,
    reason: str,
    actor: Any,
    send_to_dqt: bool,
    extra_changed: set[str] | None = None,
) -> set[str]:
    """Check what changed against DQT's rules, save with the reason and actor, then send
    ``trainee_changed`` with what changed."""
    after = snapshot(trainee)
    changed_fields = {name for name in before if before[name] != after[name]}
    changed_fields |= extra_changed or set()
    refuse_dqt_rule_breaks(trainee, fields=changed_fields if before else None)
    with audit_context(trainee, reason=reason, actor=actor):
        trainee.save()
    trainee_changed.send(
        sender=Trainee,
        trainee=trainee,
        event=event,
        changed_fields=changed_fields,
        send_to_dqt=send_to_dqt,
        actor=actor,
    )
    return changed_fields


def change_trainee(
    *,
    trainee: Trainee,
    event: str,
    reason: str,
    actor: Any,
    send_to_dqt: bool,
    check: Callable[[Trainee], None],
    change: Callable[[Trainee], set[str] | None],
    expected_version: int | None = None,
) -> Trainee:
    """The shape of every change to one trainee: lock the row (refusing it when it is no
    longer at ``expected_version``, if given), ``check`` the rules on the fresh row,
    ``change`` it (returning any fields it changed outside the row, e.g. many-to-many),
    then save it with the reason and tell the listeners, in one transaction."""
    reason = clean_reason(reason)
    with transaction.atomic():
        trainee = lock(trainee, expected_version=expected_version)
        check(trainee)
        before = snapshot(trainee)
        extra_changed = change(trainee)
        save_and_announce(
            trainee,
            before=before,
            event=event,
            reason=reason,
            actor=actor,
            send_to_dqt=send_to_dqt,
            extra_changed=extra_changed,
        )
    return trainee
