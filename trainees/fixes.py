"""The trainee playbook fixes as the console offers them: one class per fix, each over its
service in ``trainees.services`` (``regsupport.fixes.Fix`` says what each attribute is).
Registered by ``TraineesConfig.ready``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from providers.models import LeadPartner
from regsupport.fixes import Fix, FixPlan, register

from . import services
from .models import Trainee


@register
class Unwithdraw(Fix):
    name = "unwithdraw"
    model = Trainee
    label = "Unwithdraw"
    title = "Unwithdraw {obj.full_name}"
    intro = "Undo a withdrawal made in error."
    bulk_label = "Unwithdraw selected trainees"
    bulk_title = "Unwithdraw trainees"
    bulk_done = "Withdrawal undone for {count} trainee(s)."

    def check(self, obj: Trainee) -> None:
        services.check_unwithdraw(trainee=obj)

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.trainee_unwithdraw_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_unwithdraw(trainee=obj, reason=reason, actor=actor)

    def done(self, result: Trainee, **params: Any) -> str:
        return f"Withdrawal undone: {result.full_name} is {result.get_state_display()} again."


class RouteChoiceForm(forms.Form):
    route = forms.TypedChoiceField(
        label="New training route", choices=Trainee.TrainingRoute.choices, coerce=int
    )


@register
class ChangeTrainingRoute(Fix):
    name = "change_training_route"
    model = Trainee
    label = "Change training route"
    title = "Change the training route of {obj.full_name}"
    choice_form = RouteChoiceForm
    bulk_label = "Change training route of selected trainees"
    bulk_done = "Training route changed for {count} trainee(s). Nothing was sent to DQT."

    def check(self, obj: Trainee) -> None:
        services.check_change_training_route(trainee=obj)

    def initial(self, obj: Trainee) -> dict[str, Any]:
        return {"route": obj.training_route}

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.trainee_change_training_route_plan(trainee=obj, route=params["route"])

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_change_training_route(
            trainee=obj, route=params["route"], reason=reason, actor=actor
        )

    def page_intro(self, obj: Trainee, **params: Any) -> str:
        new = Trainee.TrainingRoute(params["route"]).label
        return f"From {obj.get_training_route_display() or 'no route'} to {new}."

    def bulk_page_title(self, **params: Any) -> str:
        if "route" not in params:
            return self.label
        return f"Change training route to {Trainee.TrainingRoute(params['route']).label}"

    def done(self, result: Trainee, **params: Any) -> str:
        return (
            f"Training route of {result.full_name} changed to "
            f"{result.get_training_route_display()}. Ask the provider to re-enter the "
            "cleared details."
        )


@register
class RevertAward(Fix):
    name = "revert_award"
    model = Trainee
    label = "Undo award"
    title = "Undo the award of {obj.full_name}"
    intro = "For a trainee recommended for award or awarded in error."
    bulk_label = "Undo award of selected trainees"
    bulk_title = "Undo awards"
    bulk_done = "Award undone for {count} trainee(s). Ask DQT to correct their records."

    def check(self, obj: Trainee) -> None:
        services.check_revert_award(trainee=obj)

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.trainee_revert_award_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_revert_award(trainee=obj, reason=reason, actor=actor)

    def done(self, result: Trainee, **params: Any) -> str:
        return (
            f"Award undone: {result.full_name} is {result.get_state_display()}. "
            "Remember to ask DQT to correct their record."
        )


class DeleteRecordForm(forms.Form):
    delete_reason = forms.ChoiceField(
        label="Why is the record being deleted?",
        choices=[(r, r) for r in (*services.DELETE_REASONS, services.ANOTHER_REASON)],
        widget=forms.RadioSelect,
    )
    ticket = forms.CharField(
        label="Zendesk ticket URL (optional)",
        required=False,
        max_length=255,
        help_text="For example, https://becomingateacher.zendesk.com/agent/tickets/12345",
    )


@register
class DeleteRecord(Fix):
    """Register's system-admin "Delete this trainee": a soft delete with its reasons."""

    name = "delete_record"
    model = Trainee
    label = "Delete record"
    button_class = "danger"
    title = "Delete the record of {obj.full_name}"
    intro = (
        "For a duplicate, a record added in error, a trainee who already has QTS or did "
        "not start. With “Another reason”, the reason box says what it is."
    )
    form = DeleteRecordForm

    def check(self, obj: Trainee) -> None:
        services.check_delete(trainee=obj)

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.trainee_delete_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_delete(
            trainee=obj,
            delete_reason=params["delete_reason"],
            ticket=params.get("ticket", ""),
            reason=reason,
            actor=actor,
        )

    def done(self, result: Trainee, **params: Any) -> str:
        return f"Record deleted: {result.full_name}. Restore undoes it."


@register
class Restore(Fix):
    name = "restore"
    model = Trainee
    label = "Restore"
    title = "Restore the deleted record of {obj.full_name}"
    intro = "For a record deleted in error."

    def check(self, obj: Trainee) -> None:
        services.check_restore(trainee=obj)

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.trainee_restore_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_restore(trainee=obj, reason=reason, actor=actor)

    def done(self, result: Trainee, **params: Any) -> str:
        return f"Record restored: {result.full_name} is {result.get_state_display()} again."


class PreviousTraineeForm(forms.Form):
    first_names = forms.CharField(max_length=255)
    last_name = forms.CharField(max_length=255)
    date_of_birth = forms.DateField(required=False, help_text="YYYY-MM-DD")
    email = forms.EmailField(required=False)


@register
class AddPreviousTrainee(Fix):
    """On the lead partner's page, because the agent starts from the lead partner the
    former provider became."""

    name = "add_previous_trainee"
    model = LeadPartner
    label = "Add previous trainee"
    confirm_label = "Create draft trainee"
    title = "Add a previous trainee for {obj.provider.name}"
    form = PreviousTraineeForm

    def check(self, obj: LeadPartner) -> None:
        services.former_provider_of(lead_partner=obj)

    def plan(self, obj: LeadPartner, **params: Any) -> FixPlan:
        provider = services.former_provider_of(lead_partner=obj)
        return FixPlan(
            changes=[
                f"A new draft trainee is created with provider {provider} (not accredited).",
                "Nothing is sent to DQT for a draft.",
            ],
            notes=[
                "Liaise with the provider to make sure the details and dates are correct; "
                "the record may need overseeing from draft to awarded."
            ],
        )

    def page_intro(self, obj: LeadPartner, **params: Any) -> str:
        provider = services.former_provider_of(lead_partner=obj)
        return f"{provider.name} is no longer accredited and is now this lead partner."

    def apply(self, obj: LeadPartner, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.trainee_create_for_former_provider(
            lead_partner=obj, reason=reason, actor=actor, **params
        )

    def done(self, result: Trainee, **params: Any) -> str:
        return (
            f"Draft trainee {result.full_name} created for {result.provider.name}. Ask the "
            "provider to check the details and dates."
        )

    def next_url(self, result: Trainee) -> str:
        return reverse("admin:trainees_trainee_change", args=[result.pk])
