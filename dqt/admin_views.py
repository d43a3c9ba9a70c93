"""Console pages behind the diagnosis buttons: each shows what the fix will do, asks for a
reason (and a date where the fix needs one) and calls the service in ``dqt.services``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from jobs.errors import JobError
from jobs.models import Job
from regsupport.admin_tools import Confirmation, ConfirmForm, confirm_action
from regsupport.audit import ReasonRequired
from trainees.models import Trainee

from . import services
from .errors import DqtError
from .lookups import retrieve_teacher


class DateOfBirthForm(ConfirmForm):
    date_of_birth = forms.DateField(
        label="Date of birth to hold on Register", widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["date_of_birth", "reason"]


class AwardDateForm(ConfirmForm):
    awarded_on = forms.DateField(
        label="Award date (DQT's QTS/EYTS date)", widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["awarded_on", "reason"]


class DeadlineForm(ConfirmForm):
    until = forms.DateField(label="Poll until", widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["until", "reason"]


@dataclass(frozen=True)
class Fix:
    title: str
    changes: list[str]
    form_class: type[forms.Form]
    permissions: tuple[str, ...]
    warnings: tuple[str, ...] = ()


FIXES = {
    "fix-date-of-birth": Fix(
        "Fix the date of birth and retry",
        [
            "Register's date of birth becomes the one below (not sent to DQT: DQT matches on it).",
            "The job runs again.",
        ],
        DateOfBirthForm,
        ("jobs.retry_job", "trainees.change_trainee"),
    ),
    "award-on-register": Fix(
        "Award on Register only",
        [
            "The trainee is awarded on Register with the date below.",
            "Nothing is sent to DQT, which already holds the award.",
            "The failed award job is discarded with your reason.",
        ],
        AwardDateForm,
        ("jobs.discard_job", "trainees.run_playbook_fixes"),
        (
            "Only do this when DQT's details match Register's; if in doubt, check with the provider.",
        ),
    ),
    "discard-race": Fix(
        "Discard the update (race condition)",
        [
            "Register and DQT are compared once more; if they match, the failed update is "
            "discarded with your reason."
        ],
        ConfirmForm,
        ("jobs.discard_job",),
    ),
    "poll-again": Fix(
        "Poll DQT for the TRN again",
        [
            "DQT is asked for the TRN every hour until the date below.",
            "An update that failed for want of a TRN is replaced by one sent when the TRN arrives.",
        ],
        DeadlineForm,
        ("jobs.retry_job",),
    ),
    "reregister": Fix(
        "Re-register with DQT and poll",
        [
            "The trainee is registered with DQT again (the same TRN request id).",
            "DQT is then polled for the TRN until the date below, and the update is sent once it arrives.",
            "The failed update job is discarded with your reason.",
        ],
        DeadlineForm,
        ("jobs.retry_job",),
    ),
}


def _initial(name: str, trainee: Trainee) -> dict[str, Any]:
    if name in ("poll-again", "reregister"):
        return {"until": services.default_new_deadline()}
    if name == "fix-date-of-birth" or name == "award-on-register":
        try:
            record = retrieve_teacher(trainee)
        except DqtError:
            record = {}
        if name == "fix-date-of-birth":
            return {"date_of_birth": record.get("dateOfBirth") or trainee.date_of_birth}
        award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
        fallback = (
            timezone.localdate(trainee.recommended_for_award_at)
            if trainee.recommended_for_award_at
            else None
        )
        return {"awarded_on": record.get(award_field) or fallback}
    return {}


def _perform(name: str, job: Job, form: forms.Form, actor) -> str:
    data = form.cleaned_data
    reason = data["reason"]
    if name == "fix-date-of-birth":
        services.dqt_fix_date_of_birth_and_retry(
            job=job, date_of_birth=data["date_of_birth"], reason=reason, actor=actor
        )
        return "Date of birth updated; the job will run again."
    if name == "award-on-register":
        trainee = services.dqt_award_on_register_only(
            job=job, awarded_on=data["awarded_on"], reason=reason, actor=actor
        )
        return f"{trainee.full_name} awarded on Register; the award job was discarded."
    if name == "discard-race":
        services.dqt_discard_race_condition(job=job, reason=reason, actor=actor)
        return "Register and DQT match: the update was discarded as a race condition."
    if name == "poll-again":
        services.dqt_poll_again(job=job, until=data["until"], reason=reason, actor=actor)
        return f"Polling DQT for the TRN until {data['until']:%-d %b %Y}."
    services.dqt_reregister_and_poll(job=job, until=data["until"], reason=reason, actor=actor)
    return f"Registering with DQT again; polling until {data['until']:%-d %b %Y}."


def fix_view(request, pk: int, name: str):
    fix = FIXES.get(name)
    if fix is None:
        raise Http404("No such fix")
    if not all(request.user.has_perm(p) for p in fix.permissions):
        raise PermissionDenied
    job = get_object_or_404(Job.objects.select_related("trainee"), pk=pk)
    job_admin = admin.site._registry[Job]
    form_class = fix.form_class
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        initial = _initial(name, job.trainee) if job.trainee is not None else {}
        form_class = type(form_class.__name__, (form_class,), {"__init__": _with_initial(initial)})
    response = confirm_action(
        job_admin,
        request,
        Job.objects.filter(pk=pk),
        confirmation=Confirmation(
            title=fix.title,
            intro=f"{job} for {job.trainee.full_name if job.trainee is not None else 'no trainee'}.",
            changes=list(fix.changes),
            warnings=list(fix.warnings),
            objects=[job],
        ),
        perform=lambda form: _perform(name, job, form, request.user),
        form_class=form_class,
        error_types=(services.DqtFixError, JobError, DqtError, ReasonRequired),
        form_action=request.get_full_path(),
    )
    if response is not None:
        return response
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[pk]))


def _with_initial(initial: dict[str, Any]):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", initial)
        super(type(self), self).__init__(*args, **kwargs)

    return __init__


def urls() -> list:
    return [path("dqt/jobs/<int:pk>/<slug:name>/", admin.site.admin_view(fix_view), name="dqt-fix")]
