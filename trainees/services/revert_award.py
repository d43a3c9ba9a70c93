"""Playbook "Incorrectly awarded trainee"."""

from __future__ import annotations

from typing import Any

from regsupport.fixes import FixPlan

from ..errors import TraineeStateError
from ..models import Trainee
from .base import change_trainee, preview_changes, refuse_discarded

AWARD_FIELDS = ("recommended_for_award_at", "awarded_at", "outcome_date")
AWARD_STATES = frozenset({Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.AWARDED})


def check_revert_award(*, trainee: Trainee) -> None:
    refuse_discarded(trainee)
    if trainee.state not in AWARD_STATES:
        raise TraineeStateError(
            f"Only an awarded or recommended-for-award trainee can have the award undone; "
            f"{trainee.full_name} is {trainee.get_state_display().lower()}."
        )


def _apply_revert_award(trainee: Trainee) -> None:
    trainee.state = Trainee.State.TRN_RECEIVED
    for name in AWARD_FIELDS:
        setattr(trainee, name, None)


def trainee_revert_award_plan(*, trainee: Trainee) -> FixPlan:
    check_revert_award(trainee=trainee)
    plan = FixPlan(changes=preview_changes(trainee, _apply_revert_award))
    plan.notes.append(
        f"DQT must be corrected too: contact DQT to remove the {trainee.award_type} award "
        "status. Nothing is sent to DQT from here."
    )
    plan.notes.append("Tell the trainee and the provider about the error and its resolution.")
    return plan


def trainee_revert_award(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Back to TRN received, award and outcome dates cleared; nothing is sent to DQT."""
    return change_trainee(
        trainee=trainee,
        event="revert_award",
        reason=reason,
        actor=actor,
        send_to_dqt=False,
        check=lambda t: check_revert_award(trainee=t),
        change=_apply_revert_award,
    )
