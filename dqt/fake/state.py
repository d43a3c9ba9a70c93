"""The fake DQT's memory and rules: teachers, TRN requests, faults, and DQT's answers.

No HTTP here: :mod:`dqt.fake.server` turns requests into calls on :class:`FakeDqtState` and
its :class:`Answer` back into responses. Every rule cites what we know of DQT in
``dqt/fake/README.md``.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dqt.reference_data import degree_institution_ukprns
from dqt.subjects import KNOWN_CODES

DEFAULT_API_KEYS = ("test-dqt-key", "dev-dqt-key")

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
EARLY_YEARS_PROGRAMME_TYPES = frozenset(p for p in PROGRAMME_TYPES if p.startswith("EYITT"))
GENDER_CODES = frozenset({"Male", "Female", "Other", "NotProvided", "NotAvailable"})
UPDATE_OUTCOMES = frozenset({"InTraining", "UnderAssessment", "Deferred"})
ITT_OUTCOMES = frozenset({"Pass", "Fail", "Withdrawn", "Deferred", "DeferredForSkillsTests"})

# Error registry titles, verbatim (dqt-api.md §2).
TEACHER_NOT_FOUND = (10001, "Teacher with specified TRN not found")
MULTIPLE_TEACHERS = (10002, "Multiple teachers found")
ALREADY_HAS_QTS = (10003, "Teacher already has QTS/EYTS date")
MULTIPLE_INCOMPLETE_ITT = (10004, "Teacher has multiple incomplete ITT records")
NO_INCOMPLETE_ITT = (10005, "Teacher has no incomplete ITT record")
NO_QTS_RECORD = (10006, "Teacher has no QTS record")
MULTIPLE_QTS_RECORDS = (10007, "Teacher has multiple QTS records")
ORGANISATION_NOT_FOUND = "Organisation not found"
SUBJECT_NOT_FOUND = "Subject not found"
PROGRAMME_TYPE_CANNOT_CHANGE = "ProgrammeType cannot be changed"
IN_TRAINING_NOT_FOR_AO = "InTraining not permitted for AssessmentOnlyRoute programme types."
UNDER_ASSESSMENT_ONLY_AO = "UnderAssessment only permitted for AssessmentOnlyRoute programme types."
CANNOT_UNWITHDRAW_TO_DEFERRED = "Result cannot be unwithdrawn to deferred"
CANNOT_CHANGE_FAIL = "Unable to change Failed Result."

REQUEST_ID = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
TRN = re.compile(r"^\d{7}$")
VALIDATION_TYPE = "https://tools.ietf.org/html/rfc7231#section-6.5.1"


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None = None
    problem: bool = False


def domain_error(status: int, error: tuple[int, str]) -> Answer:
    code, title = error
    return Answer(status, {"title": title, "status": status, "errorCode": code}, problem=True)


def validation_error(errors: dict[str, list[str]]) -> Answer:
    return Answer(
        400,
        {
            "type": VALIDATION_TYPE,
            "title": "One or more validation errors occurred.",
            "status": 400,
            "traceId": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00",
            "errors": errors,
        },
        problem=True,
    )


def ci_get(mapping: dict[str, Any] | None, name: str, default: Any = None) -> Any:
    """DQT binds JSON properties and query names case-insensitively (``slugid`` = ``slugId``)."""
    if not isinstance(mapping, dict):
        return default
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return default


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass
class Fault:
    """An injected misbehaviour for requests whose path matches ``path`` (a regex)."""

    path: str
    kind: str = "error"  # error | delay | hang
    method: str | None = None
    status: int = 500
    body: str = ""
    count: int | None = 1  # None = every matching call until reset
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "method": self.method,
            "status": self.status,
            "body": self.body,
            "count": self.count,
            "seconds": self.seconds,
        }


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "headers": self.headers,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
        }


@dataclass
class Config:
    # Seconds between a TRN request and its TRN; None = never (DQT's manual duplicate review).
    trn_delay_seconds: float | None = 0.0
    api_keys: set[str] = field(default_factory=lambda: set(DEFAULT_API_KEYS))
    # UKPRNs DQT knows besides the degree institutions of dqt/data (e.g. training providers).
    known_ukprns: set[str] = field(default_factory=set)
    # UKPRNs DQT does not know, even if listed above or in the reference data.
    unknown_ukprns: set[str] = field(default_factory=set)
    # When False, any 8-digit training-provider UKPRN is accepted (Register's providers are
    # all on DQT in practice); degree institutions are always checked.
    strict_providers: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "trn_delay_seconds": self.trn_delay_seconds,
            "api_keys": sorted(self.api_keys),
            "known_ukprns": sorted(self.known_ukprns),
            "unknown_ukprns": sorted(self.unknown_ukprns),
            "strict_providers": self.strict_providers,
        }


class FakeDqtState:
    def __init__(self, **config: Any):
        self.lock = threading.RLock()
        self._initial_config = config
        # Set on reset/stop so hanging or slow requests give up at once.
        self.wake = threading.Event()
        self.reset()

    # --- control --------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.wake.set()
            self.wake = threading.Event()
            self.config = Config()
            self.configure(**copy.deepcopy(self._initial_config))
            self.teachers: dict[str, dict[str, Any]] = {}
            self.trn_requests: dict[tuple[str, str], dict[str, Any]] = {}
            self.faults: list[Fault] = []
            self.calls: list[Call] = []
            self._trns = itertools.count(2_400_001)

    def configure(self, **changes: Any) -> dict[str, Any]:
        with self.lock:
            for name, value in changes.items():
                if not hasattr(self.config, name):
                    raise ValueError(f"unknown fake DQT setting {name!r}")
                if name in ("api_keys", "known_ukprns", "unknown_ukprns"):
                    value = {str(v) for v in value}
                setattr(self.config, name, value)
            return self.config.as_dict()

    def add_fault(self, **fault: Any) -> Fault:
        new = Fault(**fault)
        if new.kind not in ("error", "delay", "hang"):
            raise ValueError("fault kind must be error, delay or hang")
        with self.lock:
            self.faults.append(new)
        return new

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def put_teacher(self, record: dict[str, Any]) -> dict[str, Any]:
        """Create a teacher, or merge fields into an existing one (``trn`` chooses)."""
        with self.lock:
            trn = str(record.get("trn") or self._next_trn())
            teacher = self.teachers.get(trn) or self._blank_teacher(trn)
            for key, value in record.items():
                if key == "initialTeacherTraining":
                    teacher[key] = [self._itt_row(row) for row in value]
                elif key != "trn":
                    teacher[key] = value
            self.teachers[trn] = teacher
            return copy.deepcopy(teacher)

    def teacher(self, trn: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.teachers.get(trn)
            return copy.deepcopy(found) if found else None

    def complete_trn_request(self, request_id: str, api_key: str | None = None) -> dict | None:
        """Assign the TRN now, whatever the delay (e.g. a support agent's manual review)."""
        with self.lock:
            for (key, rid), request in self.trn_requests.items():
                if rid == request_id and (api_key is None or key == api_key):
                    if not request["trn"]:
                        self._assign_trn(request)
                    return self._trn_request_info(request)
        return None

    def trn_request_list(self) -> list[dict[str, Any]]:
        with self.lock:
            for request in self.trn_requests.values():
                self._maybe_assign_trn(request)
            return [
                {**self._trn_request_info(r), "body": r["body"]} for r in self.trn_requests.values()
            ]

    # --- API ------------------------------------------------------------------------

    def authorised(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        key = authorization[len("Bearer ") :].strip()
        return key if key in self.config.api_keys else None

    def put_trn_request(self, api_key: str, request_id: str, body: Any) -> Answer:
        if not REQUEST_ID.match(request_id):
            return validation_error(
                {"requestId": ["Request ID can only contain letters, numbers, _ and -."]}
            )
        with self.lock:
            existing = self.trn_requests.get((api_key, request_id))
            if existing:
                self._maybe_assign_trn(existing)
                return Answer(200, self._trn_request_info(existing))
            errors = self._validate_trn_request(body)
            if errors:
                return validation_error(errors)
            delay = self.config.trn_delay_seconds
            request = {
                "requestId": request_id,
                "apiKey": api_key,
                "body": body,
                "slugId": ci_get(body, "slugId"),
                "trn": None,
                "dueAt": None if delay is None else time.monotonic() + delay,
            }
            self.trn_requests[(api_key, request_id)] = request
            self._maybe_assign_trn(request)
            return Answer(201, self._trn_request_info(request))

    def get_trn_request(self, api_key: str, request_id: str) -> Answer:
        with self.lock:
            request = self.trn_requests.get((api_key, request_id))
            if not request:
                return Answer(404)
            self._maybe_assign_trn(request)
            return Answer(200, self._trn_request_info(request))

    def update_teacher(self, trn: str, query: dict[str, str], body: Any) -> Answer:
        birth_date = _parse_date(ci_get(query, "birthDate"))
        if birth_date is None:
            return validation_error({"birthdate": ["Birthdate is required."]})
        errors = self._validate_itt(ci_get(body, "initialTeacherTraining"), update=True)
        errors.update(self._validate_qualification(ci_get(body, "qualification")))
        if errors:
            return validation_error(errors)
        itt = ci_get(body, "initialTeacherTraining")
        with self.lock:
            teacher = self._match_teacher(trn, birth_date, ci_get(query, "slugId"))
            if teacher is None:
                return domain_error(404, TEACHER_NOT_FOUND)
            if teacher.get("qtsDate") or teacher.get("eytsDate"):
                return validation_error(
                    {"initialTeacherTraining.programmeType": [ALREADY_HAS_QTS[1]]}
                )
            rows = self._itt_rows(
                teacher, ci_get(itt, "providerUkprn"), ci_get(query, "slugId"), for_update=True
            )
            if not rows:
                return validation_error(
                    {"initialTeacherTraining.providerUkprn": [NO_INCOMPLETE_ITT[1]]}
                )
            if len(rows) > 1:
                return validation_error({"initialTeacherTraining": [MULTIPLE_INCOMPLETE_ITT[1]]})
            row = rows[0]
            new_type = ci_get(itt, "programmeType")
            if (new_type in EARLY_YEARS_PROGRAMME_TYPES) != (
                row.get("programmeType") in EARLY_YEARS_PROGRAMME_TYPES
            ):
                return validation_error(
                    {"initialTeacherTraining.programmeType": [PROGRAMME_TYPE_CANNOT_CHANGE]}
                )
            outcome = ci_get(itt, "outcome")
            problem = self._update_outcome_problem(row, new_type, outcome)
            if problem:
                return validation_error({"initialTeacherTraining.outcome": [problem]})
            self._apply_update(teacher, row, itt, body, outcome)
            return Answer(204)

    def set_itt_outcome(self, trn: str, query: dict[str, str], body: Any) -> Answer:
        errors: dict[str, list[str]] = {}
        birth_date = _parse_date(ci_get(query, "birthDate"))
        if birth_date is None:
            errors["birthdate"] = ["Birthdate is required."]
        ukprn = ci_get(body, "ittProviderUkprn")
        outcome = ci_get(body, "outcome")
        assessment = ci_get(body, "assessmentDate")
        if not ukprn:
            errors["ittProviderUkprn"] = ["ITT provider UKPRN is required."]
        if outcome not in ITT_OUTCOMES:
            errors["outcome"] = [
                f"'Outcome' has a range of values which does not include '{outcome}'."
                if outcome
                else "'Outcome' must not be empty."
            ]
        elif outcome == "Pass" and not assessment:
            errors["assessmentDate"] = ["Assessment date must be specified when outcome is Pass."]
        elif outcome != "Pass" and assessment:
            errors["assessmentDate"] = [
                "Assessment date cannot be specified unless outcome is Pass."
            ]
        elif assessment and (_parse_date(assessment) or date.max) > date.today():
            errors["assessmentDate"] = ["QTS date cannot be in the future."]
        if errors:
            return validation_error(errors)
        with self.lock:
            teacher = self._match_teacher(trn, birth_date, ci_get(query, "slugId"))
            if teacher is None:
                return domain_error(404, TEACHER_NOT_FOUND)
            if outcome == "Pass":
                registrations = teacher.get("qtsRegistrations", 1)
                if registrations == 0:
                    return domain_error(400, NO_QTS_RECORD)
                if registrations > 1:
                    return domain_error(400, MULTIPLE_QTS_RECORDS)
            rows = [
                r
                for r in self._itt_rows(teacher, ukprn, ci_get(query, "slugId"))
                if r.get("result")
                in ("InTraining", "UnderAssessment", "Withdrawn", "Deferred", "Pass", "Fail")
            ]
            if not rows or not self._provider_known(ukprn):
                return domain_error(400, NO_INCOMPLETE_ITT)
            if len(rows) > 1:
                return domain_error(400, MULTIPLE_INCOMPLETE_ITT)
            row = rows[0]
            current = row.get("result")
            award_field = (
                "eytsDate" if row.get("programmeType") in EARLY_YEARS_PROGRAMME_TYPES else "qtsDate"
            )
            if current in ("Withdrawn", "Fail"):
                if outcome != current:
                    return domain_error(400, NO_INCOMPLETE_ITT)
                return Answer(200, {"trn": trn, "qtsDate": None})
            if current == "Pass":
                if outcome != "Pass":
                    return domain_error(400, NO_INCOMPLETE_ITT)
                if teacher.get(award_field) != assessment:
                    return domain_error(400, ALREADY_HAS_QTS)
                return Answer(200, {"trn": trn, "qtsDate": assessment})
            if outcome == "Pass":
                if teacher.get("qtsDate") or teacher.get("eytsDate"):
                    return domain_error(400, ALREADY_HAS_QTS)
                row["result"] = "Pass"
                teacher[award_field] = assessment
                return Answer(200, {"trn": trn, "qtsDate": assessment})
            row["result"] = outcome
            if outcome == "Withdrawn":
                # What support saw: a trainee withdrawn on DQT then awarded on Register gets
                # 10006, so a withdrawal leaves no QTS registration to award.
                teacher["qtsRegistrations"] = 0
            return Answer(200, {"trn": trn, "qtsDate": None})

    def get_teacher(self, trn: str, query: dict[str, str]) -> Answer:
        include_inactive = str(ci_get(query, "includeInactive", "false")).lower() == "true"
        with self.lock:
            teacher = self.teachers.get(trn)
            if not teacher or not teacher.get("active", True):
                return Answer(404)
            return Answer(200, self._teacher_response(teacher, include_inactive))

    def find_teachers(self, query: dict[str, str]) -> Answer:
        first = (ci_get(query, "firstName") or "").strip().lower()
        last = (ci_get(query, "lastName") or "").strip().lower()
        dob = ci_get(query, "dateOfBirth") or ""
        email = (ci_get(query, "emailAddress") or "").strip().lower()
        results = []
        with self.lock:
            for teacher in self.teachers.values():
                if not teacher.get("active", True):
                    continue
                matched = 0
                if first and last:
                    given = (teacher.get("firstName") or "").lower().split()
                    matched += bool(
                        given
                        and given[0] == first.split()[0]
                        and (teacher.get("lastName") or "").lower() == last
                    )
                matched += bool(dob) and teacher.get("dateOfBirth") == dob
                matched += bool(email) and (teacher.get("emailAddress") or "").lower() == email
                if matched >= 3:
                    results.append(
                        {
                            "trn": teacher["trn"],
                            "emailAddresses": [teacher["emailAddress"]]
                            if teacher.get("emailAddress")
                            else [],
                            "firstName": teacher.get("firstName"),
                            "lastName": teacher.get("lastName"),
                            "dateOfBirth": teacher.get("dateOfBirth"),
                            "nationalInsuranceNumber": teacher.get("nationalInsuranceNumber"),
                            "uid": teacher["uid"],
                            "hasActiveSanctions": teacher.get("hasActiveSanctions", False),
                        }
                    )
        return Answer(200, {"results": results})

    # --- rules ----------------------------------------------------------------------

    def knows(self, ukprn: Any) -> bool:
        ukprn = str(ukprn)
        if ukprn in self.config.unknown_ukprns:
            return False
        return ukprn in self.config.known_ukprns or ukprn in degree_institution_ukprns()

    def _provider_known(self, ukprn: Any) -> bool:
        if str(ukprn) in self.config.unknown_ukprns:
            return False
        if self.config.strict_providers:
            return self.knows(ukprn)
        return bool(re.fullmatch(r"\d{8}", str(ukprn)))

    def _validate_trn_request(self, body: Any) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for name, label in (("firstName", "First Name"), ("lastName", "Last Name")):
            if not ci_get(body, name):
                errors[name] = [f"'{label}' must not be empty."]
        birth = ci_get(body, "birthDate")
        parsed = _parse_date(birth)
        if not birth:
            errors["birthDate"] = ["'Birth Date' must not be empty."]
        elif parsed is None or parsed < date(1940, 1, 1) or parsed >= date.today():
            errors["birthDate"] = ["Birth date is out of expected range."]
        gender = ci_get(body, "genderCode")
        if not gender:
            errors["genderCode"] = ["'Gender Code' must not be empty."]
        elif gender not in GENDER_CODES:
            errors["genderCode"] = [
                f"'Gender Code' has a range of values which does not include '{gender}'."
            ]
        slug = ci_get(body, "slugId")
        if slug and len(str(slug)) > 150:
            errors["slugId"] = ["slugid must be 150 characters or fewer"]
        errors.update(self._validate_itt(ci_get(body, "initialTeacherTraining"), update=False))
        errors.update(self._validate_qualification(ci_get(body, "qualification")))
        return errors

    def _validate_itt(self, itt: Any, *, update: bool) -> dict[str, list[str]]:
        prefix = "initialTeacherTraining"
        if not isinstance(itt, dict):
            return {prefix: ["'Initial Teacher Training' must not be empty."]}
        errors: dict[str, list[str]] = {}
        ukprn = ci_get(itt, "providerUkprn")
        if not ukprn:
            errors[f"{prefix}.providerUkprn"] = [
                "Initial TeacherTraining ProviderUkprn is required."
            ]
        elif not self._provider_known(ukprn):
            errors[f"{prefix}.providerUkprn"] = [ORGANISATION_NOT_FOUND]
        for name, label in (
            ("programmeStartDate", "Programme Start Date"),
            ("programmeEndDate", "Programme End Date"),
        ):
            if not _parse_date(ci_get(itt, name)):
                errors[f"{prefix}.{name}"] = [f"'{label}' must not be empty."]
        ptype = ci_get(itt, "programmeType")
        if not ptype:
            errors[f"{prefix}.programmeType"] = ["'Programme Type' must not be empty."]
        elif ptype not in PROGRAMME_TYPES:
            errors[f"{prefix}.programmeType"] = [
                f"'Programme Type' has a range of values which does not include '{ptype}'."
            ]
        for n in (1, 2, 3):
            subject = ci_get(itt, f"subject{n}")
            if subject and str(subject) not in KNOWN_CODES:
                errors[f"{prefix}.subject{n}"] = [SUBJECT_NOT_FOUND]
        ages = {}
        for name in ("ageRangeFrom", "ageRangeTo"):
            age = ci_get(itt, name)
            if age is None:
                continue
            if not isinstance(age, int) or not 0 <= age <= 19:
                errors[f"{prefix}.{name}"] = ["Age must be 0-19 inclusive."]
            else:
                ages[name] = age
        if len(ages) == 2 and ages["ageRangeTo"] < ages["ageRangeFrom"]:
            errors[f"{prefix}.ageRangeTo"] = ["'Age to' cannot be less than 'age from'."]
        outcome = ci_get(itt, "outcome")
        if update and outcome is not None and outcome not in UPDATE_OUTCOMES:
            errors[f"{prefix}.outcome"] = [
                "Outcome can only be set to Deferred, InTraining or UnderAssessment."
            ]
        return errors

    def _validate_qualification(self, qualification: Any) -> dict[str, list[str]]:
        if not isinstance(qualification, dict):
            return {}
        ukprn = ci_get(qualification, "providerUkprn")
        if ukprn and not self.knows(ukprn):
            return {"qualification.providerUkprn": [ORGANISATION_NOT_FOUND]}
        subject = ci_get(qualification, "subject")
        if subject and str(subject) not in KNOWN_CODES:
            return {"qualification.subject": [SUBJECT_NOT_FOUND]}
        return {}

    def _match_teacher(
        self, trn: str, birth_date: date | None, slug: str | None
    ) -> dict[str, Any] | None:
        """DQT matches by slugId + TRN first, then by TRN + date of birth; active only."""
        teacher = self.teachers.get(trn)
        if not teacher or not teacher.get("active", True):
            return None
        if slug and teacher.get("slugId") == slug:
            return teacher
        if birth_date and teacher.get("dateOfBirth") == birth_date.isoformat():
            return teacher
        return None

    def _itt_rows(
        self, teacher: dict, ukprn: Any, slug: str | None, *, for_update: bool = False
    ) -> list[dict[str, Any]]:
        rows = []
        for row in teacher.get("initialTeacherTraining", []):
            if not row.get("active", True) or row.get("providerUkprn") != str(ukprn):
                continue
            if slug and row.get("slugId") and row["slugId"] != slug:
                continue
            if for_update and row.get("result") == "Pass":
                continue
            rows.append(row)
        return rows

    def _update_outcome_problem(self, row: dict, programme_type: str, outcome: str | None):
        current = row.get("result")
        if current == "Fail" and outcome:
            return CANNOT_CHANGE_FAIL
        if outcome == "InTraining" and programme_type == "AssessmentOnlyRoute":
            return IN_TRAINING_NOT_FOR_AO
        if outcome == "UnderAssessment" and programme_type != "AssessmentOnlyRoute":
            return UNDER_ASSESSMENT_ONLY_AO
        if current == "Withdrawn" and outcome == "Deferred":
            return CANNOT_UNWITHDRAW_TO_DEFERRED
        return None

    def _apply_update(self, teacher: dict, row: dict, itt: dict, body: dict, outcome) -> None:
        for name in (
            "programmeType",
            "programmeStartDate",
            "programmeEndDate",
            "subject1",
            "subject2",
            "subject3",
            "ageRangeFrom",
            "ageRangeTo",
        ):
            row[name] = ci_get(itt, name)
        if outcome:
            if row.get("result") == "Withdrawn":
                teacher["qtsRegistrations"] = 1
            row["result"] = outcome
        qualification = ci_get(body, "qualification")
        if isinstance(qualification, dict):
            teacher["qualification"] = qualification
        if ci_get(body, "husId"):
            teacher["husId"] = ci_get(body, "husId")
        if teacher.get("allowPIIUpdates"):
            for name in ("firstName", "middleName", "lastName", "emailAddress", "genderCode"):
                value = ci_get(body, name)
                if value is not None:
                    teacher[name] = value

    # --- records --------------------------------------------------------------------

    def _next_trn(self) -> str:
        while True:
            trn = f"{next(self._trns):07d}"
            if trn not in self.teachers:
                return trn

    def _blank_teacher(self, trn: str) -> dict[str, Any]:
        return {
            "trn": trn,
            "uid": str(uuid.uuid4()),
            "firstName": None,
            "middleName": None,
            "lastName": None,
            "dateOfBirth": None,
            "emailAddress": None,
            "genderCode": None,
            "nationalInsuranceNumber": None,
            "hasActiveSanctions": False,
            "qtsDate": None,
            "eytsDate": None,
            "husId": None,
            "slugId": None,
            "allowPIIUpdates": False,
            "active": True,
            "qtsRegistrations": 1,
            "initialTeacherTraining": [],
            "qualification": None,
        }

    def _itt_row(self, row: dict[str, Any]) -> dict[str, Any]:
        ptype = row.get("programmeType")
        return {
            "providerUkprn": str(row["providerUkprn"]) if row.get("providerUkprn") else None,
            "programmeType": ptype,
            "programmeStartDate": row.get("programmeStartDate"),
            "programmeEndDate": row.get("programmeEndDate"),
            "result": row.get(
                "result", "UnderAssessment" if ptype == "AssessmentOnlyRoute" else "InTraining"
            ),
            "active": row.get("active", True),
            "slugId": row.get("slugId"),
            "husId": row.get("husId"),
            "subject1": row.get("subject1"),
            "subject2": row.get("subject2"),
            "subject3": row.get("subject3"),
            "ageRangeFrom": row.get("ageRangeFrom"),
            "ageRangeTo": row.get("ageRangeTo"),
        }

    def _maybe_assign_trn(self, request: dict[str, Any]) -> None:
        if request["trn"] or request["dueAt"] is None or time.monotonic() < request["dueAt"]:
            return
        self._assign_trn(request)

    def _assign_trn(self, request: dict[str, Any]) -> None:
        teacher = self.put_teacher(teacher_from_trn_request(request["body"]))
        request["trn"] = teacher["trn"]

    def _trn_request_info(self, request: dict[str, Any]) -> dict[str, Any]:
        trn = request["trn"]
        return {
            "requestId": request["requestId"],
            "status": "Completed" if trn else "Pending",
            "trn": trn,
            "qtsDate": None,
            "potentialDuplicate": not trn,
            "slugId": request["slugId"],
        }

    def _teacher_response(self, teacher: dict, include_inactive: bool) -> dict[str, Any]:
        rows = [
            r for r in teacher.get("initialTeacherTraining", []) if include_inactive or r["active"]
        ]
        return {
            "trn": teacher["trn"],
            "firstName": teacher.get("firstName"),
            "lastName": teacher.get("lastName"),
            "middleName": teacher.get("middleName"),
            "dateOfBirth": teacher.get("dateOfBirth"),
            "nationalInsuranceNumber": teacher.get("nationalInsuranceNumber"),
            "hasActiveSanctions": teacher.get("hasActiveSanctions", False),
            "qtsDate": teacher.get("qtsDate"),
            "eytsDate": teacher.get("eytsDate"),
            "husId": teacher.get("husId"),
            # DQT's early-years status codes are CRM values we do not know; never filled here.
            "earlyYearsStatus": None,
            "allowPIIUpdates": teacher.get("allowPIIUpdates", False),
            "initialTeacherTraining": [
                {
                    "programmeStartDate": r.get("programmeStartDate"),
                    "programmeEndDate": r.get("programmeEndDate"),
                    "programmeType": r.get("programmeType"),
                    "result": r.get("result"),
                    "provider": {"ukprn": r["providerUkprn"]} if r.get("providerUkprn") else None,
                    "husId": r.get("husId"),
                    "active": r.get("active", True),
                }
                for r in rows
            ],
        }


def teacher_from_trn_request(body: Any, **overrides: Any) -> dict[str, Any]:
    """The teacher record DQT makes from a TRN request body, with one ITT row in training."""
    given = f"{ci_get(body, 'firstName') or ''} {ci_get(body, 'middleName') or ''}".split()
    itt = ci_get(body, "initialTeacherTraining") or {}
    slug = ci_get(body, "slugId")
    record = {
        # DQT re-splits the given names: first token first, the rest middle.
        "firstName": given[0] if given else None,
        "middleName": " ".join(given[1:]) or None,
        "lastName": ci_get(body, "lastName"),
        "dateOfBirth": ci_get(body, "birthDate"),
        "emailAddress": ci_get(body, "emailAddress"),
        "genderCode": ci_get(body, "genderCode"),
        "husId": ci_get(body, "husId"),
        "slugId": slug,
        "qualification": ci_get(body, "qualification"),
        "initialTeacherTraining": [
            {
                "providerUkprn": ci_get(itt, "providerUkprn"),
                "programmeType": ci_get(itt, "programmeType"),
                "programmeStartDate": ci_get(itt, "programmeStartDate"),
                "programmeEndDate": ci_get(itt, "programmeEndDate"),
                "slugId": slug,
                "subject1": ci_get(itt, "subject1"),
                "subject2": ci_get(itt, "subject2"),
                "subject3": ci_get(itt, "subject3"),
                "ageRangeFrom": ci_get(itt, "ageRangeFrom"),
                "ageRangeTo": ci_get(itt, "ageRangeTo"),
            }
        ],
    }
    record.update(overrides)
    return record
