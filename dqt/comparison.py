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
    """Field by field: names, date of birth, programme type, ITT dates, provider UKPRN and the
    QTS/EYTS date against Register's award date. Values are display strings (dates ISO);
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


def differences(comparisons: list[FieldComparison]) -> list[FieldComparison]:
    return [c for c in comparisons if not c.matches]


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
