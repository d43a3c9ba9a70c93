"""Register beside DQT, for the diagnosis of failed DQT jobs (pure functions, no HTTP).

``compare_with_dqt`` is the playbook's "cross reference the trainee details on Register with
the trainee details on DQT" (the QTS/EYTS race, 10005, 10006); ``organisation_not_found_message``
is the text to send DQT when it lacks a degree institution's UKPRN.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from django.utils import timezone

from trainees.models import Trainee

from .lookups import training_record
from .payloads import programme_type
from .reference_data import degree_institution


class FieldComparison(NamedTuple):
    field: str
    register_value: str | None
    dqt_value: str | None
    matches: bool


def compare_with_dqt(trainee: Trainee, dqt_record: dict[str, Any]) -> list[FieldComparison]:
    """Field by field: names, date of birth, programme type, ITT dates, provider UKPRN, the
    training's result against Register's state, and the QTS/EYTS date against Register's
    award date. Values are display strings (dates ISO);
    names compare without regard to case or spacing."""
    row = training_record(trainee, dqt_record) or {}
    award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
    pairs: list[tuple[str, Any, Any, bool]] = [
        (
            "Given names",
            _join(trainee.first_names, trainee.middle_names),
            _join(dqt_record.get("firstName"), dqt_record.get("middleName")),
            True,
        ),
        ("Last name", trainee.last_name, dqt_record.get("lastName"), True),
        ("Date of birth", trainee.date_of_birth, dqt_record.get("dateOfBirth"), False),
        ("Programme type", programme_type(trainee), row.get("programmeType"), False),
        ("ITT start date", trainee.itt_start_date, row.get("programmeStartDate"), False),
        ("ITT end date", trainee.itt_end_date, row.get("programmeEndDate"), False),
        (
            "Provider UKPRN",
            trainee.provider.ukprn,
            (row.get("provider") or {}).get("ukprn"),
            False,
        ),
        ("Training result", dqt_result_for(trainee), row.get("result"), False),
        (
            f"{trainee.award_type} date",
            trainee.awarded_at,
            dqt_record.get(award_field),
            False,
        ),
    ]
    return [
        FieldComparison(name, _display(ours), _display(theirs), _same(ours, theirs, loose))
        for name, ours, theirs, loose in pairs
    ]


def dqt_result_for(trainee: Trainee) -> str | None:
    """The result DQT's training row has once it has been told everything about the trainee's
    state on Register (None for a draft, which DQT does not know)."""
    S = Trainee.State
    in_training = (
        "UnderAssessment"
        if trainee.training_route == Trainee.TrainingRoute.ASSESSMENT_ONLY
        else "InTraining"
    )
    results: dict[int, str] = {
        S.SUBMITTED_FOR_TRN: in_training,
        S.TRN_RECEIVED: in_training,
        S.RECOMMENDED_FOR_AWARD: in_training,
        S.DEFERRED: "Deferred",
        S.WITHDRAWN: "Withdrawn",
        S.AWARDED: "Pass",
    }
    return results.get(trainee.state)


def differences(comparisons: list[FieldComparison]) -> list[FieldComparison]:
    return [c for c in comparisons if not c.matches]


def dqt_award_date(trainee: Trainee, dqt_record: dict[str, Any]) -> str | None:
    """DQT's QTS date, or its EYTS date for an early-years trainee (as Register compared)."""
    return dqt_record.get("eytsDate" if trainee.is_early_years else "qtsDate") or None


def dqt_trainings(dqt_record: dict[str, Any]) -> str:
    """DQT's ITT rows in one line: provider, programme type and result of each."""
    rows = dqt_record.get("initialTeacherTraining") or []
    if not rows:
        return "none"
    return "; ".join(
        f"UKPRN {(row.get('provider') or {}).get('ukprn') or '—'}, "
        f"{row.get('programmeType') or 'no programme type'}, {row.get('result') or 'no result'}"
        + ("" if row.get("active", True) else " (inactive)")
        for row in rows
    )


def award_gap(trainee: Trainee, dqt_record: dict[str, Any]) -> str:
    """Why DQT refused to award (10005: no training it could award) and what to do, read
    from DQT's record; empty when DQT holds the award already."""
    if dqt_award_date(trainee, dqt_record):
        return ""
    row = training_record(trainee, dqt_record)
    result = (row or {}).get("result")
    provider = f"{trainee.provider.name} (UKPRN {trainee.provider.ukprn})"
    if row is None:
        return (
            f"DQT holds no training at Register's provider, {provider}; its trainings: "
            f"{dqt_trainings(dqt_record)}. DQT awards only a training at the provider the award "
            "names. Check with the provider which is right, have the wrong side corrected "
            "(DQT's by the DQT team), then retry."
        )
    if result == "Withdrawn":
        return (
            "DQT has this training withdrawn, and DQT never awards a withdrawn training. Check "
            "with the provider: if the trainee left, undo the recommendation on Register (Undo "
            "award), have the provider withdraw them and discard this job; if they passed, ask the DQT team to "
            "put the training back in training, then retry."
        )
    if result == "Fail":
        return (
            "DQT records a fail for this training, which DQT never changes through the API: "
            "speak with the DQT team and the provider."
        )
    return (
        f"DQT has the training at {provider} as {result or 'no result'}, with no "
        f"{trainee.award_type} date, but did not match it to this trainee (it carries another "
        "Register record's id, or DQT does not know the provider as a training provider). "
        "Speak with the DQT team, then retry."
    )


def dqt_team_message(trainee: Trainee, *, answer: str, ask: str) -> str:
    """A request to the DQT team to correct their side, naming the teacher, the training and
    what DQT answered, for a refusal only DQT can lift."""
    return (
        "Hello DQT team,\n\n"
        f"{ask}\n"
        f"Teacher: {trainee.full_name}, TRN {trainee.trn or 'not yet assigned'}, Register id "
        f"{trainee.slug}; training at {trainee.provider.name} (UKPRN {trainee.provider.ukprn}), "
        f"{trainee.get_training_route_display() or 'no route'}.\n"
        f"DQT answered “{answer}”. We will send the record again once it is corrected.\n"
    )


def organisation_not_found_message(trainee: Trainee) -> str:
    """What to send DQT so they add the trainee's degree institution (playbook: "Send the UKPRN
    and degree institution details over to DQT so they can add on their side")."""
    who = (
        f"{trainee.full_name} (TRN {trainee.trn or 'not yet assigned'}, Register id {trainee.slug})"
    )
    if not trainee.degree_institution_uuid:
        return (
            f"Register holds no degree institution for {who}, so the UKPRN DQT rejected is not "
            "a degree institution's: check the training provider's UKPRN "
            f"({trainee.provider.ukprn}) instead."
        )
    institution = degree_institution(trainee.degree_institution_uuid)
    if institution is None:
        return (
            f"The degree institution of {who} ({trainee.degree_institution_uuid}) is not in the "
            "DfE reference data we hold, so we cannot name its UKPRN: ask the provider which "
            "institution awarded the degree."
        )
    if not institution.ukprn:
        return (
            f"The degree institution of {who}, {institution.name} (DfE reference data id "
            f"{institution.uuid}), has no UKPRN in the DfE reference data, so we send none."
        )
    closed = f" (closed {institution.closed})" if institution.closed else ""
    return (
        "Hello DQT team,\n\n"
        f"Please add this degree-awarding institution to DQT: {institution.name}{closed}, "
        f"UKPRN {institution.ukprn} (DfE reference data institution id {institution.uuid}).\n"
        f'DQT answered "Organisation not found" for qualification.providerUkprn '
        f"{institution.ukprn} when we sent the record of {who}. We will resend it once the "
        "institution is on DQT.\n"
    )


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _display(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(ours: Any, theirs: Any, loose: bool) -> bool:
    a, b = _display(ours), _display(theirs)
    if loose:
        a = " ".join((a or "").lower().split()) or None
        b = " ".join((b or "").lower().split()) or None
    return a == b
