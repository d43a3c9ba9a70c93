"""DQT v2's request validation, rule by rule: what answers 400 before DQT looks anything up.

Each function follows one of DQT's FluentValidation validators (teaching-record-system
``src/TeachingRecordSystem.Api/V2/Validators/``) in its rule order, and returns the failures
as ``{key: [messages]}`` with DQT's keys (camelCased property paths) and wording. Messages
DQT sets itself are quoted from its ``StringResources.resx``; the others are FluentValidation's
defaults (:mod:`dqt.fake.aspnet`).

Before the validators, ASP.NET binds the JSON: a value that is not a date, or not a member
of an enum, fails binding (:func:`binding_errors`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from . import aspnet
from .aspnet import max_length, must_be_empty, not_empty

# TeachingRecordSystem.Api/V2/ApiModels/IttProgrammeType.cs
PROGRAMME_TYPES = frozenset(
    """Apprenticeship AssessmentOnlyRoute Core CoreFlexible EYITTAssessmentOnly
    EYITTGraduateEmploymentBased EYITTGraduateEntry EYITTSchoolDirectEarlyYears
    EYITTUndergraduate FutureTeachingScholars GraduateTeacherProgramme HEI
    LicensedTeacherProgramme OverseasTrainedTeacherProgramme RegisteredTeacherProgramme
    SchoolDirectTrainingProgramme SchoolDirectTrainingProgrammeSalaried
    SchoolDirectTrainingProgrammeSelfFunded TeachFirstProgramme TeachFirstProgrammeCC
    UndergraduateOptIn ProviderLedPostgrad ProviderLedUndergrad
    InternationalQualifiedTeacherStatus HighPotentialITT
    PrimaryAndSecondaryUndergraduateFeeFunded PrimaryAndSecondaryPostgraduateFeeFunded""".split()
)
IQTS = "InternationalQualifiedTeacherStatus"
AO = "AssessmentOnlyRoute"
# V2/ApiModels/Gender.cs
GENDER_CODES = frozenset({"Male", "Female", "Other", "NotProvided", "NotAvailable"})
# V2/ApiModels/IttOutcome.cs
ITT_OUTCOMES = frozenset(
    """Pass Fail Withdrawn Deferred DeferredForSkillsTests ApplicationReceived
    ApplicationUnsuccessful Approved Info InTraining NoResultSubmitted UnderAssessment""".split()
)
# UpdateTeacherValidator: the outcomes an update may set.
UPDATE_OUTCOMES = ("UnderAssessment", "Deferred", "InTraining")

# Core/Dqt/Models/AttributeConstraints.cs
NAME_MAX = 100
EMAIL_MAX = 100
SLUG_MAX = 150
ADDRESS_MAX = {
    "addressLine1": 250,
    "addressLine2": 250,
    "addressLine3": 250,
    "city": 80,
    "country": 80,
    "postalCode": 20,
}
# Core/DataStore/Postgres/Models/TrnRequest.cs
REQUEST_ID = re.compile(r"^([0-9]|[a-z]|\-|_)+$", re.IGNORECASE)
REQUEST_ID_MAX = 100

# StringResources.resx
AGE_0_TO_19 = "Age must be 0-19 inclusive."
AGE_TO_BELOW_FROM = "'Age to' cannot be less than 'age from'."
BIRTH_DATE_OUT_OF_RANGE = "Birth date is out of expected range."
OUTCOME_NOT_ALLOWED = "Outcome can only be set to Deferred, InTraining or UnderAssessment."
IN_TRAINING_NOT_FOR_AO = "InTraining outcome not permitted for AssessmentOnlyRoute ProgrammeType."
UNDER_ASSESSMENT_ONLY_AO = (
    "UnderAssessment outcome only permitted for AssessmentOnlyRoute ProgrammeType."
)
REQUEST_ID_CHARACTERS = "requestId can only contain characters a-z, digits, underscores and dashes."
REQUEST_ID_LENGTH = "requestId must be 100 characters or fewer"
SLUG_LENGTH = "slugid must be 150 characters or fewer"

ITT = "initialTeacherTraining"

Errors = dict[str, list[str]]


def ci_get(mapping: Any, name: str, default: Any = None) -> Any:
    """DQT binds JSON properties and query names case-insensitively (``slugid`` = ``slugId``)."""
    if not isinstance(mapping, dict):
        return default
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return default


def ci_has(mapping: Any, name: str) -> bool:
    """Whether the property was sent at all (DQT's ``Option<T>`` members tell "absent" from
    null)."""
    return isinstance(mapping, dict) and any(key.lower() == name.lower() for key in mapping)


def parse_date(value: Any) -> date | None:
    """``DateOnly`` as System.Text.Json reads it: ``yyyy-MM-dd`` and nothing else."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _add(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


# --- binding ---------------------------------------------------------------------------------

_ENUMS = {"IttProgrammeType": PROGRAMME_TYPES, "Gender": GENDER_CODES, "IttOutcome": ITT_OUTCOMES}
_ITT_TYPES = {
    "programmeStartDate": "DateOnly",
    "programmeEndDate": "DateOnly",
    "programmeType": "IttProgrammeType",
}
CREATE_TYPES = {
    "birthDate": "DateOnly",
    "genderCode": "Gender",
    ITT: _ITT_TYPES,
    "qualification": {"date": "DateOnly"},
}
UPDATE_TYPES = {
    "genderCode": "Gender",
    "dateOfBirth": "DateOnly",
    ITT: {**_ITT_TYPES, "outcome": "IttOutcome"},
    "qualification": {"date": "DateOnly"},
}
ITT_OUTCOME_TYPES = {"outcome": "IttOutcome", "assessmentDate": "DateOnly"}
# Members of a value type (a DateOnly, an enum; on update an Option of one): a JSON null
# cannot become one. Nullable members (DateOnly?, IttProgrammeType? …) take null.
CREATE_NOT_NULLABLE = frozenset({"birthDate", "genderCode"})
UPDATE_NOT_NULLABLE = frozenset({"genderCode", "dateOfBirth"})


def binding_errors(
    body: Any, types: dict[str, Any], not_nullable: frozenset[str] = frozenset(), path: str = "$"
) -> Errors:
    """Values System.Text.Json cannot convert, keyed by JSON path as ASP.NET keys them.

    The real message goes on to give the line and byte position of the value; the fake stops
    after the path."""
    errors: Errors = {}
    for name, kind in types.items():
        if not ci_has(body, name):
            continue
        value = ci_get(body, name)
        where = f"{path}.{name}"
        if isinstance(kind, dict):
            if isinstance(value, dict):
                errors.update(binding_errors(value, kind, path=where))
        elif value is None:
            if name in not_nullable:
                _add(errors, where, _not_converted(where, kind))
        elif kind == "DateOnly" and parse_date(value) is None:
            _add(errors, where, _not_converted(where, kind))
        elif kind in _ENUMS and enum_value(value, _ENUMS[kind]) is None:
            _add(errors, where, _not_converted(where, kind))
    return errors


def _not_converted(where: str, kind: str) -> str:
    type_name = (
        "System.DateOnly" if kind == "DateOnly" else f"TeachingRecordSystem.Api.V2.ApiModels.{kind}"
    )
    return f"The JSON value could not be converted to {type_name}. Path: {where}."


def enum_value(value: Any, members: frozenset[str]) -> str | None:
    """The enum member a bound value names (case as DQT declares it)."""
    if not isinstance(value, str):
        return None
    for member in members:
        if member.lower() == value.lower():
            return member
    return None


# --- shared rules ----------------------------------------------------------------------------


def _training(errors: Errors, itt: dict) -> str | None:
    """The rules on the training both validators share: the dates and the programme type are
    required, the ages and the IQTS qualification type checked. Returns the programme type."""
    for name in ("programmeStartDate", "programmeEndDate"):
        if ci_get(itt, name) is None:
            _add(errors, f"{ITT}.{name}", not_empty(f"{ITT}.{name}"))
    programme_type = enum_value(ci_get(itt, "programmeType"), PROGRAMME_TYPES)
    if programme_type is None:
        _add(errors, f"{ITT}.programmeType", not_empty(f"{ITT}.programmeType"))
    _ages(errors, itt)
    _qualification_type(errors, itt, programme_type)
    return programme_type


def _ages(errors: Errors, itt: dict) -> None:
    age_from = ci_get(itt, "ageRangeFrom")
    age_to = ci_get(itt, "ageRangeTo")
    if isinstance(age_from, int) and not 0 <= age_from <= 19:
        _add(errors, f"{ITT}.ageRangeFrom", AGE_0_TO_19)
    if isinstance(age_to, int):
        if not 0 <= age_to <= 19:
            _add(errors, f"{ITT}.ageRangeTo", AGE_0_TO_19)
        elif isinstance(age_from, int) and age_from > age_to:
            _add(errors, f"{ITT}.ageRangeTo", AGE_TO_BELOW_FROM)


def _qualification_type(errors: Errors, itt: dict, programme_type: str | None) -> None:
    qualification_type = ci_get(itt, "ittQualificationType")
    if programme_type != IQTS and enum_value(qualification_type, frozenset({IQTS})):
        _add(
            errors,
            f"{ITT}.ittQualificationType",
            aspnet.condition_not_met(f"{ITT}.ittQualificationType"),
        )


def _max_length(errors: Errors, key: str, value: Any, maximum: int) -> None:
    if isinstance(value, str) and len(value) > maximum:
        _add(errors, key, max_length(key, maximum, value))


def _birth_date_in_range(value: date, today: date) -> bool:
    return date(1940, 1, 1) <= value < today


# --- the three validators ----------------------------------------------------------------------


def trn_request(request_id: str, body: Any, today: date) -> Errors:
    """``GetOrCreateTrnRequestValidator`` for a trainee teacher (Register never sent
    ``teacherType``; the overseas-teacher rules are not modelled)."""
    errors: Errors = {}
    if not REQUEST_ID.match(request_id):
        _add(errors, "requestId", REQUEST_ID_CHARACTERS)
    if len(request_id) > REQUEST_ID_MAX:
        _add(errors, "requestId", REQUEST_ID_LENGTH)
    for name in ("firstName", "middleName", "lastName"):
        value = ci_get(body, name)
        if name != "middleName" and aspnet.is_blank(value):
            _add(errors, name, not_empty(name))
        _max_length(errors, name, value, NAME_MAX)
    birth = parse_date(ci_get(body, "birthDate"))
    if birth is None:
        # A missing DateOnly is 0001-01-01: empty, and out of range too.
        _add(errors, "birthDate", not_empty("birthDate"))
    if birth is None or not _birth_date_in_range(birth, today):
        _add(errors, "birthDate", BIRTH_DATE_OUT_OF_RANGE)
    email = ci_get(body, "emailAddress")
    if isinstance(email, str) and not aspnet.is_email(email):
        _add(errors, "emailAddress", aspnet.not_an_email("emailAddress"))
    _max_length(errors, "emailAddress", email, EMAIL_MAX)
    address = ci_get(body, "address")
    if isinstance(address, dict):
        for name, maximum in ADDRESS_MAX.items():
            _max_length(errors, f"address.{name}", ci_get(address, name), maximum)
    gender = enum_value(ci_get(body, "genderCode"), GENDER_CODES)
    if gender is None:
        # A missing Gender is 0, which the enum does not define.
        _add(errors, "genderCode", aspnet.not_in_enum("genderCode", 0))
    itt = ci_get(body, ITT)
    if not isinstance(itt, dict):
        _add(errors, ITT, not_empty(ITT))
    else:
        if aspnet.is_blank(ci_get(itt, "providerUkprn")):
            _add(errors, f"{ITT}.providerUkprn", not_empty(f"{ITT}.providerUkprn"))
        programme_type = _training(errors, itt)
        country_key = f"{ITT}.trainingCountryCode"
        country = ci_get(itt, "trainingCountryCode")
        if programme_type == IQTS and aspnet.is_blank(country):
            _add(errors, country_key, not_empty(country_key))
        elif programme_type != IQTS and not aspnet.is_blank(country):
            _add(errors, country_key, must_be_empty(country_key))
    slug = ci_get(body, "slugId")
    if isinstance(slug, str) and len(slug) > SLUG_MAX:
        _add(errors, "slugId", SLUG_LENGTH)
    return errors


def update_teacher(body: Any, birth_date: date | None, slug: str | None, today: date) -> Errors:
    """``UpdateTeacherValidator``."""
    errors: Errors = {}
    itt = ci_get(body, ITT)
    if not isinstance(itt, dict):
        _add(errors, ITT, not_empty(ITT))
    else:
        programme_type = _training(errors, itt)
        # ctx.AddFailure(nameof(request.Outcome), …): the key is the bare "outcome", and the
        # rule looks at the request's programme type.
        outcome = enum_value(ci_get(itt, "outcome"), ITT_OUTCOMES)
        if outcome is not None:
            if outcome not in UPDATE_OUTCOMES:
                _add(errors, "outcome", OUTCOME_NOT_ALLOWED)
            elif programme_type == AO and outcome == "InTraining":
                _add(errors, "outcome", IN_TRAINING_NOT_FOR_AO)
            elif programme_type != AO and outcome == "UnderAssessment":
                _add(errors, "outcome", UNDER_ASSESSMENT_ONLY_AO)
        if aspnet.is_blank(ci_get(itt, "providerUkprn")):
            _add(
                errors,
                f"{ITT}.providerUkprn",
                "Initial TeacherTraining ProviderUkprn is required.",
            )
        country_key = f"{ITT}.trainingCountryCode"
        if programme_type != IQTS and not aspnet.is_blank(ci_get(itt, "trainingCountryCode")):
            _add(errors, country_key, must_be_empty(country_key))
    if birth_date is None:
        _add(errors, "birthDate", "Birthdate is required.")
    if slug is not None and len(slug) > SLUG_MAX:
        _add(errors, "slugId", SLUG_LENGTH)
    # The name rules apply once any of the three names is sent; the middle name's length always.
    names_sent = any(ci_has(body, name) for name in ("firstName", "middleName", "lastName"))
    for name in ("firstName", "middleName", "lastName"):
        value = ci_get(body, name)
        if name != "middleName" and names_sent and aspnet.is_blank(value):
            _add(errors, name, not_empty(name))
        if name == "middleName" or names_sent:
            _max_length(errors, name, value, NAME_MAX)
    if ci_has(body, "emailAddress"):
        email = ci_get(body, "emailAddress")
        if isinstance(email, str) and not aspnet.is_email(email):
            _add(errors, "emailAddress", aspnet.not_an_email("emailAddress"))
        _max_length(errors, "emailAddress", email, EMAIL_MAX)
    born = parse_date(ci_get(body, "dateOfBirth"))
    if born is not None and not _birth_date_in_range(born, today):
        _add(errors, "dateOfBirth", BIRTH_DATE_OUT_OF_RANGE)
    return errors


def itt_outcome(body: Any, birth_date: date | None, today: date) -> Errors:
    """``SetIttOutcomeValidator``."""
    errors: Errors = {}
    if birth_date is None:
        _add(errors, "birthDate", "Birthdate is required.")
    if aspnet.is_blank(ci_get(body, "ittProviderUkprn")):
        _add(errors, "ittProviderUkprn", "ITT provider UKPRN is required.")
    outcome = enum_value(ci_get(body, "outcome"), ITT_OUTCOMES)
    assessment = parse_date(ci_get(body, "assessmentDate"))
    # Cascade(Stop): the first failing check is the only message.
    if outcome == "Pass" and assessment is None:
        _add(errors, "assessmentDate", "Assessment date must be specified when outcome is Pass.")
    elif outcome != "Pass" and assessment is not None:
        _add(
            errors, "assessmentDate", "Assessment date cannot be specified unless outcome is Pass."
        )
    elif assessment is not None and assessment > today:
        _add(errors, "assessmentDate", "QTS date cannot be in the future.")
    if outcome is None:
        _add(errors, "outcome", not_empty("outcome"))
    return errors
