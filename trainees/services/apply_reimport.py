"""Playbook "Resolving incorrect provider_type on Publish", Register's side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from regsupport.audit import audit_context, clean_reason
from regsupport.ids import parse_number

from ..errors import TraineeError
from ..models import ApplyApplication, Trainee


@dataclass(frozen=True)
class ImportJobsOutcome:
    enqueued: bool
    notice: str


@dataclass
class ApplyReimport:
    apply_ids: list[int]
    jobs: ImportJobsOutcome


def enqueue_apply_import_jobs(*, recruitment_cycle_year: int) -> ImportJobsOutcome:
    """Where the playbook's two Sidekiq jobs are started: import_applications_from_apply,
    then create_trainees_from_apply.

    There is no Apply integration yet. When there is, enqueue both jobs here (on commit)
    and return ``ImportJobsOutcome(True, ...)``; every caller already goes through this
    function.
    """
    return ImportJobsOutcome(
        enqueued=False,
        notice=(
            "Apply import jobs are not configured: import_applications_from_apply and "
            "create_trainees_from_apply were not started. Once the Apply team has touched the "
            f"listed applications, run both imports for {recruitment_cycle_year} by hand."
        ),
    )


def apply_applications_reimport_plan(
    *, accredited_body_code: str, recruitment_cycle_year: int, state: Any
) -> list[ApplyApplication]:
    code, year, state = _reimport_filter(accredited_body_code, recruitment_cycle_year, state)
    applications = list(
        ApplyApplication.objects.filter(
            accredited_body_code=code, recruitment_cycle_year=year, state=state
        )
        .select_related("trainee")
        .order_by("apply_id")
    )
    if not applications:
        raise TraineeError(
            f"No Apply applications for accredited body {code}, cycle {year}, state "
            f"{ApplyApplication.State(state).label}; nothing to re-import."
        )
    linked = [(a, t) for a in applications if (t := _trainee_of(a)) is not None]
    if linked:
        names = ", ".join(f"{a.apply_id} (trainee {t.pk})" for a, t in linked)
        raise TraineeError(
            f"These applications already created trainees and cannot be re-imported: {names}."
        )
    return applications


def _trainee_of(application: ApplyApplication) -> Trainee | None:
    try:
        return application.trainee
    except Trainee.DoesNotExist:
        return None


def _reimport_filter(code: Any, year: Any, state: Any) -> tuple[str, int, int]:
    code = (code or "").strip().upper()
    if not code:
        raise TraineeError("Give the accredited body code (e.g. 2N2).")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise TraineeError(f"'{year}' is not a recruitment cycle year.") from None
    try:
        state = (
            ApplyApplication.State[state.upper()]
            if isinstance(state, str) and parse_number(state) is None
            else ApplyApplication.State(int(state))
        )
    except (KeyError, TypeError, ValueError):
        known = ", ".join(s.name.lower() for s in ApplyApplication.State)
        raise TraineeError(f"'{state}' is not an application state. Use one of: {known}.") from None
    return code, year, state


def apply_applications_reimport(
    *,
    accredited_body_code: str,
    recruitment_cycle_year: int,
    reason: str,
    actor: Any,
    state: Any = ApplyApplication.State.NON_IMPORTABLE_HEI,
) -> ApplyReimport:
    """Playbook "Resolving incorrect provider_type on Publish", Register's side: list the
    apply ids (for the Apply team to touch), delete those rows with history, start the
    imports."""
    reason = clean_reason(reason)
    with transaction.atomic():
        applications = apply_applications_reimport_plan(
            accredited_body_code=accredited_body_code,
            recruitment_cycle_year=recruitment_cycle_year,
            state=state,
        )
        apply_ids = [a.apply_id for a in applications]
        for application in applications:
            with audit_context(application, reason=reason, actor=actor):
                application.delete()
        jobs = enqueue_apply_import_jobs(recruitment_cycle_year=int(recruitment_cycle_year))
    return ApplyReimport(apply_ids=apply_ids, jobs=jobs)
