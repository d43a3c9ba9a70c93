"""The fake DQT's memory and its endpoints: teachers, TRN requests, faults, and DQT's answers.

No HTTP here: :mod:`dqt.fake.server` turns requests into calls on :class:`FakeDqtState` and
its :class:`Answer` back into responses. The endpoints follow DQT's controllers and handlers
(teaching-record-system ``src/TeachingRecordSystem.Api/V2/``): validation
(:mod:`dqt.fake.validators`), the teacher lookup, then DQT's record rules
(:mod:`dqt.fake.dataverse`). ``dqt/fake/README.md`` names the real source of every rule.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dqt.reference_data import degree_institution_ukprns
from dqt.subjects import KNOWN_CODES

from . import dataverse
from . import validators as rules
from .aspnet import Answer, domain_error, not_found, validation_error
from .dataverse import (
    COUNTRY_NOT_FOUND,
    HUSID_TAKEN,
    MULTIPLE_TEACHERS,
    ORGANISATION_NOT_FOUND,
    SUBJECT_NOT_FOUND,
    TEACHER_NOT_FOUND,
)
from .validators import ITT, ci_get, enum_value, parse_date

DEFAULT_API_KEYS = ("test-dqt-key", "dev-dqt-key")
TRN = re.compile(r"^\d{7}$")
# DQT's country table is not in its source: the fake knows every 2- or 3-letter upper-case
# code (our assumption), so "Country not found" needs a code of another shape.
COUNTRY_CODE = re.compile(r"^[A-Z]{2,3}$")


def today() -> date:
    """DQT's clock: ``IClock.Today`` is the UTC date."""
    return datetime.now(UTC).date()


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
    # The share of matching calls it applies to, drawn per call (0.3: about 30 % of them).
    probability: float = 1.0
    # An error's Retry-After header, in seconds (DQT's service protection sends one with 429).
    retry_after: int | None = None

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
    # The injected fault this call met ("error", "delay", "hang"), if any: a hung call is
    # still carried out when its wait ends, after the client has given up on it.
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "headers": self.headers,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
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
    # Subject codes DQT does not know, although Register's table maps a name to them.
    unknown_subjects: set[str] = field(default_factory=set)

    # What DQT knows (kept with its records in a state file), as against how the fake runs.
    REFERENCE_DATA = ("known_ukprns", "unknown_ukprns", "strict_providers", "unknown_subjects")

    def as_dict(self) -> dict[str, Any]:
        return {
            "trn_delay_seconds": self.trn_delay_seconds,
            "api_keys": sorted(self.api_keys),
            "known_ukprns": sorted(self.known_ukprns),
            "unknown_ukprns": sorted(self.unknown_ukprns),
            "strict_providers": self.strict_providers,
            "unknown_subjects": sorted(self.unknown_subjects),
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
            self._slug_index: dict[str, set[str]] | None = None
            self.trn_requests: dict[tuple[str, str], dict[str, Any]] = {}
            self.faults: list[Fault] = []
            self.calls: list[Call] = []
            self._trns = itertools.count(2_400_001)

    def configure(self, **changes: Any) -> dict[str, Any]:
        with self.lock:
            for name, value in changes.items():
                if not hasattr(self.config, name):
                    raise ValueError(f"unknown fake DQT setting {name!r}")
                if name in ("api_keys", "known_ukprns", "unknown_ukprns", "unknown_subjects"):
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
                    if fault.probability < 1 and random.random() >= fault.probability:
                        continue
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
                elif key == "qtsRegistrations" and value is not None:
                    teacher[key] = [dataverse.registration_from(reg) for reg in value]
                elif key != "trn":
                    teacher[key] = value
            self.teachers[trn] = teacher
            self._index_slugs(trn, teacher)
            return self._shown(teacher)

    def teacher(self, trn: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.teachers.get(trn)
            return self._shown(found) if found else None

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

    # --- a state file: DQT's records outlive the process -----------------------------------

    def dump(self) -> dict[str, Any]:
        """DQT's records and reference data as JSON (not the calls, faults or server
        settings). A pending TRN request keeps the seconds it still has to wait."""
        with self.lock:
            now = time.monotonic()
            requests = [
                {
                    **{k: v for k, v in request.items() if k != "dueAt"},
                    "dueInSeconds": None
                    if request["dueAt"] is None
                    else max(0.0, request["dueAt"] - now),
                }
                for request in self.trn_requests.values()
            ]
            config = self.config.as_dict()
            return {
                "teachers": copy.deepcopy(self.teachers),
                "trnRequests": requests,
                "referenceData": {name: config[name] for name in Config.REFERENCE_DATA},
            }

    def restore(self, data: dict[str, Any]) -> None:
        """Take the records of a :meth:`dump` (replacing the ones held)."""
        with self.lock:
            self.configure(**data.get("referenceData", {}))
            self.teachers = copy.deepcopy(data.get("teachers", {}))
            self._slug_index = None
            now = time.monotonic()
            self.trn_requests = {}
            for saved in data.get("trnRequests", []):
                request = {k: v for k, v in saved.items() if k != "dueInSeconds"}
                due = saved.get("dueInSeconds")
                request["dueAt"] = None if due is None else now + float(due)
                self.trn_requests[(request["apiKey"], request["requestId"])] = request

    def save(self, path: Path) -> None:
        """Write :meth:`dump` to ``path`` whole (a reader never sees half a file); one writer
        at a time."""
        with self.lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(json.dumps(self.dump(), indent=1, sort_keys=True))
            partial.replace(path)

    def load(self, path: Path) -> None:
        self.restore(json.loads(path.read_text()))

    # --- API ------------------------------------------------------------------------

    def authorised(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        key = authorization[len("Bearer ") :].strip()
        return key if key in self.config.api_keys else None

    def put_trn_request(self, api_key: str, request_id: str, body: Any) -> Answer:
        """TrnRequestsController + GetOrCreateTrnRequestHandler: validation first (a repeat
        with a bad body is refused too), then the existing request (200), else reference data
        and a new teacher (201)."""
        errors = rules.binding_errors(body, rules.CREATE_TYPES, rules.CREATE_NOT_NULLABLE)
        errors = errors or rules.trn_request(request_id, body, today())
        if errors:
            return validation_error(errors)
        slug = ci_get(body, "slugId")
        with self.lock:
            existing = self.trn_requests.get((api_key, request_id))
            if existing:
                self._maybe_assign_trn(existing)
                return Answer(200, self._trn_request_info(existing, slug=slug))
            errors = self._reference_errors(body)
            if errors:
                return validation_error(errors)
            delay = self.config.trn_delay_seconds
            request = {
                "requestId": request_id,
                "apiKey": api_key,
                "body": body,
                "slugId": slug,
                "trn": None,
                "dueAt": None if delay is None else time.monotonic() + delay,
            }
            self.trn_requests[(api_key, request_id)] = request
            self._maybe_assign_trn(request)
            return Answer(201, self._trn_request_info(request, slug=slug))

    def get_trn_request(self, api_key: str, request_id: str) -> Answer:
        """``NotFound()`` for a request this API key never made: a problem body."""
        with self.lock:
            request = self.trn_requests.get((api_key, request_id))
            if not request:
                return not_found()
            self._maybe_assign_trn(request)
            return Answer(200, self._trn_request_info(request))

    def update_teacher(self, trn: str, query: dict[str, str], body: Any) -> Answer:
        """TeachersController.UpdateAsync: validation, the teacher (404/409), then the record
        rules of :func:`dqt.fake.dataverse.update_teacher`."""
        birth_date = parse_date(ci_get(query, "birthDate"))
        slug = ci_get(query, "slugId") or None
        errors = rules.binding_errors(body, rules.UPDATE_TYPES, rules.UPDATE_NOT_NULLABLE)
        errors = errors or rules.update_teacher(body, birth_date, slug, today())
        if errors:
            return validation_error(errors)
        with self.lock:
            teacher = self._match_teacher(trn, birth_date, slug)
            if isinstance(teacher, Answer):
                return teacher
            rows = self._rows_with_slug(slug) or teacher.get("initialTeacherTraining", [])
            return dataverse.update_teacher(
                teacher,
                rows,
                body=body,
                slug=slug,
                reference_errors=self._update_reference_errors(teacher, body),
            )

    def set_itt_outcome(self, trn: str, query: dict[str, str], body: Any) -> Answer:
        """IttOutcomeController: validation, the teacher (404/409), then the record rules of
        :func:`dqt.fake.dataverse.set_itt_result`."""
        birth_date = parse_date(ci_get(query, "birthDate"))
        slug = ci_get(query, "slugId") or None
        errors = rules.binding_errors(body, rules.ITT_OUTCOME_TYPES)
        errors = errors or rules.itt_outcome(body, birth_date, today())
        if errors:
            return validation_error(errors)
        ukprn = str(ci_get(body, "ittProviderUkprn"))
        with self.lock:
            teacher = self._match_teacher(trn, birth_date, slug)
            if isinstance(teacher, Answer):
                return teacher
            return dataverse.set_itt_result(
                teacher,
                trn=trn,
                ukprn=ukprn,
                outcome=enum_value(ci_get(body, "outcome"), rules.ITT_OUTCOMES) or "",
                assessment_date=ci_get(body, "assessmentDate"),
                slug=slug,
                provider_known=self._provider_known(ukprn),
            )

    def get_teacher(self, trn: str, query: dict[str, str]) -> Answer:
        """GetTeacherRequestValidator, then active teachers only (GetTeacherHandler)."""
        if not TRN.match(trn):
            return validation_error({"trn": ["TRN must consist of 7 digits"]})
        include_inactive = str(ci_get(query, "includeInactive", "false")).lower() == "true"
        with self.lock:
            teacher = self.teachers.get(trn)
            if not teacher or not teacher.get("active", True):
                return not_found()
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

    # --- reference data and lookups -----------------------------------------------------

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

    def _reference_errors(self, body: Any) -> dict[str, list[str]]:
        """The reference data both writes look up (collected into one answer):
        ``ValidateReferenceData`` in DataverseAdapter.CreateTeacher.cs and .UpdateTeacher.cs."""
        errors: dict[str, list[str]] = {}
        itt = ci_get(body, ITT) or {}
        if not self._provider_known(ci_get(itt, "providerUkprn")):
            errors[f"{ITT}.providerUkprn"] = [ORGANISATION_NOT_FOUND]
        for n in (1, 2, 3):
            subject = ci_get(itt, f"subject{n}")
            if subject and not self._subject_known(subject):
                errors[f"{ITT}.subject{n}"] = [SUBJECT_NOT_FOUND]
        country = ci_get(itt, "trainingCountryCode")
        if country and not COUNTRY_CODE.match(str(country)):
            errors[f"{ITT}.trainingCountryCode"] = [COUNTRY_NOT_FOUND]
        qualification = ci_get(body, "qualification")
        if isinstance(qualification, dict):
            code = ci_get(qualification, "countryCode")
            if code and not COUNTRY_CODE.match(str(code)):
                errors["qualification.countryCode"] = [COUNTRY_NOT_FOUND]
            for name in ("subject", "subject2", "subject3"):
                subject = ci_get(qualification, name)
                if subject and not self._subject_known(subject):
                    errors[f"qualification.{name}"] = [SUBJECT_NOT_FOUND]
            ukprn = ci_get(qualification, "providerUkprn")
            if ukprn and not self.knows(ukprn):
                errors["qualification.providerUkprn"] = [ORGANISATION_NOT_FOUND]
        return errors

    def _subject_known(self, code: Any) -> bool:
        return str(code) in KNOWN_CODES and str(code) not in self.config.unknown_subjects

    def _update_reference_errors(self, teacher: dict, body: Any) -> dict[str, list[str]]:
        errors = self._reference_errors(body)
        husid = ci_get(body, "husId")
        if husid and any(
            other is not teacher and other.get("active", True) and other.get("husId") == husid
            for other in self.teachers.values()
        ):
            errors["husId.husId"] = [HUSID_TAKEN]
        return errors

    def _match_teacher(
        self, trn: str, birth_date: date | None, slug: str | None
    ) -> dict[str, Any] | Answer:
        """GetTeacherByTrnDobOrSlugIdAsync in the update and itt-outcome handlers: active
        contacts with this TRN and the slug, else with this TRN and the date of birth. None is
        404/10001; the teacher and its ``duplicateContacts`` (copies with the same TRN, slug
        and date of birth) are several: 409/10002."""
        teacher = self.teachers.get(trn)
        if not teacher or not teacher.get("active", True):
            return domain_error(404, TEACHER_NOT_FOUND)
        by_slug = bool(slug) and teacher.get("slugId") == slug
        by_birth_date = (
            birth_date is not None and teacher.get("dateOfBirth") == birth_date.isoformat()
        )
        if not (by_slug or by_birth_date):
            return domain_error(404, TEACHER_NOT_FOUND)
        if teacher.get("duplicateContacts"):
            return domain_error(409, MULTIPLE_TEACHERS)
        return teacher

    def _rows_with_slug(self, slug: str | None) -> list[dict[str, Any]]:
        """GetInitialTeacherTrainingBySlugIdAsync: active ITT rows with the slug, on any
        teacher's record. DQT looks them up by index; so does the fake (``_slug_index``),
        or a resync of 50,000 trainees spends its time here scanning every teacher."""
        if not slug:
            return []
        if self._slug_index is None:
            self._slug_index = {}
            for trn, teacher in self.teachers.items():
                self._index_slugs(trn, teacher)
        holders = self._slug_index.get(slug, set())
        # Several teachers with the slug: in the records' order, as a scan finds them.
        teachers = (
            [self.teachers[trn] for trn in holders if trn in self.teachers]
            if len(holders) <= 1
            else self.teachers.values()
        )
        return [
            row
            for teacher in teachers
            for row in teacher.get("initialTeacherTraining", [])
            if row.get("slugId") == slug and row.get("active", True)
        ]

    def _index_slugs(self, trn: str, teacher: dict[str, Any]) -> None:
        """Note which slugs the teacher's ITT rows carry. A row's slug never changes once
        made (only ``put_teacher`` makes rows), so the index only grows; a teacher that no
        longer has a slug's row is skipped when its rows are read."""
        if self._slug_index is None:
            return
        for row in teacher.get("initialTeacherTraining", []):
            if row.get("slugId"):
                self._slug_index.setdefault(row["slugId"], set()).add(trn)

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
            "tsPersonId": None,
            "active": True,
            "duplicateContacts": 0,
            # None: as the teacher's TRN request made it (dqt.fake.dataverse.default_registrations).
            "qtsRegistrations": None,
            "initialTeacherTraining": [],
            "qualification": None,
        }

    def _shown(self, teacher: dict[str, Any]) -> dict[str, Any]:
        """A copy for the control API, with the QTS registrations DQT would hold."""
        shown = copy.deepcopy(teacher)
        shown["qtsRegistrations"] = copy.deepcopy(dataverse.registrations(teacher))
        return shown

    def _itt_row(self, row: dict[str, Any]) -> dict[str, Any]:
        ptype = row.get("programmeType")
        return {
            "providerUkprn": str(row["providerUkprn"]) if row.get("providerUkprn") else None,
            "programmeType": ptype,
            "programmeStartDate": row.get("programmeStartDate"),
            "programmeEndDate": row.get("programmeEndDate"),
            "result": row.get("result", "UnderAssessment" if ptype == rules.AO else "InTraining"),
            "active": row.get("active", True),
            "slugId": row.get("slugId"),
            "husId": row.get("husId"),
            "subject1": row.get("subject1"),
            "subject2": row.get("subject2"),
            "subject3": row.get("subject3"),
            "ageRangeFrom": row.get("ageRangeFrom"),
            "ageRangeTo": row.get("ageRangeTo"),
            "ittQualificationType": row.get("ittQualificationType"),
            "ittQualificationAim": row.get("ittQualificationAim"),
            "trainingCountryCode": row.get("trainingCountryCode"),
        }

    def _maybe_assign_trn(self, request: dict[str, Any]) -> None:
        if request["trn"] or request["dueAt"] is None or time.monotonic() < request["dueAt"]:
            return
        self._assign_trn(request)

    def _assign_trn(self, request: dict[str, Any]) -> None:
        teacher = self.put_teacher(teacher_from_trn_request(request["body"]))
        request["trn"] = teacher["trn"]

    def _trn_request_info(self, request: dict[str, Any], **slug: Any) -> dict[str, Any]:
        """TrnRequestInfo in its declared member order. The slug is the body's on a PUT and
        the teacher's on a GET; the QTS date is the teacher's."""
        trn = request["trn"]
        teacher = self.teachers.get(trn) if trn else None
        if "slug" in slug:
            slug_id = slug["slug"]
        else:
            slug_id = teacher.get("slugId") if teacher else request["slugId"]
        return {
            "requestId": request["requestId"],
            "status": "Completed" if trn else "Pending",
            "trn": trn,
            "potentialDuplicate": not trn,
            "qtsDate": teacher.get("qtsDate") if teacher else None,
            "slugId": slug_id,
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
    """The teacher record DQT makes from a TRN request body (DataverseAdapter.CreateTeacher.cs):
    names re-split, Register allowed to change the PII, one ITT row in training."""
    given = f"{ci_get(body, 'firstName') or ''} {ci_get(body, 'middleName') or ''}".split()
    itt = ci_get(body, ITT) or {}
    slug = ci_get(body, "slugId")
    husid = ci_get(body, "husId")
    record = {
        # DQT re-splits the given names: first token first, the rest middle.
        "firstName": given[0] if given else None,
        "middleName": " ".join(given[1:]) or None,
        "lastName": ci_get(body, "lastName"),
        "dateOfBirth": ci_get(body, "birthDate"),
        "emailAddress": ci_get(body, "emailAddress"),
        "genderCode": ci_get(body, "genderCode"),
        "husId": husid,
        "slugId": slug,
        "allowPIIUpdates": True,
        "qualification": ci_get(body, "qualification"),
        "initialTeacherTraining": [
            {
                "providerUkprn": ci_get(itt, "providerUkprn"),
                "programmeType": ci_get(itt, "programmeType"),
                "programmeStartDate": ci_get(itt, "programmeStartDate"),
                "programmeEndDate": ci_get(itt, "programmeEndDate"),
                "slugId": slug,
                "husId": husid,
                "subject1": ci_get(itt, "subject1"),
                "subject2": ci_get(itt, "subject2"),
                "subject3": ci_get(itt, "subject3"),
                "ageRangeFrom": ci_get(itt, "ageRangeFrom"),
                "ageRangeTo": ci_get(itt, "ageRangeTo"),
                "ittQualificationType": ci_get(itt, "ittQualificationType"),
                "ittQualificationAim": ci_get(itt, "ittQualificationAim"),
                "trainingCountryCode": ci_get(itt, "trainingCountryCode"),
            }
        ],
    }
    record.update(overrides)
    return record
