"""Deleting a trainee record (Register's system-admin "Delete this trainee") and restoring
one deleted in error.

Register soft-deletes: it sets ``discarded_at`` and keeps the reason and the Zendesk ticket
as the audit comment (``app/forms/system_admin/delete_trainee_form.rb``,
DFE-Digital/register-trainee-teachers). It offers no way back; a discarded trainee here
can be restored, with a reason, because every fix refuses it until it is.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from regsupport.audit import clean_reason
from regsupport.fixes import FixPlan

from ..errors import TraineeError, TraineeStateError
from ..models import Trainee
from .base import change_trainee, preview_changes

# Register's SystemAdmin::DeleteTraineeForm::DELETE_REASONS and ANOTHER_REASON, in its order.
DELETE_REASONS = (
    "Duplicate record",
    "Record added in error",
    "Trainee already has QTS",
    "Trainee did not start training",
)
ANOTHER_REASON = "Another reason"
# Register's TraineePolicy#destroy_with_reason?: never a trainee recommended or awarded.
UNDELETABLE_STATES = frozenset({Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.AWARDED})


def check_delete(*, trainee: Trainee) -> None:
    if trainee.discarded_at is not None:
        raise TraineeError(
            f"{trainee.full_name} was already deleted on "
            f"{timezone.localtime(trainee.discarded_at):%-d %B %Y}."
        )
    if trainee.state in UNDELETABLE_STATES:
        raise TraineeStateError(
            f"{trainee.full_name} is {trainee.get_state_display().lower()}: Register never "
            "deletes a trainee recommended for award or awarded. Undo the award first if "
            "the record really is wrong."
        )


def delete_reason_text(*, delete_reason: str, reason: str, ticket: str = "") -> str:
    """What the history keeps: Register's reason (or the agent's own, for another reason),
    the agent's words, and the ticket, one to a line as Register's audit comment."""
    reason = clean_reason(reason)
    if delete_reason not in (*DELETE_REASONS, ANOTHER_REASON):
        choices = ", ".join((*DELETE_REASONS, ANOTHER_REASON))
        raise TraineeError(f"Choose why the record is deleted: {choices}.")
    lines = [reason] if delete_reason == ANOTHER_REASON else [f"{delete_reason}: {reason}"]
    if ticket.strip():
        lines.append(f"Ticket: {ticket.strip()}")
    return "\n".join(lines)


def _discard(trainee: Trainee) -> None:
    trainee.discarded_at = timezone.now()


def _dqt_note(trainee: Trainee) -> str:
    if not trainee.trn:
        return "Nothing is sent to DQT; the trainee's waiting DQT jobs will do nothing."
    return (
        f"Nothing is sent to DQT, which keeps TRN {trainee.trn}: if DQT's record is wrong "
        "too, tell the DQT team. The trainee's waiting DQT jobs will do nothing."
    )


def trainee_delete_plan(*, trainee: Trainee) -> FixPlan:
    check_delete(trainee=trainee)
    plan = FixPlan(changes=preview_changes(trainee, _discard))
    plan.changes.append(
        "The record leaves the trainee lists and searches (the Discarded filter still "
        "finds it), and becomes read-only until it is restored."
    )
    plan.notes.append(_dqt_note(trainee))
    return plan


def trainee_delete(
    *, trainee: Trainee, delete_reason: str, reason: str, actor: Any, ticket: str = ""
) -> Trainee:
    """Soft-delete the trainee with one of Register's reasons (``DELETE_REASONS`` or
    ``ANOTHER_REASON``, when ``reason`` says what it is) and an optional ticket."""
    return change_trainee(
        trainee=trainee,
        event="delete",
        reason=delete_reason_text(delete_reason=delete_reason, reason=reason, ticket=ticket),
        actor=actor,
        send_to_dqt=False,
        check=lambda t: check_delete(trainee=t),
        change=_discard,
    )


def check_restore(*, trainee: Trainee) -> None:
    if trainee.discarded_at is None:
        raise TraineeError(f"{trainee.full_name} is not deleted: there is nothing to restore.")


def _restore(trainee: Trainee) -> None:
    trainee.discarded_at = None


def trainee_restore_plan(*, trainee: Trainee) -> FixPlan:
    check_restore(trainee=trainee)
    plan = FixPlan(changes=preview_changes(trainee, _restore))
    plan.changes.append("The record is back in the lists and can be changed and fixed again.")
    if trainee.email:
        others = list(
            Trainee.objects.kept()
            .filter(email__iexact=trainee.email)
            .exclude(pk=trainee.pk)
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        if others:
            plan.own_notes.append(
                f"Kept trainee(s) {', '.join(str(pk) for pk in others)} have the same email, "
                f"{trainee.email}: restoring this one makes them duplicates again."
            )
    plan.notes.append(
        "Nothing is sent to DQT. DQT jobs that ran while the record was deleted did nothing: "
        "use Send update to DQT if DQT should hear of it."
    )
    return plan


def trainee_restore(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Undo a deletion made in error: the trainee is kept again, as it was."""
    return change_trainee(
        trainee=trainee,
        event="restore",
        reason=reason,
        actor=actor,
        send_to_dqt=False,
        check=lambda t: check_restore(trainee=t),
        change=_restore,
    )
