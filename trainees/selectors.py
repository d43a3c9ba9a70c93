"""Reads that decide what a playbook fix would do, shared by services and confirmation pages,
and the console's trainee search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.lookups import IContains
from django.utils import timezone

from regsupport.dates import uk_datetime
from regsupport.ids import parse_id

from .models import BASE58_ALPHABET, FULL_NAME, SLUG_LENGTH, Trainee


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


# --- the console's trainee search ----------------------------------------------------------

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_TRN = re.compile(r"[0-9]{7}")
_SLUG = re.compile(rf"[{BASE58_ALPHABET}]{{{SLUG_LENGTH}}}")
# pg_trgm indexes three-letter groups: a shorter word has none, and would read the whole
# trigram index, so it matches the start of a first or last name instead (btree indexes).
_TRIGRAM = 3


@dataclass(frozen=True)
class TraineeSearch:
    trainees: QuerySet[Trainee]
    looked_up_by: str  # what the term was taken for, as the console says it


def trainees_search(*, trainees: QuerySet[Trainee], term: str) -> TraineeSearch:
    """The trainees matching a search box's ``term``, each kind of term by an index.

    An email, a slug, a TRN or an id is recognised by its shape and looked up exactly;
    anything else is words of a name, each of which must appear in the full name (any
    case, any part: "ada love" finds Ada Lovelace). The stock admin ORs every search field
    into one condition, ``UPPER(id::text) = UPPER(...)`` among them, which no index
    serves: every search read the whole table.
    """
    term = " ".join(term.split())
    if not term:
        return TraineeSearch(trainees, "")
    if _EMAIL.fullmatch(term):
        # email__iexact is UPPER(email::text) = UPPER(...), the expression of
        # trainees_trainee_email_upper.
        return TraineeSearch(trainees.filter(email__iexact=term), "email")
    if (number := parse_id(term)) is not None:
        if _TRN.fullmatch(term):
            return TraineeSearch(trainees.filter(Q(trn=term) | Q(pk=number)), "TRN or id")
        return TraineeSearch(trainees.filter(pk=number), "id")
    names = _name_condition(term)
    if _SLUG.fullmatch(term):
        # A slug is also a possible (long, one-word) name: both are index lookups.
        return TraineeSearch(trainees.filter(Q(slug=term) | names), "slug or name")
    return TraineeSearch(trainees.filter(names), "name")


def _name_condition(term: str) -> Q:
    condition = Q()
    for word in term.split(" "):
        if len(word) >= _TRIGRAM:
            # UPPER(name) LIKE UPPER('%word%'): the trigram index's expression.
            condition &= Q(IContains(FULL_NAME, word))
        else:
            condition &= Q(first_names__istartswith=word) | Q(last_name__istartswith=word)
    return condition


def trainees_matching(term: str, *, limit: int = 50) -> list[int]:
    """Ids of the trainees an agent means by ``term``, as the trainee search takes it
    (``trainees_search``), lowest first. The dead-jobs list and the queues page use it."""
    found = trainees_search(trainees=Trainee.objects.all(), term=term)
    if not found.looked_up_by:
        return []
    return list(found.trainees.order_by("pk").values_list("pk", flat=True)[:limit])
