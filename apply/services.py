"""Starting the Apply jobs from the console, and the playbook's "Resolving incorrect
provider_type on Publish" in one place.

Each function takes keyword-only arguments, a required ``reason`` and the acting staff
user, and raises :class:`ApplyImportError` (a :class:`~regsupport.errors.Refusal`) with a
message for a support agent when it refuses, in which case nothing has changed::

    from apply.services import apply_reimport
    run = apply_reimport(accredited_body_code="2N2", recruitment_cycle_year=2024,
                         reason="Publish type fixed, ticket 1234", actor=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from regsupport.audit import audit_context, clean_reason
from regsupport.config import settings as app_settings
from regsupport.errors import Refusal
from regsupport.ids import parse_number
from trainees.models import ApplyApplication, Trainee

from . import jobs
from .client import ApplyError, touch_application_choices
from .models import ImportRun

FLAG = "features.import_applications_from_apply"


class ApplyImportError(Refusal):
    """A refused Apply import or re-import; the message is meant for a support agent."""


@dataclass(frozen=True)
class ReimportPlan:
    accredited_body_code: str
    recruitment_cycle_year: int
    state: ApplyApplication.State
    applications: list[ApplyApplication]
    can_touch: bool

    @property
    def apply_ids(self) -> list[int]:
        return [a.apply_id for a in self.applications]

    @property
    def label(self) -> str:
        return f"{self.accredited_body_code}, {self.recruitment_cycle_year}, {self.state.label}"


def check_imports_enabled() -> None:
    if not app_settings.get(FLAG, False):
        raise ApplyImportError(
            f"{FLAG} is off, so the Apply import jobs would do nothing. Turn it on (console "
            "settings) first. Nothing was changed."
        )


def can_touch_in_apply() -> bool:
    return bool(app_settings.get("recruits_api.touch_url", ""))


def apply_reimport_plan(
    *, accredited_body_code: Any, recruitment_cycle_year: Any, state: Any = None
) -> ReimportPlan:
    """What the re-import would do (reads only): the group's applications, refused when
    there are none, when one already made a trainee, or when the imports are off."""
    code, year, state = _reimport_filter(
        accredited_body_code,
        recruitment_cycle_year,
        ApplyApplication.State.NON_IMPORTABLE_HEI if state is None else state,
    )
    applications = list(
        ApplyApplication.objects.filter(
            accredited_body_code=code, recruitment_cycle_year=year, state=state
        )
        .select_related("trainee")
        .order_by("apply_id")
    )
    if not applications:
        raise ApplyImportError(
            f"No Apply applications for accredited body {code}, cycle {year}, state "
            f"{state.label}; nothing to re-import."
        )
    linked = [(a, t) for a in applications if (t := _trainee_of(a)) is not None]
    if linked:
        names = ", ".join(f"{a.apply_id} (trainee {t.pk})" for a, t in linked)
        raise ApplyImportError(
            f"These applications already created trainees and cannot be re-imported: {names}."
        )
    check_imports_enabled()
    return ReimportPlan(code, year, state, applications, can_touch_in_apply())


def _trainee_of(application: ApplyApplication) -> Trainee | None:
    try:
        return application.trainee
    except Trainee.DoesNotExist:
        return None


def _reimport_filter(code: Any, year: Any, state: Any) -> tuple[str, int, ApplyApplication.State]:
    code = (code or "").strip().upper()
    if not code:
        raise ApplyImportError("Give the accredited body code (e.g. 2N2).")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ApplyImportError(f"'{year}' is not a recruitment cycle year.") from None
    try:
        state = (
            ApplyApplication.State[state.upper()]
            if isinstance(state, str) and parse_number(state) is None
            else ApplyApplication.State(int(state))
        )
    except (KeyError, TypeError, ValueError):
        known = ", ".join(s.name.lower() for s in ApplyApplication.State)
        raise ApplyImportError(
            f"'{state}' is not an application state. Use one of: {known}."
        ) from None
    return code, year, state


def apply_reimport(
    *,
    accredited_body_code: Any,
    recruitment_cycle_year: Any,
    reason: str,
    actor: Any,
    state: Any = None,
) -> ImportRun:
    """The playbook's steps 2 to 5 for one group: touch its application choices in Apply
    (where the console can; otherwise the run waits for the Apply team), delete the rows
    (kept in their history), start both jobs. Returns the run, whose page follows them."""
    reason = clean_reason(reason)
    plan = apply_reimport_plan(
        accredited_body_code=accredited_body_code,
        recruitment_cycle_year=recruitment_cycle_year,
        state=state,
    )
    touched = False
    if plan.can_touch:
        # Before anything is deleted: if Apply cannot be reached, nothing changes. Touching
        # alone is harmless (the rows still exist, and the import skips them).
        try:
            touch_application_choices(plan.apply_ids)
        except ApplyError as error:
            raise ApplyImportError(
                f"Could not touch the application choices in Apply: {error}. Nothing was changed."
            ) from None
        touched = True
    with transaction.atomic():
        current = apply_reimport_plan(
            accredited_body_code=plan.accredited_body_code,
            recruitment_cycle_year=plan.recruitment_cycle_year,
            state=plan.state,
        )
        if current.apply_ids != plan.apply_ids:
            raise ApplyImportError(
                f"The applications for {plan.label} changed meanwhile; look again. "
                "Nothing was changed."
            )
        for application in ApplyApplication.objects.select_for_update().filter(
            pk__in=[a.pk for a in current.applications]
        ):
            with audit_context(application, reason=reason, actor=actor):
                application.delete()
        run = ImportRun.objects.create(
            accredited_body_code=plan.accredited_body_code,
            recruitment_cycle_year=plan.recruitment_cycle_year,
            apply_ids=plan.apply_ids,
            touched_in_apply=touched,
            reason=reason,
            started_by=actor,
        )
        if touched:
            _start(run)
    return run


def apply_run_start(*, run: ImportRun, actor: Any) -> ImportRun:
    """Start the jobs of a re-import that waited for the Apply team to touch the choices."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.started_at is not None:
            raise ApplyImportError(
                f"The imports of this run were already started on "
                f"{timezone.localtime(run.started_at):%d %b %Y %H:%M}."
            )
        check_imports_enabled()
        _start(run)
    return run


def apply_imports_start(*, recruitment_cycle_year: Any, reason: str, actor: Any) -> ImportRun:
    """Both daily jobs now, for one year (the console's "start the imports")."""
    reason = clean_reason(reason)
    try:
        year = int(recruitment_cycle_year)
    except (TypeError, ValueError):
        raise ApplyImportError(
            f"'{recruitment_cycle_year}' is not a recruitment cycle year."
        ) from None
    check_imports_enabled()
    with transaction.atomic():
        run = ImportRun.objects.create(recruitment_cycle_year=year, reason=reason, started_by=actor)
        _start(run)
    return run


def _start(run: ImportRun) -> None:
    """Both jobs, linked to the run; the messages go out when the transaction commits."""
    year = run.recruitment_cycle_year
    run.jobs.add(
        jobs.import_applications.enqueue(recruitment_cycle_years=[year], run_id=run.pk),
        jobs.create_trainees.enqueue(recruitment_cycle_year=year, run_id=run.pk),
    )
    run.started_at = timezone.now()
    run.save(update_fields=["started_at"])
