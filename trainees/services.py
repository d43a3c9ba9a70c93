"""Every support-playbook fix to trainees and Apply applications, written once.

Each function takes keyword-only arguments, a required ``reason`` and the acting staff user
(``actor``; None from the shell), runs in one transaction, records both on the history rows
it writes, and raises :class:`~trainees.errors.TraineeError` with a message for a support
agent when it refuses – in which case nothing has changed. The admin buttons and actions,
the management commands and ``manage.py shell`` all call these functions::

    from trainees.services import trainee_unwithdraw
    trainee_unwithdraw(trainee=t, reason="Withdrawn in error, ticket 1234", actor=None)

Functions named ``*_plan`` only read: they say exactly what the fix would change and are
what the confirmation pages show.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from providers.models import LeadPartner, Provider
from regsupport.audit import FieldChange, ReasonRequired, audit_context, clean_reason

from .errors import TraineeError, TraineeStateError
from .models import ApplyApplication, Trainee
from .selectors import trainee_state_before_withdrawal
from .signals import trainee_changed

# RouteDataManager: what a new training route makes stale (register-domain.md §2).
ROUTE_CLEARED_FIELDS = (
    "course_uuid",
    "course_education_phase",
    "course_subject_one",
    "course_subject_two",
    "course_subject_three",
    "course_min_age",
    "course_max_age",
    "itt_start_date",
    "itt_end_date",
    "study_mode",
    "training_initiative",
    "applying_for_bursary",
    "applying_for_scholarship",
    "applying_for_grant",
    "bursary_tier",
    "placement_detail",
)
# Only a draft's progress is reset: a submitted trainee keeps its "section complete" flags.
ROUTE_RESET_PROGRESS = ("course_details", "funding", "placements")
EARLY_YEARS_COURSE = {
    "course_subject_one": "early years teaching",
    "course_min_age": 0,
    "course_max_age": 5,
    "course_education_phase": Trainee.CourseEducationPhase.EARLY_YEARS,
}
WITHDRAWAL_FIELDS = ("withdraw_reasons_details", "withdraw_reasons_dfe_details", "withdraw_date")
AWARD_FIELDS = ("recommended_for_award_at", "awarded_at")
AWARD_STATES = frozenset({Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.AWARDED})


@dataclass
class FixPlan:
    """What a fix will change, field by field, plus notes the agent must read."""

    changes: list[FieldChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{c.label}: {c.old} → {c.new}" for c in self.changes]


# --- shared plumbing ---------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    """The shared reason check, refused as this app's own error type."""
    try:
        return clean_reason(reason)
    except ReasonRequired as error:
        raise TraineeError(str(error)) from None


def _snapshot(trainee: Trainee) -> dict[str, Any]:
    return {
        f.name: copy.deepcopy(getattr(trainee, f.attname))
        for f in Trainee._meta.concrete_fields
        if f.name not in ("updated_at",)
    }


def _display(field_name: str, value: Any) -> Any:
    if value in (None, ""):
        return "—"
    model_field = _trainee_field(field_name)
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%-d %b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return value


def _trainee_field(field_name: str) -> models.Field:
    """One of the trainee's own fields (never a reverse relation: changes are to columns)."""
    model_field = Trainee._meta.get_field(field_name)
    if not isinstance(model_field, models.Field):
        raise LookupError(f"Trainee.{field_name} is a reverse relation, not a field.")
    return model_field


def _label(field_name: str) -> str:
    name = str(_trainee_field(field_name).verbose_name)
    # Upper-case the first letter only: "ITT start date" must not become "Itt start date".
    return name[:1].upper() + name[1:]


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    changes = []
    for name, old in before.items():
        new = after[name]
        if old == new:
            continue
        if name == "progress":
            for key in sorted(set(old or {}) | set(new or {})):
                if (old or {}).get(key) != (new or {}).get(key):
                    changes.append(
                        FieldChange(
                            f"progress.{key}",
                            f"Progress: {key.replace('_', ' ')}",
                            (old or {}).get(key, "—"),
                            (new or {}).get(key, "—"),
                        )
                    )
            continue
        changes.append(FieldChange(name, _label(name), _display(name, old), _display(name, new)))
    return changes


def _lock(trainee: Trainee) -> Trainee:
    """Lock the row and reload it, so two agents clicking at once cannot both apply a fix."""
    Trainee.objects.select_for_update().filter(pk=trainee.pk).values_list("pk").first()
    trainee.refresh_from_db()
    return trainee


def _refuse_discarded(trainee: Trainee) -> None:
    if trainee.discarded_at is not None:
        raise TraineeError(
            f"{trainee.full_name} was deleted (discarded) on "
            f"{timezone.localtime(trainee.discarded_at):%-d %b %Y}; restore the record first."
        )


def _save_and_announce(
    trainee: Trainee,
    *,
    before: dict[str, Any],
    event: str,
    reason: str,
    actor: Any,
    send_to_dqt: bool,
    extra_changed: set[str] | None = None,
) -> set[str]:
    after = _snapshot(trainee)
    changed_fields = {name for name in before if before[name] != after[name]}
    changed_fields |= extra_changed or set()
    with audit_context(trainee, reason=reason, actor=actor):
        trainee.save()
    trainee_changed.send(
        sender=Trainee,
        trainee=trainee,
        event=event,
        changed_fields=changed_fields,
        send_to_dqt=send_to_dqt,
        actor=actor,
    )
    return changed_fields


# --- 1. change training route --------------------------------------------------------------


def _route(route: Any) -> Trainee.TrainingRoute:
    if isinstance(route, str) and not route.strip().isdigit():
        name = route.strip().upper()
        if name in Trainee.TrainingRoute.names:
            return Trainee.TrainingRoute[name]
    else:
        try:
            return Trainee.TrainingRoute(int(route))
        except (TypeError, ValueError):
            pass
    known = ", ".join(r.name.lower() for r in Trainee.TrainingRoute)
    raise TraineeError(f"'{route}' is not a training route. Use one of: {known}.")


def _apply_route(trainee: Trainee, route: Trainee.TrainingRoute) -> None:
    trainee.training_route = route
    for name in ROUTE_CLEARED_FIELDS:
        setattr(trainee, name, None)
    if trainee.state == Trainee.State.DRAFT:
        progress = dict(trainee.progress or {})
        for key in ROUTE_RESET_PROGRESS:
            progress[key] = False
        trainee.progress = progress
    if route in Trainee.EARLY_YEARS_ROUTES:
        for name, value in EARLY_YEARS_COURSE.items():
            setattr(trainee, name, value)


def _check_route_change(trainee: Trainee, route: Trainee.TrainingRoute) -> None:
    _refuse_discarded(trainee)
    if trainee.training_route == route:
        raise TraineeError(
            f"{trainee.full_name} is already on the {route.label} route; nothing to change."
        )


def trainee_change_training_route_plan(*, trainee: Trainee, route: Any) -> FixPlan:
    route = _route(route)
    _check_route_change(trainee, route)
    preview = copy.copy(trainee)
    preview.progress = copy.deepcopy(trainee.progress)
    before = _snapshot(trainee)
    _apply_route(preview, route)
    plan = FixPlan(changes=_diff(before, _snapshot(preview)))
    plan.notes.append(
        "Nothing is sent to DQT: a route change is not sent automatically. If DQT needs "
        "it, it must be updated separately."
    )
    cleared = [c.label for c in plan.changes if c.field in ROUTE_CLEARED_FIELDS and c.new == "—"]
    if cleared:
        plan.notes.append("Ask the provider to re-enter: " + ", ".join(cleared) + ".")
    return plan


def trainee_change_training_route(
    *, trainee: Trainee, route: Any, reason: str, actor: Any
) -> Trainee:
    """Playbook "Changing training route" (Register's RouteDataManager)."""
    reason = _reason(reason)
    route = _route(route)
    with transaction.atomic():
        trainee = _lock(trainee)
        _check_route_change(trainee, route)
        before = _snapshot(trainee)
        _apply_route(trainee, route)
        _save_and_announce(
            trainee,
            before=before,
            event="change_training_route",
            reason=reason,
            actor=actor,
            send_to_dqt=False,
        )
    return trainee


# --- 2. unwithdraw -------------------------------------------------------------------------


def _check_unwithdraw(trainee: Trainee) -> None:
    _refuse_discarded(trainee)
    if trainee.state != Trainee.State.WITHDRAWN:
        raise TraineeStateError(
            f"Only a withdrawn trainee can be unwithdrawn; {trainee.full_name} is "
            f"{trainee.get_state_display().lower()}."
        )


def _apply_unwithdraw(trainee: Trainee, state: int) -> None:
    trainee.state = state
    for name in WITHDRAWAL_FIELDS:
        setattr(trainee, name, None)


def trainee_unwithdraw_plan(*, trainee: Trainee) -> FixPlan:
    _check_unwithdraw(trainee)
    previous = trainee_state_before_withdrawal(trainee=trainee)
    preview = copy.copy(trainee)
    before = _snapshot(trainee)
    _apply_unwithdraw(preview, previous.state)
    plan = FixPlan(changes=_diff(before, _snapshot(preview)))
    reasons = ", ".join(str(r) for r in trainee.withdrawal_reasons.all())
    if reasons:
        plan.changes.append(FieldChange("withdrawal_reasons", "Withdrawal reasons", reasons, "—"))
    plan.notes.append(f"State restored from the history: {previous.describe()}.")
    plan.notes.append("Earlier history rows are kept as they are.")
    plan.notes.append("The change is passed on to DQT as an update of this trainee.")
    return plan


def trainee_unwithdraw(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Playbook "Unwithdrawing a withdrawn trainee"."""
    reason = _reason(reason)
    with transaction.atomic():
        trainee = _lock(trainee)
        _check_unwithdraw(trainee)
        previous = trainee_state_before_withdrawal(trainee=trainee)
        before = _snapshot(trainee)
        had_reasons = trainee.withdrawal_reasons.exists()
        # Clear the reasons without a history row of their own; the save below records the
        # whole unwithdrawal (state, reasons, dates) as one change with the reason.
        trainee.skip_history_when_saving = True
        try:
            trainee.withdrawal_reasons.clear()
        finally:
            del trainee.skip_history_when_saving
        _apply_unwithdraw(trainee, previous.state)
        _save_and_announce(
            trainee,
            before=before,
            event="unwithdraw",
            reason=reason,
            actor=actor,
            send_to_dqt=True,
            extra_changed={"withdrawal_reasons"} if had_reasons else set(),
        )
    return trainee


# --- 3. undo an incorrect award --------------------------------------------------------------


def _check_revert_award(trainee: Trainee) -> None:
    _refuse_discarded(trainee)
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
    _check_revert_award(trainee)
    preview = copy.copy(trainee)
    before = _snapshot(trainee)
    _apply_revert_award(preview)
    plan = FixPlan(changes=_diff(before, _snapshot(preview)))
    plan.notes.append(
        f"DQT must be corrected too: contact DQT to remove the {trainee.award_type} award "
        "status. Nothing is sent to DQT from here."
    )
    plan.notes.append("Tell the trainee and the provider about the error and its resolution.")
    return plan


def trainee_revert_award(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Playbook "Incorrectly awarded trainee"."""
    reason = _reason(reason)
    with transaction.atomic():
        trainee = _lock(trainee)
        _check_revert_award(trainee)
        before = _snapshot(trainee)
        _apply_revert_award(trainee)
        _save_and_announce(
            trainee,
            before=before,
            event="revert_award",
            reason=reason,
            actor=actor,
            send_to_dqt=False,
        )
    return trainee


# --- 5. previous trainee for a former accredited provider ------------------------------------


def former_provider_of(*, lead_partner: LeadPartner) -> Provider:
    """The provider a lead partner used to be, or a refusal saying why there is none."""
    provider = lead_partner.provider
    if provider is None:
        raise TraineeError(
            f"{lead_partner.name} has no provider: it was never an accredited provider, so "
            "there is no former provider to add the trainee to."
        )
    if provider.accredited:
        raise TraineeError(
            f"{provider.name} is still accredited; add the trainee to it in the normal way."
        )
    if provider.name.strip().casefold() != lead_partner.name.strip().casefold():
        raise TraineeError(
            f"The lead partner is called '{lead_partner.name}' but its provider is "
            f"'{provider.name}'; the playbook fix is only for a provider that became this "
            "same lead partner."
        )
    return provider


def trainee_create_for_former_provider(
    *,
    lead_partner: LeadPartner,
    reason: str,
    actor: Any,
    first_names: str,
    last_name: str,
    date_of_birth=None,
    email: str = "",
) -> Trainee:
    """Playbook "Adding a previous trainee for a former accredited provider": a draft."""
    reason = _reason(reason)
    if not (first_names or "").strip() or not (last_name or "").strip():
        raise TraineeError("Give the trainee's first and last names.")
    with transaction.atomic():
        provider = former_provider_of(lead_partner=lead_partner)
        trainee = Trainee(
            provider=provider,
            state=Trainee.State.DRAFT,
            first_names=first_names,
            last_name=last_name,
            date_of_birth=date_of_birth,
            email=email or "",
        )
        with audit_context(trainee, reason=reason, actor=actor):
            trainee.save()
        trainee_changed.send(
            sender=Trainee,
            trainee=trainee,
            event="create_previous_trainee",
            changed_fields={
                "provider",
                "state",
                "first_names",
                "last_name",
                *(["date_of_birth"] if date_of_birth else []),
                *(["email"] if email else []),
            },
            send_to_dqt=False,
            actor=actor,
        )
    return trainee


# --- 6. remove duplicate trainees ----------------------------------------------------------


@dataclass(frozen=True)
class DuplicateRow:
    line: int
    trainee_id: int
    email: str


@dataclass
class DuplicateRemoval:
    dry_run: bool
    # (duplicate id, its email, id of the trainee kept)
    discarded: list[tuple[int, str, int]] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


ID_HEADERS = ("trainee_id", "id")


def parse_duplicates_csv(text: str) -> list[DuplicateRow]:
    """Validate the whole file before anything is touched; every problem is listed."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise TraineeError("The file is empty. It needs the header trainee_id,email.")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader)]
    id_column = next((h for h in ID_HEADERS if h in header), None)
    if id_column is None or "email" not in header:
        raise TraineeError(
            f"The header is '{','.join(header)}'; it must be trainee_id,email "
            "(id,email is accepted for old files)."
        )
    id_index, email_index = header.index(id_column), header.index("email")
    rows: list[DuplicateRow] = []
    errors: list[str] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        raw_id = values[id_index].strip() if id_index < len(values) else ""
        email = values[email_index].strip() if email_index < len(values) else ""
        if not raw_id.isdigit() or int(raw_id) == 0:
            errors.append(f"Line {line}: {id_column} '{raw_id}' is not a trainee id.")
            continue
        if not email:
            errors.append(f"Line {line}: the email is blank.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"Line {line}: '{email}' is not an email address.")
            continue
        rows.append(DuplicateRow(line, int(raw_id), email))
    if not rows and not errors:
        raise TraineeError("The file has a header but no rows.")
    errors += _cross_row_errors(rows)
    if errors:
        raise TraineeError("The file was not used; nothing changed. " + " ".join(errors))
    return rows


def _cross_row_errors(rows: list[DuplicateRow]) -> list[str]:
    errors = []
    by_id: dict[int, DuplicateRow] = {}
    by_email: dict[str, DuplicateRow] = {}
    for row in rows:
        if row.trainee_id in by_id:
            errors.append(
                f"Line {row.line}: trainee {row.trainee_id} is already on line "
                f"{by_id[row.trainee_id].line}."
            )
            continue
        by_id[row.trainee_id] = row
        key = row.email.casefold()
        if key in by_email:
            other = by_email[key]
            errors.append(
                f"Lines {other.line} and {row.line} keep different trainees "
                f"({other.trainee_id} and {row.trainee_id}) with the same email {row.email}; "
                "list one trainee to keep per email, or they would delete each other."
            )
            continue
        by_email[key] = row
    return errors


def _rows(rows: Any) -> list[DuplicateRow]:
    """Accept parsed rows, or (id, email) pairs / dicts typed in the shell."""
    result = []
    for line, row in enumerate(rows, start=2):
        if isinstance(row, DuplicateRow):
            result.append(row)
            continue
        if isinstance(row, dict):
            trainee_id = row.get("trainee_id", row.get("id"))
            email = row.get("email")
        else:
            trainee_id, email = row
        text = f"{trainee_id},{email}"
        result.extend(
            DuplicateRow(line, r.trainee_id, r.email)
            for r in parse_duplicates_csv("trainee_id,email\n" + text)
        )
    errors = _cross_row_errors(result)
    if errors:
        raise TraineeError("Nothing changed. " + " ".join(errors))
    return result


def trainees_remove_duplicates(
    *, rows: Any, reason: str, actor: Any, dry_run: bool = False
) -> DuplicateRemoval:
    """Playbook "Removing Duplicate Trainees": keep each listed trainee, soft-delete the
    other kept trainees with its email. The file is checked against the database first; a
    row whose email is not the trainee's own refuses the whole run."""
    reason = _reason(reason)
    rows = _rows(rows)
    result = DuplicateRemoval(dry_run=dry_run)
    with transaction.atomic():
        found = Trainee.objects.select_for_update().in_bulk([r.trainee_id for r in rows])
        errors = []
        for row in rows:
            trainee = found.get(row.trainee_id)
            if trainee is not None and trainee.email.casefold() != row.email.casefold():
                errors.append(
                    f"Line {row.line}: trainee {row.trainee_id}'s email is "
                    f"'{trainee.email or 'blank'}', not {row.email}."
                )
        if errors:
            raise TraineeError("The file was not used; nothing changed. " + " ".join(errors))
        now = timezone.now()
        for row in rows:
            kept = found.get(row.trainee_id)
            if kept is None:
                result.not_found.append(row.trainee_id)
                result.messages.append(f"Trainee with trainee_id {row.trainee_id} not found.")
                continue
            duplicates = (
                Trainee.objects.kept()
                .filter(email__iexact=kept.email)
                .exclude(email="")
                .exclude(pk=kept.pk)
                .select_for_update()
                .order_by("pk")
            )
            for duplicate in duplicates:
                result.discarded.append((duplicate.pk, duplicate.email, kept.pk))
                verb = "Would delete" if dry_run else "Deleted"
                result.messages.append(
                    f"{verb} duplicate trainee with id {duplicate.pk} and email "
                    f"{duplicate.email} (keeping trainee {kept.pk})"
                )
                if dry_run:
                    continue
                before = _snapshot(duplicate)
                duplicate.discarded_at = now
                _save_and_announce(
                    duplicate,
                    before=before,
                    event="discard_duplicate",
                    reason=reason,
                    actor=actor,
                    send_to_dqt=False,
                )
        if not result.discarded:
            result.messages.append("No duplicates found.")
        result.messages.append("Task completed.")
    return result


# --- 7. re-import applications from Apply ----------------------------------------------------


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
            if isinstance(state, str) and not state.isdigit()
            else ApplyApplication.State(int(state))
        )
    except (KeyError, ValueError):
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
    reason = _reason(reason)
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


FIX_CHECKS = {
    "unwithdraw": _check_unwithdraw,
    "change_training_route": _refuse_discarded,
    "revert_award": _check_revert_award,
}


def trainee_fix_refusal(*, trainee: Trainee, event: str) -> str | None:
    """Why the trainee's state does not allow this fix, or None if it does."""
    try:
        FIX_CHECKS[event](trainee)
    except TraineeError as error:
        return str(error)
    return None


def trainee_available_fixes(*, trainee: Trainee) -> list[str]:
    """The fixes the trainee's state allows, by event name, in the order buttons appear."""
    return [
        event for event in FIX_CHECKS if trainee_fix_refusal(trainee=trainee, event=event) is None
    ]


# --- the records service's own changes (these are what DQT is told about) ------------------
#
# Providers make these in the records service; the console and the shell use the same
# functions, so every such change sends its DQT job through ``trainee_changed``.


def _transition(*, trainee: Trainee, event: str, reason: str, actor: Any, **kwargs: Any) -> Trainee:
    reason = _reason(reason)
    with transaction.atomic():
        trainee = _lock(trainee)
        _refuse_discarded(trainee)
        before = _snapshot(trainee)
        getattr(trainee, event)(**kwargs)
        _save_and_announce(
            trainee, before=before, event=event, reason=reason, actor=actor, send_to_dqt=True
        )
    return trainee


def trainee_submit_for_trn(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """Draft (or deferred) → submitted for TRN; DQT is asked for a TRN."""
    return _transition(trainee=trainee, event="submit_for_trn", reason=reason, actor=actor)


def trainee_defer(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    return _transition(trainee=trainee, event="defer", reason=reason, actor=actor)


def trainee_recommend_for_award(*, trainee: Trainee, reason: str, actor: Any) -> Trainee:
    """TRN received → recommended for award; DQT awards and answers with the QTS/EYTS date."""
    return _transition(trainee=trainee, event="recommend_for_award", reason=reason, actor=actor)


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
    from .models import WithdrawalReason

    reason = _reason(reason)
    names = list(withdrawal_reasons or [])
    found = list(WithdrawalReason.objects.filter(name__in=names))
    unknown = sorted(set(names) - {r.name for r in found})
    if unknown:
        raise TraineeError(f"Unknown withdrawal reasons: {', '.join(unknown)}.")
    with transaction.atomic():
        trainee = _lock(trainee)
        _refuse_discarded(trainee)
        before = _snapshot(trainee)
        trainee.withdraw(withdraw_date=withdraw_date, details=details)
        with audit_context(trainee, reason=reason, actor=actor):
            trainee.withdrawal_reasons.set(found)
        _save_and_announce(
            trainee,
            before=before,
            event="withdraw",
            reason=reason,
            actor=actor,
            send_to_dqt=True,
            extra_changed={"withdrawal_reasons"} if found else set(),
        )
    return trainee


def trainee_update(*, trainee: Trainee, reason: str, actor: Any) -> set[str]:
    """Save field edits already made on ``trainee`` (e.g. from its admin form) with a reason.
    Returns the changed fields; DQT is sent an update when it holds any of them."""
    reason = _reason(reason)
    with transaction.atomic():
        before = (
            _snapshot(Trainee.objects.select_for_update().get(pk=trainee.pk)) if trainee.pk else {}
        )
        if "state" in before and before["state"] != trainee.state:
            raise TraineeStateError(
                "The state changes only through its own steps (submit, withdraw, defer, "
                "recommend, award) or a playbook fix, not by editing the record."
            )
        return _save_and_announce(
            trainee, before=before, event="update", reason=reason, actor=actor, send_to_dqt=True
        )
