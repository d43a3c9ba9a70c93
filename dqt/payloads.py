"""Turn a trainee into the request bodies DQT takes, as Register's ``Dqt::Params::*`` did.

Pure functions over a :class:`trainees.models.Trainee` (no database writes, no HTTP), so
they are easy to test and to show in the console ("what would we send?").
Field names, enum values and rules are from ``dqt-api.md`` §1 and §3.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from trainees.models import Trainee

from .countries import country_code
from .errors import NoDqtProgrammeType, TraineeMissingData, UnknownIqtsCountry
from .reference_data import degree_institution
from .subjects import hecos_code

Route = Trainee.TrainingRoute

# Register's final DQT-era route → programmeType map (Dqt::Params::TrnRequest::PROGRAMME_TYPE).
# The teacher degree apprenticeship never had one: Register sent null, which DQT refuses, so
# the jobs refuse it before calling DQT (``check_sendable``).
PROGRAMME_TYPES: dict[int, str | None] = {
    Route.ASSESSMENT_ONLY: "AssessmentOnlyRoute",
    Route.EARLY_YEARS_ASSESSMENT_ONLY: "EYITTAssessmentOnly",
    Route.EARLY_YEARS_POSTGRAD: "EYITTGraduateEntry",
    Route.EARLY_YEARS_SALARIED: "EYITTGraduateEmploymentBased",
    Route.EARLY_YEARS_UNDERGRAD: "EYITTUndergraduate",
    Route.HPITT_POSTGRAD: "HighPotentialITT",
    Route.OPT_IN_UNDERGRAD: "UndergraduateOptIn",
    Route.PG_TEACHING_APPRENTICESHIP: "Apprenticeship",
    Route.PROVIDER_LED_POSTGRAD: "PrimaryAndSecondaryPostgraduateFeeFunded",
    Route.PROVIDER_LED_UNDERGRAD: "PrimaryAndSecondaryUndergraduateFeeFunded",
    Route.SCHOOL_DIRECT_SALARIED: "SchoolDirectTrainingProgrammeSalaried",
    Route.SCHOOL_DIRECT_TUITION_FEE: "SchoolDirectTrainingProgramme",
    Route.IQTS: "InternationalQualifiedTeacherStatus",
    Route.TEACHER_DEGREE_APPRENTICESHIP: None,
}

GENDER_CODES: dict[int, str] = {
    Trainee.Sex.MALE: "Male",
    Trainee.Sex.FEMALE: "Female",
    Trainee.Sex.OTHER: "Other",
    Trainee.Sex.PREFER_NOT_TO_SAY: "NotProvided",
    Trainee.Sex.SEX_NOT_PROVIDED: "NotAvailable",
}

# DfE reference data's code for "United Kingdom, not otherwise specified": every institution
# in our degree list is a UK one.
UK_COUNTRY_CODE = "XK"


def programme_type(trainee: Trainee) -> str | None:
    if trainee.training_route is None:
        return None
    return PROGRAMME_TYPES.get(trainee.training_route)


def check_sendable(trainee: Trainee) -> None:
    """Refuse, before calling DQT, a TRN request or update DQT is sure to refuse or that
    Register could not build: a route without a DQT programme type (the teacher degree
    apprenticeship), or an IQTS country no code can be found for."""
    if programme_type(trainee) is None:
        raise NoDqtProgrammeType(trainee)
    if trainee.iqts_country and country_code(trainee.iqts_country) is None:
        raise UnknownIqtsCountry(trainee)


def missing_for_update(trainee: Trainee) -> list[str]:
    """The course details an update cannot go without, by their labels on Register: DQT
    refuses an update with no programme start or end date ("'Initial Teacher Training
    Programme Start Date' must not be empty."), and a route change clears both."""
    missing = []
    if trainee.itt_start_date is None:
        missing.append("ITT start date")
    if trainee.itt_end_date is None and estimated_end_date(trainee) is None:
        missing.append("ITT end date")
    return missing


def trn_request(trainee: Trainee) -> dict[str, Any]:
    """Body of PUT /v2/trn-requests/{requestId}, keys in Register's order. Names go as they
    are, however long: Register never shortened them (DQT's limit is 100 characters)."""
    body = {
        "firstName": trainee.first_names,
        "middleName": trainee.middle_names or None,
        "lastName": trainee.last_name,
        "birthDate": _iso(trainee.date_of_birth),
        "emailAddress": trainee.email or None,
        "slugid": trainee.slug,
        # Register always sent an address of nulls; DQT ignores it for trainees.
        "address": {
            "addressLine1": None,
            "addressLine2": None,
            "addressLine3": None,
            "city": None,
            "postalCode": None,
            "country": None,
        },
        "husid": trainee.hesa_id or None,
        "genderCode": _gender_code(trainee),
        "initialTeacherTraining": initial_teacher_training(trainee),
        "qualification": qualification(trainee),
    }
    return _without_nulls(body)


def update(trainee: Trainee, *, include_personal_details: bool = False) -> dict[str, Any]:
    """Body of PATCH /v2/teachers/update/{trn}, as Register's ``Dqt::Params::Update``: nulls
    are sent (a null ``husid`` clears DQT's).

    Personal details, the date of birth among them, go only when DQT allows PII updates for
    this teacher (``allowPIIUpdates`` on its record); the caller decides.
    """
    itt = initial_teacher_training(trainee)
    outcome = update_outcome(trainee)
    if outcome:
        itt["outcome"] = outcome
    body: dict[str, Any] = {
        "trn": trainee.trn or None,
        "husid": trainee.hesa_id or None,
        "initialTeacherTraining": itt,
        "qualification": qualification(trainee),
    }
    if include_personal_details:
        body.update(
            {
                "firstName": trainee.first_names,
                "middleName": trainee.middle_names or None,
                "lastName": trainee.last_name,
                "emailAddress": trainee.email or None,
                "genderCode": _gender_code(trainee),
                "dateOfBirth": _iso(trainee.date_of_birth),
            }
        )
    return body


def update_outcome(trainee: Trainee) -> str | None:
    """DQT's update accepts only Deferred, InTraining or UnderAssessment (Register's rule)."""
    if trainee.state == Trainee.State.DEFERRED:
        return "Deferred"
    if trainee.state in (Trainee.State.SUBMITTED_FOR_TRN, Trainee.State.TRN_RECEIVED):
        if trainee.training_route == Route.ASSESSMENT_ONLY:
            return "UnderAssessment"
        return "InTraining"
    return None


def withdrawal(trainee: Trainee) -> dict[str, Any]:
    """Body of PUT /v2/teachers/{trn}/itt-outcome for a withdrawal."""
    return {"ittProviderUkprn": trainee.provider.ukprn, "outcome": "Withdrawn"}


def award(trainee: Trainee) -> dict[str, Any]:
    """Body of PUT /v2/teachers/{trn}/itt-outcome for an award: the assessment date is the
    outcome date, the day the trainee met the standards; DQT makes it the QTS/EYTS date."""
    if trainee.outcome_date is None:
        raise TraineeMissingData(
            f"Cannot recommend for award on DQT without an outcome date (id: {trainee.pk})"
        )
    return {
        "ittProviderUkprn": trainee.provider.ukprn,
        "outcome": "Pass",
        "assessmentDate": _iso(trainee.outcome_date),
    }


def initial_teacher_training(trainee: Trainee) -> dict[str, Any]:
    ptype = programme_type(trainee)
    return {
        "providerUkprn": trainee.provider.ukprn,
        "programmeStartDate": _iso(trainee.itt_start_date),
        "programmeEndDate": _iso(trainee.itt_end_date or estimated_end_date(trainee)),
        "programmeType": ptype,
        "subject1": hecos_code(trainee.course_subject_one),
        "subject2": hecos_code(trainee.course_subject_two),
        "subject3": hecos_code(trainee.course_subject_three),
        "ageRangeFrom": trainee.course_min_age,
        "ageRangeTo": trainee.course_max_age,
        # Register read the aim and type from HESA metadata, which we do not hold: with none,
        # an IQTS trainee's type is IQTS and everything else is null, as in Register.
        "ittQualificationAim": None,
        "ittQualificationType": "InternationalQualifiedTeacherStatus"
        if ptype == "InternationalQualifiedTeacherStatus"
        else None,
        "trainingCountryCode": country_code(trainee.iqts_country),
    }


def estimated_end_date(trainee: Trainee) -> date | None:
    """Register's ``Trainee#estimated_end_date``, sent when the ITT end date is missing: the
    start (the trainee's own, else the ITT start) plus the usual length of the course. None
    without a start date (Register failed there; DQT then says the end date is missing)."""
    start = trainee.trainee_start_date or trainee.itt_start_date
    if start is None:
        return None
    part_time = trainee.study_mode == Trainee.StudyMode.PART_TIME
    full_time = trainee.study_mode == Trainee.StudyMode.FULL_TIME
    if trainee.training_route == Route.PROVIDER_LED_UNDERGRAD and part_time:
        months = 70
    elif trainee.training_route == Route.PROVIDER_LED_UNDERGRAD and full_time:
        months = 34
    elif trainee.training_route == Route.OPT_IN_UNDERGRAD or part_time:
        months = 22
    else:
        months = 10
    return _add_months(start, months)


def _add_months(day: date, months: int) -> date:
    """Rails' ``date + n.months``: the same day n months on, or that month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def qualification(trainee: Trainee) -> dict[str, Any] | None:
    """The degree, named by its awarding institution's UKPRN; None when the trainee has no
    degree institution (DQT then keeps whatever it has)."""
    if not trainee.degree_institution_uuid:
        return None
    institution = degree_institution(trainee.degree_institution_uuid)
    return {
        "providerUkprn": institution.ukprn if institution else None,
        "countryCode": UK_COUNTRY_CODE,
        "subject": None,
        "class": None,
        "date": None,
        "heQualificationType": None,
    }


def _gender_code(trainee: Trainee) -> str | None:
    return GENDER_CODES.get(trainee.sex) if trainee.sex is not None else None


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value.isoformat()


def _without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    """Register compacted the top level only; nested nulls are sent (DQT reads them as unset)."""
    return {key: value for key, value in body.items() if value is not None}
