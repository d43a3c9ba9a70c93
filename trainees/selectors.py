"""Reads that decide what a playbook fix would do, shared by services and confirmation pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from regsupport.dates import uk_datetime
from regsupport.ids import parse_id

from .models import Trainee


@dataclass(frozen=True)
class StateBeforeWithdrawal:
    state: int
    set_at: datetime | None
    set_by: str
    from_history: bool

    @property
    def label(self) -> str:
        return Trainee.State(self.state).label

    def describe(self) -> str:
        if not self.from_history:
            return (
                f"{self.label} (the history holds no earlier state, so the playbook's default "
                "is used)"
            )
        when = uk_datetime(self.set_at) if self.set_at else "?"
        return f"{self.label} (set on {when} by {self.set_by})"


def trainee_state_before_withdrawal(*, trainee: Trainee) -> StateBeforeWithdrawal:
    """The last state other than withdrawn that a change actually set, from the history.

    Register took the last audit and used its state only if that audit happened to change
    the state, so a plain field edit after the withdrawal sent trainees back to
    trn_received. Here every history row is compared with the one before it, and only rows
    that changed the state (or created the trainee) count. ``trn_received`` is the
    fallback only when no such row exists.
    """
    rows = trainee.history.order_by("history_date", "history_id").values_list(
        "state", "history_date", "history_user__username"
    )
    found: StateBeforeWithdrawal | None = None
    previous_state: Any = object()
    for state, when, username in rows:
        if state != previous_state and state != Trainee.State.WITHDRAWN:
            found = StateBeforeWithdrawal(state, when, username or "system / shell", True)
        previous_state = state
    return found or StateBeforeWithdrawal(Trainee.State.TRN_RECEIVED, None, "", False)


@dataclass(frozen=True)
class Deletion:
    at: datetime
    by: str
    reason: str


def trainee_deletion(*, trainee: Trainee) -> Deletion:
    """When, by whom and why the (discarded) trainee was deleted: the first history row
    that holds its ``discarded_at``."""
    row = (
        trainee.history.filter(discarded_at=trainee.discarded_at)
        .order_by("history_date", "history_id")
        .values_list("history_user__username", "history_change_reason")
        .first()
    )
    username, reason = row or (None, None)
    return Deletion(
        at=trainee.discarded_at or timezone.now(),
        by=username or "system / shell",
        reason=reason or "no reason recorded",
    )


def trainees_matching(term: str, *, limit: int = 50) -> list[int]:
    """Ids of the trainees an agent means by ``term``, as the trainee search takes it: an
    id, slug, TRN or email (exact), else the start of first or last name for every word
    ("Ada Love" finds Ada Lovelace). The dead-jobs list and the queues page use it."""
    term = " ".join(term.split())
    if not term:
        return []
    exact = Q(slug=term) | Q(trn=term) | Q(email__iexact=term)
    if (trainee_id := parse_id(term)) is not None:
        exact |= Q(pk=trainee_id)
    found = list(Trainee.objects.filter(exact).values_list("pk", flat=True)[:limit])
    if found or "@" in term:
        return found
    by_name = Q()
    for word in term.split(" "):
        by_name &= Q(first_names__istartswith=word) | Q(last_name__istartswith=word)
    return list(Trainee.objects.filter(by_name).order_by("pk").values_list("pk", flat=True)[:limit])
