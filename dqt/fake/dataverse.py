"""What DQT does with its records once a request has passed validation and the teacher is
found: the two writes Register made after the TRN, in the order DQT checks things.

``set_itt_result`` follows teaching-record-system
``src/TeachingRecordSystem.Core/Dqt/DataverseAdapter.SetIttResultForTeacher.cs`` and
``update_teacher`` follows ``DataverseAdapter.UpdateTeacher.cs`` (with the failure → key
mapping of ``Api/V2/Handlers/UpdateTeacherHandler.cs``). A teacher here is the fake's record
(``dqt/fake/state.py``); its QTS registrations are DQT's ``dfeta_qtsregistration`` rows,
each with a teacher status and an early-years status (CRM codes: 211 trainee teacher, 212
assessment-only candidate, 71/100/90 qualified, 220 early-years trainee, 221 EYTS).
"""

from __future__ import annotations

from typing import Any

from .aspnet import Answer, domain_error, validation_error
from .validators import AO, IQTS, ITT, ITT_OUTCOMES, PROGRAMME_TYPES, ci_get, ci_has, enum_value

EARLY_YEARS_PROGRAMME_TYPES = frozenset(
    # Core/Dqt/Models/ITTProgrammeTypeExtensions.cs IsEarlyYears
    {
        "EYITTAssessmentOnly",
        "EYITTGraduateEmploymentBased",
        "EYITTGraduateEntry",
        "EYITTSchoolDirectEarlyYears",
        "EYITTUndergraduate",
    }
)

# Error titles, Api/Properties/StringResources.resx (Errors.N.Title).
TEACHER_NOT_FOUND = (10001, "Teacher with specified TRN not found")
MULTIPLE_TEACHERS = (10002, "Multiple teachers found")
ALREADY_HAS_QTS = (10003, "Teacher already has QTS/EYTS date")
MULTIPLE_INCOMPLETE_ITT = (10004, "Teacher has multiple incomplete ITT records")
NO_INCOMPLETE_ITT = (10005, "Teacher has no incomplete ITT record")
NO_QTS_RECORD = (10006, "Teacher has no QTS record")
MULTIPLE_QTS_RECORDS = (10007, "Teacher has multiple QTS records")
ORGANISATION_NOT_FOUND = "Organisation not found"
SUBJECT_NOT_FOUND = "Subject not found"
COUNTRY_NOT_FOUND = "Country not found"
PROGRAMME_TYPE_CANNOT_CHANGE = "ProgrammeType cannot be changed"
HUSID_TAKEN = "Husid registered for an existing teacher"
IN_TRAINING_NOT_FOR_AO = "InTraining not permitted for AssessmentOnlyRoute programme types."
UNDER_ASSESSMENT_ONLY_AO = "UnderAssessment only permitted for AssessmentOnlyRoute programme types."
CANNOT_UNWITHDRAW_TO_DEFERRED = "Result cannot be unwithdrawn to deferred"
CANNOT_CHANGE_FAIL = "Unable to change Failed Result."

TRAINEE_TEACHER = "211"
AOR_CANDIDATE = "212"
QUALIFIED_STATUSES = {IQTS: "90", AO: "100"}
QUALIFIED_TRAINED = "71"
EY_TRAINEE = "220"
EY_TEACHER = "221"

# The outcomes SetIttResultForTeacher accepts; other IttOutcome members throw (a 500).
SETTABLE_RESULTS = frozenset({"Pass", "Fail", "Withdrawn", "Deferred", "DeferredForSkillsTests"})
INCOMPLETE_RESULTS = frozenset({"UnderAssessment", "Withdrawn", "Deferred", "Fail", "InTraining"})


def is_early_years(programme_type: str | None) -> bool:
    return programme_type in EARLY_YEARS_PROGRAMME_TYPES


def ok(trn: str, qts_date: str | None) -> Answer:
    return Answer(200, {"trn": trn, "qtsDate": qts_date})


# --- QTS registrations -------------------------------------------------------------------------


def registration(
    teacher_status: str | None = None,
    early_years_status: str | None = None,
    qts_date: str | None = None,
    eyts_date: str | None = None,
) -> dict[str, Any]:
    return {
        "teacherStatus": teacher_status,
        "earlyYearsStatus": early_years_status,
        "qtsDate": qts_date,
        "eytsDate": eyts_date,
    }


def registration_from(record: dict[str, Any]) -> dict[str, Any]:
    """A registration given to the control API (camelCase keys, any of them left out)."""
    unknown = set(record) - set(registration())
    if unknown:
        raise ValueError(f"unknown QTS registration fields: {sorted(unknown)}")
    return {**registration(), **record}


def default_registrations(teacher: dict[str, Any]) -> list[dict[str, Any]]:
    """The QTS registration DQT holds for a teacher whose record says nothing about it: the one
    its TRN request made (DataverseAdapter.CreateTeacher.cs: 211, 212 for assessment only, 220
    for early years), moved on by what the record shows since — qualified once there is a
    QTS/EYTS date, without a status once the training is withdrawn (our assumption: the
    registration is inferred from the first active ITT row and the teacher's dates)."""
    rows = [r for r in teacher.get("initialTeacherTraining", []) if r.get("active", True)]
    row = rows[0] if rows else {}
    programme_type = row.get("programmeType")
    withdrawn = row.get("result") == "Withdrawn"
    if is_early_years(programme_type):
        eyts = teacher.get("eytsDate")
        status = None if withdrawn else (EY_TEACHER if eyts else EY_TRAINEE)
        return [registration(early_years_status=status, eyts_date=eyts)]
    qts = teacher.get("qtsDate")
    if withdrawn:
        status = None
    elif qts:
        status = QUALIFIED_STATUSES.get(programme_type or "", QUALIFIED_TRAINED)
    else:
        status = AOR_CANDIDATE if programme_type == AO else TRAINEE_TEACHER
    return [registration(teacher_status=status, qts_date=qts)]


def registrations(teacher: dict[str, Any]) -> list[dict[str, Any]]:
    stored = teacher.get("qtsRegistrations")
    return stored if stored is not None else default_registrations(teacher)


def _matching_registrations(regs: list[dict], programme_type: str | None) -> list[dict]:
    """SelectQtsRegistrationRecord: a qualified registration, or the trainee status that fits
    the ITT row (220 early years, 212 assessment only, 211 otherwise)."""
    qualified = {QUALIFIED_TRAINED, *QUALIFIED_STATUSES.values()}
    found = []
    for reg in regs:
        if reg.get("earlyYearsStatus") == EY_TEACHER or reg.get("teacherStatus") in qualified:
            found.append(reg)
        elif is_early_years(programme_type):
            if reg.get("earlyYearsStatus") == EY_TRAINEE:
                found.append(reg)
        elif reg.get("teacherStatus") == (
            AOR_CANDIDATE if programme_type == AO else TRAINEE_TEACHER
        ):
            found.append(reg)
    return found


# --- itt-outcome -------------------------------------------------------------------------------


def _outcome_row(
    rows: list[dict], ukprn: str, slug: str | None
) -> tuple[dict | None, tuple | None]:
    """SelectIttRecord for itt-outcome: the active rows *at this provider* with the request's
    slug, else its rows without a slug; results that can still take an outcome."""
    candidates = []
    if slug:
        candidates = [
            r
            for r in rows
            if r.get("slugId") == slug and r.get("providerUkprn") == ukprn and r.get("active", True)
        ]
    if not candidates:
        candidates = [
            r
            for r in rows
            if r.get("providerUkprn") == ukprn and not r.get("slugId") and r.get("active", True)
        ]
    matching = []
    for row in candidates:
        result = row.get("result")
        if row.get("programmeType") == AO:
            if result in {"UnderAssessment", "Withdrawn", "Deferred", "Pass", "Fail"}:
                matching.append(row)
        elif row.get("programmeType") and result in {
            "InTraining",
            "Withdrawn",
            "Deferred",
            "Pass",
            "Fail",
        }:
            matching.append(row)
    if not matching:
        return None, NO_INCOMPLETE_ITT
    if len(matching) > 1:
        return None, MULTIPLE_INCOMPLETE_ITT
    return matching[0], None


def set_itt_result(
    teacher: dict[str, Any],
    *,
    trn: str,
    ukprn: str,
    outcome: str,
    assessment_date: str | None,
    slug: str | None,
    provider_known: bool,
) -> Answer:
    """The checks in DQT's order: provider, ITT row, a failed or withdrawn row, the QTS
    registration, the award date; then the write. So a withdrawn teacher asked for an award
    is 10005 (the row), and withdrawing an awarded one succeeds."""
    if outcome not in SETTABLE_RESULTS:
        return Answer(500)
    if not provider_known:
        return domain_error(400, NO_INCOMPLETE_ITT)
    row, failure = _outcome_row(teacher.get("initialTeacherTraining", []), ukprn, slug)
    if failure or row is None:
        return domain_error(400, failure or NO_INCOMPLETE_ITT)
    if row.get("result") == "Fail":
        return ok(trn, None) if outcome == "Fail" else domain_error(400, NO_INCOMPLETE_ITT)
    if row.get("result") == "Withdrawn":
        return ok(trn, None) if outcome == "Withdrawn" else domain_error(400, NO_INCOMPLETE_ITT)
    programme_type = row.get("programmeType")
    early_years = is_early_years(programme_type)
    regs = registrations(teacher)
    matching = _matching_registrations(regs, programme_type)
    if not matching:
        return domain_error(400, NO_QTS_RECORD)
    if len(matching) > 1:
        return domain_error(400, MULTIPLE_QTS_RECORDS)
    reg = matching[0]
    if outcome == "Pass":
        # Early years compares the teacher's EYTS date, the rest the registration's QTS date.
        held = teacher.get("eytsDate") if early_years else reg.get("qtsDate")
        if held and held != assessment_date:
            return domain_error(400, ALREADY_HAS_QTS)
    row["result"] = outcome
    if outcome == "Pass":
        # DQT writes the date on the registration; the teacher's own QTS/EYTS date (what GET
        # shows and the update checks) follows it (our assumption: CRM copies it).
        if early_years:
            reg.update(earlyYearsStatus=EY_TEACHER, eytsDate=assessment_date)
            teacher["eytsDate"] = assessment_date
        else:
            status = QUALIFIED_STATUSES.get(programme_type or "", QUALIFIED_TRAINED)
            reg.update(teacherStatus=status, qtsDate=assessment_date)
            teacher["qtsDate"] = assessment_date
    elif outcome == "Withdrawn":
        # The status goes; the dates stay.
        reg["earlyYearsStatus" if early_years else "teacherStatus"] = None
    teacher["qtsRegistrations"] = regs
    return ok(trn, assessment_date if outcome == "Pass" else None)


# --- update ------------------------------------------------------------------------------------


def _update_row(rows: list[dict], ukprn: str, slug: str | None) -> tuple[dict | None, str | None]:
    """SelectIttRecord for update: active rows with the request's slug *at any provider*, else
    this provider's rows without a slug; and more than one incomplete row among ``rows``
    (whatever the provider) is an error too. Pass rows never match."""
    candidates = []
    if slug:
        candidates = [r for r in rows if r.get("slugId") == slug and r.get("active", True)]
    if not candidates:
        candidates = [
            r
            for r in rows
            if r.get("providerUkprn") == ukprn and not r.get("slugId") and r.get("active", True)
        ]
    incomplete = [
        r for r in rows if r.get("active", True) and r.get("result") in INCOMPLETE_RESULTS
    ]
    matching = []
    for row in candidates:
        allowed = {"Withdrawn", "Deferred", "Fail"}
        allowed.add("UnderAssessment" if row.get("programmeType") == AO else "InTraining")
        if row.get("result") in allowed:
            matching.append(row)
    if len(matching) == 1 and len(incomplete) <= 1:
        return matching[0], None
    if len(matching) > 1 or len(incomplete) > 1:
        return None, "multiple"
    return None, "none"


def _refused(key: str, message: str) -> Answer:
    return validation_error({key: [message]})


def update_teacher(
    teacher: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    body: dict[str, Any],
    slug: str | None,
    reference_errors: dict[str, list[str]],
) -> Answer:
    """DataverseAdapter.UpdateTeacher: reference data, then the teacher's QTS/EYTS date, the
    programme type, the outcome against the row, the QTS registration, and only then whether
    an ITT row matched. ``rows`` are DQT's rows with the request's slug if any has it, else
    the teacher's own."""
    itt = ci_get(body, ITT)
    programme_type = enum_value(ci_get(itt, "programmeType"), PROGRAMME_TYPES)
    outcome = enum_value(ci_get(itt, "outcome"), ITT_OUTCOMES)
    early_years = is_early_years(programme_type)
    if reference_errors:
        return validation_error(reference_errors)
    row, row_failure = _update_row(rows, str(ci_get(itt, "providerUkprn")), slug)
    if teacher.get("eytsDate" if early_years else "qtsDate"):
        return _refused(f"{ITT}.programmeType", ALREADY_HAS_QTS[1])
    if row is not None and (
        row.get("programmeType") is None or is_early_years(row["programmeType"]) != early_years
    ):
        return _refused(f"{ITT}.programmeType", PROGRAMME_TYPE_CANNOT_CHANGE)
    if outcome and row is not None and row.get("result") == "Fail":
        return _refused(f"{ITT}.outcome", CANNOT_CHANGE_FAIL)
    withdrawn = row is not None and row.get("result") == "Withdrawn"
    if withdrawn and row is not None:
        if outcome == "Deferred":
            return _refused(f"{ITT}.outcome", CANNOT_UNWITHDRAW_TO_DEFERRED)
        if row.get("programmeType") == AO and outcome != "UnderAssessment":
            return _refused(f"{ITT}.outcome", IN_TRAINING_NOT_FOR_AO)
        if row.get("programmeType") != AO and outcome == "UnderAssessment":
            return _refused(f"{ITT}.outcome", UNDER_ASSESSMENT_ONLY_AO)
    regs = registrations(teacher)
    status_change: tuple[dict, str, str] | None = None
    fails_on_write = False
    if withdrawn and row is not None:
        # Undoing a withdrawal needs the registration the withdrawal left without a status.
        field = "earlyYearsStatus" if is_early_years(row.get("programmeType")) else "teacherStatus"
        emptied = [r for r in regs if r.get(field) is None]
        if not emptied:
            return _refused(f"{ITT}.outcome", NO_QTS_RECORD[1])
        if len(emptied) == 1:
            if early_years:
                status_change = (emptied[0], "earlyYearsStatus", EY_TRAINEE)
            else:
                trainee_status = (
                    AOR_CANDIDATE if row.get("programmeType") == AO else TRAINEE_TEACHER
                )
                status_change = (emptied[0], "teacherStatus", trainee_status)
    elif (
        row is not None
        and row.get("programmeType")
        and not is_early_years(row["programmeType"])
        and row["programmeType"] != programme_type
    ):
        # Another (non early-years) programme: the trainee status follows it.
        trainees = [r for r in regs if r.get("teacherStatus") in (AOR_CANDIDATE, TRAINEE_TEACHER)]
        if not trainees:
            return _refused(f"{ITT}.outcome", NO_QTS_RECORD[1])
        if len(trainees) == 1:
            new_status = AOR_CANDIDATE if programme_type == AO else TRAINEE_TEACHER
            status_change = (trainees[0], "teacherStatus", new_status)
        else:
            fails_on_write = True  # DQT sends an update with no target: the write throws
    if row_failure == "multiple":
        return _refused(ITT, MULTIPLE_INCOMPLETE_ITT[1])
    if row_failure == "none" or row is None:
        return _refused(f"{ITT}.providerUkprn", NO_INCOMPLETE_ITT[1])
    if fails_on_write:
        return Answer(500)
    if status_change:
        reg, field, value = status_change
        reg[field] = value
        teacher["qtsRegistrations"] = regs
    _write_row(row, itt, body, programme_type, outcome)
    qualification = ci_get(body, "qualification")
    if isinstance(qualification, dict):
        teacher["qualification"] = qualification
    _write_contact(teacher, body, slug)
    return Answer(204)


def _write_row(
    row: dict[str, Any],
    itt: dict[str, Any],
    body: dict[str, Any],
    programme_type: str | None,
    outcome: str | None,
) -> None:
    """CreateInitialTeacherTrainingEntity: the row takes the request's training — its provider
    too, so a slug-matched row moves to the new provider."""
    row["providerUkprn"] = str(ci_get(itt, "providerUkprn"))
    for name in (
        "programmeStartDate",
        "programmeEndDate",
        "subject1",
        "subject2",
        "subject3",
        "ageRangeFrom",
        "ageRangeTo",
        "ittQualificationType",
        "ittQualificationAim",
    ):
        row[name] = ci_get(itt, name)
    row["programmeType"] = programme_type
    row["result"] = outcome or row.get("result")
    row["husId"] = ci_get(body, "husId")  # dfeta_TraineeID = HusId.ValueOrDefault()
    if ci_get(itt, "trainingCountryCode"):
        row["trainingCountryCode"] = ci_get(itt, "trainingCountryCode")


def _write_contact(teacher: dict[str, Any], body: dict[str, Any], slug: str | None) -> None:
    """The contact is written when its HUSID or slug differ from the request's, or when PII
    is sent and DQT allows Register to change it (teachers made by a TRN request). Then the
    slug becomes the query's, the HUSID the body's (even null) if sent, names, sex and date
    of birth change if PII is allowed, and the email unless the teacher has signed in to
    DQT's services (a TS person id)."""
    pii = ("firstName", "middleName", "lastName", "dateOfBirth", "emailAddress", "genderCode")
    allowed = bool(teacher.get("allowPIIUpdates"))
    pii_sent = any(ci_has(body, name) for name in pii)
    if not (
        teacher.get("husId") != ci_get(body, "husId")
        or teacher.get("slugId") != slug
        or (allowed and pii_sent)
    ):
        return
    teacher["slugId"] = slug
    if ci_has(body, "husId"):
        teacher["husId"] = ci_get(body, "husId")
    if allowed:
        if ci_has(body, "firstName"):
            # UpdateTeacherHandler re-splits the given names as the TRN request did.
            given = f"{ci_get(body, 'firstName') or ''} {ci_get(body, 'middleName') or ''}".split()
            teacher["firstName"] = given[0] if given else None
            teacher["middleName"] = " ".join(given[1:]) or None
        elif ci_has(body, "middleName"):
            teacher["middleName"] = ci_get(body, "middleName") or None
        for name, field in (("lastName", "lastName"), ("genderCode", "genderCode")):
            if ci_has(body, name):
                teacher[field] = ci_get(body, name)
        if ci_has(body, "dateOfBirth"):
            teacher["dateOfBirth"] = ci_get(body, "dateOfBirth")
    if not teacher.get("tsPersonId") and ci_has(body, "emailAddress"):
        teacher["emailAddress"] = ci_get(body, "emailAddress")
