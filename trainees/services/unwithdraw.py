"""Playbook "Unwithdrawing a withdrawn trainee"."""

from __future__ import annotations

from typing import Any

from regsupport.audit import FieldChange
from regsupport.fixes import FixPlan

from ..errors import TraineeStateError
from ..models import Trainee
from ..selectors import trainee_state_before_withdrawal
from .base import change_trainee, preview_changes, refuse_discarded

WITHDRAWAL_FIELDS = ("withdraw_reasons_details", "withdraw_reasons_dfe_details", "withdraw_date")


def check_unwithdraw(*, trainee: Trainee) -> None:
    refuse_discarded(trainee)
    if trainee.state != Trainee.State.WITHDRAWN:
        raise TraineeStateError(
            f"Only a withdrawn trainee can be unwithdrawn; {trainee.full_name} is "
            f"{trainee.get_state_display().lower()}."
        )


def _apply_unwithdraw(trainee: Trainee, state: int) -> None:
    trainee.state = state
    for name in WITHDRAWAL_FIELDS:
        setattr(trainee, name, None)


def sends_to_dqt(state: int) -> bool:
    """Whether unwithdrawing to ``state`` is sent to DQT. Only TRN received is: its update
    takes DQT's training back from withdrawn to in training. DQT refuses to take a
    withdrawn training to deferred ("Result cannot be unwithdrawn to deferred"), and
    Register sends no update while a trainee is submitted for TRN."""
    return state == Trainee.State.TRN_RECEIVED


def _dqt_note(trainee: Trainee, state: int) -> str:
    if sends_to_dqt(state):
        return (
            "DQT is sent an update of this trainee, which takes its training back from "
            "withdrawn to in training."
        )
    if not trainee.trn:
        return "Nothing is sent to DQT: the trainee has no TRN yet."
    if state == Trainee.State.DEFERRED:
        return (
            "DQT is not told: DQT refuses to take a withdrawn training straight back to "
            "deferred (“Result cannot be unwithdrawn to deferred”), so it keeps the training "
            "withdrawn, and refuses this trainee's later updates too. For DQT to show the "
            f"deferral, ask the DQT team to set the result of the training of TRN {trainee.trn} "
            f"at UKPRN {trainee.provider.ukprn} to Deferred."
        )
    return (
        "Nothing is sent to DQT: Register sends no update while a trainee is submitted for "
        f"TRN, so DQT keeps the training of TRN {trainee.trn} withdrawn."
    )


def trainee_unwithdraw_plan(*, trainee: Trainee) -> FixPlan:
    check_unwithdraw(trainee=trainee)
    previous = trainee_state_before_withdrawal(trainee=trainee)
    plan = FixPlan(changes=preview_changes(trainee, lambda t: _apply_unwithdraw(t, previous.state)))
    reasons = ", ".join(str(r) for r in trainee.withdrawal_reasons.all())
    if reasons:
        plan.changes.append(FieldChange("withdrawal_reasons", "Withdrawal reasons", reasons, "—"))
    plan.own_notes.append(f"State restored from the history: {previous.describe()}.")
    plan.notes.append("Earlier history rows are kept as they are.")
    plan.notes.append(_dqt_note(trainee, previous.state))
    return plan


def _unwithdraw(trainee: Trainee) -> set[str]:
    previous = trainee_state_before_withdrawal(trainee=trainee)
    had_reasons = trainee.withdrawal_reasons.exists()
    # Clear the reasons without a history row of their own; the save that follows records
    # the whole unwithdrawal (state, reasons, dates) as one change with the reason.
    trainee.skip_history_when_saving = True
    try:
        trainee.withdrawal_reasons.clear()
    finally:
        del trainee.skip_history_when_saving
    _apply_unwithdraw(trainee, previous.state)
    return {"withdrawal_reasons"} if had_reasons else set()


def trainee_unwithdraw(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Restore the state before the withdrawal and clear the withdrawal; DQT is told when it
    can take the change (``sends_to_dqt``)."""
    previous = trainee_state_before_withdrawal(trainee=trainee)
    return change_trainee(
        trainee=trainee,
        event="unwithdraw",
        reason=reason,
        actor=actor,
        send_to_dqt=sends_to_dqt(previous.state),
        check=lambda t: check_unwithdraw(trainee=t),
        change=_unwithdraw,
    )
