"""The records service's own changes: what providers do in the records service, and what
DQT is told about. The console and the shell use the same functions, so every such change
sends its DQT job through ``trainee_changed``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db import transaction

from regsupport.audit import audit_context, check_version, clean_reason

from ..errors import TraineeError, TraineeStateError
from ..models import Trainee, WithdrawalReason
from .base import change_trainee, refuse_discarded, save_and_announce, snapshot


def _transition(
    *,
    trainee: Trainee,
    event: str,
    reason: str,
    actor: Any,
    change: Callable[[Trainee], set[str] | None] | None = None,
) -> Trainee:
    """The transition named ``event`` (or ``change``, when it does more), sent to DQT."""
    return change_trainee(
        trainee=trainee,
        event=event,
        reason=reason,
        actor=actor,
        send_to_dqt=True,
        check=refuse_discarded,
        change=change or (lambda t: getattr(t, event)()),
    )


def trainee_submit_for_trn(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Draft (or deferred) → submitted for TRN; DQT is asked for a TRN."""
    return _transition(trainee=trainee, event="submit_for_trn", reason=reason, actor=actor)


def trainee_defer(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    return _transition(trainee=trainee, event="defer", reason=reason, actor=actor)


def trainee_recommend_for_award(
    *, trainee: Trainee, outcome_date: date | str, reason: str, actor: Any
) -> Trainee:
    """TRN received → recommended for award, with the date the trainee met the standards
    (not in the future, not before the ITT start date). DQT awards with that date."""
    return _transition(
        trainee=trainee,
        event="recommend_for_award",
        reason=reason,
        actor=actor,
        change=lambda t: t.recommend_for_award(outcome_date),
    )


def trainee_withdraw(
    *,
    trainee: Trainee,
    reason: str,
    actor: Any,
    withdrawal_reasons: list[str] | None = None,
    withdraw_date: datetime | None = None,
    details: str | None = None,
) -> Trainee:
    """Withdraw with reasons (names of ``WithdrawalReason``); DQT is told."""
    reason = clean_reason(reason)
    names = list(withdrawal_reasons or [])
    found = list(WithdrawalReason.objects.filter(name__in=names))
    unknown = sorted(set(names) - {r.name for r in found})
    if unknown:
        raise TraineeError(f"Unknown withdrawal reasons: {', '.join(unknown)}.")

    def withdraw(trainee: Trainee) -> set[str]:
        trainee.withdraw(withdraw_date=withdraw_date, details=details)
        with audit_context(trainee, reason=reason, actor=actor):
            trainee.withdrawal_reasons.set(found)
        return {"withdrawal_reasons"} if found else set()

    return _transition(
        trainee=trainee, event="withdraw", reason=reason, actor=actor, change=withdraw
    )


def trainee_update(
    *, trainee: Trainee, reason: str, actor: Any, expected_version: int | None = None
) -> set[str]:
    """Save field edits already made on ``trainee`` (e.g. from its admin form) with a reason.
    Returns the changed fields; DQT is sent an update when it holds any of them. Refused
    (:class:`~regsupport.errors.StaleVersion`, naming who changed what) when the trainee
    changed after ``expected_version`` (default: the version ``trainee`` was read at)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        if trainee.pk:
            check_version(
                trainee, trainee.version if expected_version is None else expected_version
            )
        before = snapshot(Trainee.objects.get(pk=trainee.pk)) if trainee.pk else {}
        if "state" in before and before["state"] != trainee.state:
            raise TraineeStateError(
                "The state changes only through its own steps (submit, withdraw, defer, "
                "recommend, award) or a playbook fix, not by editing the record."
            )
        return save_and_announce(
            trainee, before=before, event="update", reason=reason, actor=actor, send_to_dqt=True
        )
