"""The playbook's fixes for dead DQT jobs as the console offers them: one class per fix,
each over its service in ``dqt.services`` (``regsupport.fixes.Fix`` says what each
attribute is). A dead job's diagnosis (``dqt/diagnosis.py``) decides which of them it
offers, so they are not buttons of their own; their pages are mounted by ``DqtConfig``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from jobs.models import Job
from regsupport.dates import uk_date
from regsupport.fixes import Fix, FixPlan, register
from trainees.models import Trainee

from . import services
from .errors import DqtError
from .lookups import retrieve_teacher


def _date(label: str) -> forms.DateField:
    # A date input takes only ISO dates: the locale's 03/12/2026 would leave it empty, and
    # the browser would then refuse to submit the required field.
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class DateOfBirthForm(forms.Form):
    date_of_birth = _date("Date of birth to hold on Register")


class DeadlineForm(forms.Form):
    until = _date("Poll until")


def _dqt_record(trainee: Trainee | None) -> dict[str, Any]:
    """DQT's record to start the form from; empty when DQT cannot say (the page still opens)."""
    if trainee is None:
        return {}
    try:
        return retrieve_teacher(trainee)
    except DqtError:
        return {}


class DqtFix(Fix):
    model = Job
    button = False

    def check(self, obj: Job) -> None:
        # The diagnosis module imports these fixes.
        from .diagnosis import refuse_unless_offered

        refuse_unless_offered(obj, self.name)

    def page_intro(self, obj: Job, **params: Any) -> str:
        trainee = obj.trainee
        return f"{obj} for {trainee.full_name if trainee is not None else 'no trainee'}."


@register
class FixDateOfBirth(DqtFix):
    name = "fix_date_of_birth"
    label = "Fix date of birth and retry"
    title = "Fix the date of birth and retry"
    permissions = ("jobs.retry_job", "trainees.change_trainee")
    changes = (
        "Register's date of birth becomes the one below (not sent to DQT: DQT matches on it).",
        "The job runs again.",
    )
    form = DateOfBirthForm

    def initial(self, obj: Job) -> dict[str, Any]:
        if obj.trainee is None:
            return {}
        record = _dqt_record(obj.trainee)
        return {"date_of_birth": record.get("dateOfBirth") or obj.trainee.date_of_birth}

    def apply(self, obj: Job, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_fix_date_of_birth_and_retry(
            job=obj, date_of_birth=params["date_of_birth"], reason=reason, actor=actor
        )

    def done(self, result: Job, **params: Any) -> str:
        return "Date of birth updated; the job will run again."


@register
class AwardOnRegister(DqtFix):
    name = "award_on_register"
    label = "Award on Register only"
    title = "Award on Register only"
    permissions = ("jobs.discard_job", "regsupport.run_playbook_fixes")
    intro = (
        "DQT is asked now what it holds: the trainee is awarded on Register only when DQT "
        "already holds the award, and with DQT's date."
    )

    def plan(self, obj: Job, **params: Any) -> FixPlan:
        return services.dqt_award_on_register_only_plan(job=obj)

    def apply(self, obj: Job, *, reason: str, actor: Any, **params: Any) -> Trainee:
        return services.dqt_award_on_register_only(job=obj, reason=reason, actor=actor)

    def done(self, result: Trainee, **params: Any) -> str:
        return (
            f"{result.full_name} awarded on Register with DQT's {result.award_type} date; the "
            "award job was discarded."
        )

    def page_intro(self, obj: Job, **params: Any) -> str:
        return f"{super().page_intro(obj)} {self.intro}"


@register
class DiscardRace(DqtFix):
    name = "discard_race"
    label = "Discard (race condition)"
    title = "Discard the update (race condition)"
    permissions = ("jobs.discard_job",)
    changes = (
        "Register and DQT are compared once more; if they match, the failed update is "
        "discarded with your reason.",
    )

    def apply(self, obj: Job, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_discard_race_condition(job=obj, reason=reason, actor=actor)

    def done(self, result: Job, **params: Any) -> str:
        return "Register and DQT match: the update was discarded as a race condition."


class PollFix(DqtFix):
    permissions = ("jobs.retry_job",)
    form = DeadlineForm

    def initial(self, obj: Job) -> dict[str, Any]:
        return {"until": services.default_new_deadline()}


@register
class PollAgain(PollFix):
    name = "poll_again"
    label = "Poll again"
    title = "Poll DQT for the TRN again"
    changes = (
        "DQT is asked for the TRN every hour until the date below.",
        "An update that failed for want of a TRN is replaced by one sent when the TRN arrives.",
    )

    def apply(self, obj: Job, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_poll_again(job=obj, until=params["until"], reason=reason, actor=actor)

    def done(self, result: Job, **params: Any) -> str:
        return f"Polling DQT for the TRN until {uk_date(params['until'])}."


@register
class Reregister(PollFix):
    name = "reregister"
    label = "Re-register and poll"
    title = "Re-register with DQT and poll"
    changes = (
        "The trainee is registered with DQT again (the same TRN request id).",
        "DQT is then polled for the TRN until the date below; an update that was waiting for "
        "the TRN is sent once it arrives.",
        "The failed job is discarded with your reason.",
    )

    def apply(self, obj: Job, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_reregister_and_poll(
            job=obj, until=params["until"], reason=reason, actor=actor
        )

    def done(self, result: Job, **params: Any) -> str:
        return f"Registering with DQT again; polling until {uk_date(params['until'])}."


@register
class SendUpdate(Fix):
    """On the trainee's page: what a route change or an unwithdrawal leaves for later can be
    sent as soon as DQT would take it."""

    name = "send_update"
    model = Trainee
    label = "Send update to DQT"
    title = "Send an update of {obj.full_name} to DQT"
    intro = "The trainee's course and training details, as Register's update sends them."

    def check(self, obj: Trainee) -> None:
        services.check_send_update(trainee=obj)

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.dqt_send_update_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_send_update(trainee=obj, reason=reason, actor=actor)

    def done(self, result: Job, **params: Any) -> str:
        return f"Update queued for DQT (job {result.pk})."


class PendingTrnFix(Fix):
    """Register's Pending TRNs buttons, offered there and on a submitted trainee's page;
    afterwards the agent is back on the Pending TRNs list, as in Register."""

    model = Trainee

    def check(self, obj: Trainee) -> None:
        services.check_pending_trn(trainee=obj)

    def next_url(self, result: Any) -> str:
        return reverse("admin:dqt-pending-trns")


@register
class CheckForTrn(PendingTrnFix):
    name = "check_for_trn"
    label = "Check for TRN"
    title = "Check DQT for the TRN of {obj.full_name}"
    intro = "Ask DQT now whether it has assigned the TRN, instead of waiting for the next poll."

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.dqt_check_for_trn_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Trainee:
        services.dqt_check_for_trn(trainee=obj, reason=reason, actor=actor)
        return obj

    def done(self, result: Trainee, **params: Any) -> str:
        # Register's flash messages (RetrieveTrnsController#update).
        result.refresh_from_db()
        if result.trn:
            return f"TRN successfully retrieved for {result.full_name}"
        return f"TRN still not available for {result.full_name}"


@register
class ResubmitForTrn(PendingTrnFix):
    name = "resubmit_for_trn"
    label = "Re-submit for TRN"
    title = "Re-submit {obj.full_name} for TRN"
    intro = "Send DQT a new TRN request, for a request DQT lost or refused once the cause is fixed."

    def plan(self, obj: Trainee, **params: Any) -> FixPlan:
        return services.dqt_resubmit_for_trn_plan(trainee=obj)

    def apply(self, obj: Trainee, *, reason: str, actor: Any, **params: Any) -> Job:
        return services.dqt_resubmit_for_trn(trainee=obj, reason=reason, actor=actor)

    def done(self, result: Job, **params: Any) -> str:
        return (
            f"TRN requested for {result.trainee.full_name if result.trainee else 'the trainee'}: "
            f"job #{result.pk} sends the new request to DQT, then polls for the TRN."
        )
