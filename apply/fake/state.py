"""The fake Apply's memory and its one API endpoint: application choices, the providers
Apply knows (with their Publish provider type), faults, and Apply's answers.

No HTTP here: :mod:`apply.fake.server` turns requests into calls on :class:`FakeApplyState`.
``apply/fake/README.md`` names the real source of every rule.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

DEFAULT_API_TOKENS = ("test-apply-token", "dev-apply-token")
# Apply's RegisterAPI::ApplicationsController: DEFAULT_PER_PAGE = MAX_PER_PAGE = 50.
MAX_PER_PAGE = 50
# Application choices Register may see: recruited ones and those pending conditions
# (Apply's RegisterAPIApplicationChoices).
VISIBLE_STATUSES = ("recruited", "pending_conditions")
FAULT_KINDS = ("error", "delay", "malformed")


def now() -> datetime:
    return datetime.now(UTC)


def iso8601(moment: datetime) -> str:
    """Rails' ``Time#iso8601``: whole seconds with the offset (``+00:00`` in UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_answer(status: int, name: str, message: str) -> Answer:
    """Apply's API errors: ``{"errors": [{"error": name, "message": message}]}``."""
    return Answer(status, {"errors": [{"error": name, "message": message}]})


@dataclass
class Fault:
    """An injected misbehaviour for the next ``count`` API calls (``None``: every call).

    ``error``: answer ``status`` with ``body`` (Apply's 500 body when empty); ``delay``: wait
    ``seconds`` before answering (longer than the client's timeout: a timeout);
    ``malformed``: answer normally, but the application choice ``apply_id`` (or the first
    on the page) comes without its ``course`` block.
    """

    kind: str = "error"
    status: int = 500
    body: str = ""
    seconds: float = 0.0
    apply_id: int | None = None
    count: int | None = 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FakeApplyState:
    """Application choices by id; each is stored the way Apply holds it (its candidate,
    contact details, course option and qualifications) and presented on request as
    Apply's ``RegisterAPI::SingleApplicationPresenter`` does."""

    def __init__(
        self,
        *,
        api_tokens: tuple[str, ...] | list[str] = DEFAULT_API_TOKENS,
        years_available: tuple[int, ...] | list[int] | None = None,
    ):
        self.lock = threading.RLock()
        # A fault's delay waits on this, so a reset or shutdown wakes it at once.
        self.wake = threading.Event()
        self.api_tokens = set(api_tokens)
        # None: every year any choice is in (Apply's RecruitmentCycle.years_available_to_register).
        self.years_available = list(years_available) if years_available else None
        self.choices: dict[int, dict[str, Any]] = {}
        self.providers: dict[str, dict[str, str]] = {}
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self._ids = itertools.count(1)

    # --- set-up and control -----------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.choices.clear()
            self.providers.clear()
            self.faults.clear()
            self.calls.clear()
            self.wake.set()
            self.wake = threading.Event()

    def put_provider(self, *, code: str, name: str = "", provider_type: str = "scitt") -> dict:
        """A provider as Apply has synced it from Publish. Changing its type is what
        "correct the provider_type on Publish" does: the choices' ``updated_at`` stays."""
        with self.lock:
            provider = self.providers.setdefault(code, {"code": code, "name": name or code})
            provider["provider_type"] = provider_type
            if name:
                provider["name"] = name
            return dict(provider)

    def add_choice(self, choice: dict[str, Any]) -> dict[str, Any]:
        """Store an application choice. ``id`` defaults to the next free one, ``updated_at``
        to now; ``course`` needs ``training_provider_code`` and ``recruitment_cycle_year``."""
        with self.lock:
            stored = copy.deepcopy(choice)
            stored["id"] = int(stored.get("id") or self._next_id())
            stored.setdefault("status", "recruited")
            stored.setdefault("updated_at", iso8601(now()))
            stored.setdefault("submitted_at", stored["updated_at"])
            if stored["status"] == "recruited":
                stored.setdefault("recruited_at", stored["updated_at"])
            course = stored.setdefault("course", {})
            for code in (
                course.get("training_provider_code"),
                course.get("accredited_provider_code"),
            ):
                if code and code not in self.providers:
                    self.put_provider(code=code)
            self.choices[stored["id"]] = stored
            return self.present(stored)

    def touch(self, ids: list[int]) -> dict[str, list[int]]:
        """``ApplicationChoice.where(id: ids).touch_all``: ``updated_at`` becomes now, so the
        next ``changed_since`` query returns them again."""
        moment = now()
        touched, unknown = [], []
        with self.lock:
            for raw in ids:
                choice = self.choices.get(int(raw))
                if choice is None:
                    unknown.append(int(raw))
                    continue
                choice["updated_at"] = moment.isoformat()
                touched.append(choice["id"])
        return {"touched": touched, "unknown": unknown}

    def add_fault(self, **fault: Any) -> Fault:
        new = Fault(**fault)
        if new.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        with self.lock:
            self.faults.append(new)
        return new

    def take_fault(self) -> Fault | None:
        with self.lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.pop(0)
            return fault

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    # --- persistence (``run_fake_apply --state-file``) --------------------------------

    def save(self, path: Path) -> None:
        with self.lock:
            data = {"providers": self.providers, "choices": list(self.choices.values())}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True))

    def load(self, path: Path) -> None:
        data = json.loads(path.read_text())
        with self.lock:
            self.providers = dict(data.get("providers", {}))
            self.choices = {int(c["id"]): c for c in data.get("choices", [])}

    # --- the API ----------------------------------------------------------------------

    def authorised(self, authorization: str | None) -> bool:
        """Rails' ``authenticate_with_http_token``: ``Bearer <token>`` (or ``Token``)."""
        scheme, _, token = (authorization or "").partition(" ")
        return scheme.lower() in ("bearer", "token") and token.strip() in self.api_tokens

    def applications(self, query: dict[str, str]) -> Answer:
        """GET /register-api/applications, checks in Apply's order: the year (missing, then
        not available), ``changed_since`` (ISO 8601), ``per_page``, then the page."""
        year = (query.get("recruitment_cycle_year") or "").strip()
        if not year:
            return error_answer(
                422,
                "ParameterMissing",
                "param is missing or the value is empty or invalid: recruitment_cycle_year",
            )
        if year not in {str(y) for y in self.available_years()}:
            return error_answer(
                422, "ParameterInvalid", "Parameter is invalid: recruitment_cycle_year"
            )
        changed_since = None
        if query.get("changed_since"):
            changed_since = _parse_iso8601(query["changed_since"])
            if changed_since is None:
                return error_answer(
                    422,
                    "ParameterInvalid",
                    "Parameter is invalid (should be ISO8601): changed_since",
                )
        try:
            per_page = int(query.get("per_page") or MAX_PER_PAGE)
        except ValueError:
            per_page = 0
        if per_page > MAX_PER_PAGE:
            return error_answer(
                422,
                "PerPageParameterInvalid",
                f"the 'per_page' parameter cannot exceed {MAX_PER_PAGE} results per page",
            )
        per_page = max(per_page, 1)
        with self.lock:
            chosen = [
                c
                for c in self.choices.values()
                if str(c["course"].get("recruitment_cycle_year")) == year
                and (c.get("recruited_at") or c.get("status") == "pending_conditions")
                and (changed_since is None or _moment(c["updated_at"]) > changed_since)
            ]
            chosen.sort(key=lambda c: (_moment(c["updated_at"]), c["id"]))
            pages = max(1, math.ceil(len(chosen) / per_page))
            try:
                page = int(query.get("page") or 1)
            except ValueError:
                page = 0
            if page < 1 or page > pages:
                return error_answer(
                    422,
                    "PageParameterInvalid",
                    f"expected 'page' parameter to be between 1 and {pages}, got {query.get('page')}",
                )
            on_page = [self.present(c) for c in chosen[(page - 1) * per_page : page * per_page]]
        # pagy's headers (Pagy::HeadersExtra), as Apply merges them into every page.
        headers = {
            "Current-Page": str(page),
            "Page-Items": str(per_page),
            "Total-Pages": str(pages),
            "Total-Count": str(len(chosen)),
        }
        return Answer(200, {"data": on_page}, headers)

    def available_years(self) -> list[int]:
        if self.years_available is not None:
            return self.years_available
        with self.lock:
            return sorted(
                {int(c["course"]["recruitment_cycle_year"]) for c in self.choices.values()}
            )

    def present(self, choice: dict[str, Any]) -> dict[str, Any]:
        """``RegisterAPI::SingleApplicationPresenter#as_json``."""
        course = choice.get("course") or {}
        accredited_code = course.get("accredited_provider_code")
        return {
            "id": str(choice["id"]),
            "type": "application",
            "attributes": {
                "support_reference": choice.get("support_reference", f"AB{choice['id']:04d}"),
                "status": choice["status"],
                "updated_at": iso8601(_moment(choice["updated_at"])),
                "submitted_at": choice.get("submitted_at"),
                "recruited_at": choice.get("recruited_at"),
                "candidate": copy.deepcopy(choice.get("candidate", {})),
                "contact_details": copy.deepcopy(choice.get("contact_details", {})),
                "course": {
                    "recruitment_cycle_year": course.get("recruitment_cycle_year"),
                    "course_code": course.get("course_code"),
                    "course_uuid": course.get("course_uuid"),
                    "training_provider_code": course.get("training_provider_code"),
                    "training_provider_type": self._provider_type(
                        course.get("training_provider_code")
                    ),
                    "accredited_provider_type": self._provider_type(accredited_code),
                    "accredited_provider_code": accredited_code,
                    "site_code": course.get("site_code", "-"),
                    "study_mode": course.get("study_mode", "full_time"),
                },
                "qualifications": copy.deepcopy(
                    choice.get("qualifications")
                    or {
                        "gcses": [],
                        "degrees": [],
                        "other_qualifications": [],
                        "missing_gcses_explanation": None,
                    }
                ),
                "hesa_itt_data": copy.deepcopy(choice.get("hesa_itt_data")),
            },
        }

    def _provider_type(self, code: str | None) -> str | None:
        if not code:
            return None
        return self.providers.get(code, {}).get("provider_type")

    def _next_id(self) -> int:
        while True:
            candidate = next(self._ids) + 10000
            if candidate not in self.choices:
                return candidate


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_iso8601(value: str) -> datetime | None:
    """``Time.zone.iso8601``: a date-time with an offset or ``Z``; a bare date is midnight."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.year <= 0:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def candidate(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | str,
    gender: str = "female",
    nationality: list[str] | None = None,
    ethnic_group: str | None = "Prefer not to say",
    ethnic_background: str | None = None,
    disabilities: list[str] | None = None,
    candidate_id: int = 1,
) -> dict[str, Any]:
    """A candidate block in Apply's shape (Register's spec fixture
    ``spec/support/api_stubs/recruits_api.rb``)."""
    conditions = [
        {"text": None, "hesa_code": None, "name": name, "uuid": None} for name in disabilities or []
    ]
    nationality = nationality or ["GB"]
    return {
        "id": f"C{candidate_id}",
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": str(date_of_birth),
        "nationality": nationality,
        "domicile": "XF",
        "uk_residency_status": "UK Citizen" if "GB" in nationality else "Irish Citizen",
        "uk_residency_status_code": "A" if "GB" in nationality else "B",
        "fee_payer": "02",
        "english_main_language": True,
        "english_language_qualifications": None,
        "other_languages": None,
        "disability_disclosure": None,
        "gender": gender,
        "disabilities": [],
        "disabilities_and_health_conditions": conditions,
        "ethnic_group": ethnic_group,
        "ethnic_background": ethnic_background,
    }


def contact_details(*, email: str) -> dict[str, Any]:
    return {
        "phone_number": "07700 900 982",
        "address_line1": "42 Example Street",
        "address_line2": "",
        "address_line3": "London",
        "address_line4": "",
        "postcode": "SW1P 3BT",
        "country": "GB",
        "email": email,
    }


def application_choice(
    *,
    apply_id: int | None = None,
    recruitment_cycle_year: int,
    training_provider_code: str,
    accredited_provider_code: str | None = None,
    course_uuid: str | None = None,
    course_code: str = "X100",
    study_mode: str = "full_time",
    first_name: str = "Martin",
    last_name: str = "Wells",
    date_of_birth: date | str = "1998-03-18",
    email: str | None = None,
    updated_at: datetime | None = None,
    status: str = "recruited",
    **candidate_fields: Any,
) -> dict[str, Any]:
    """An application choice as the fake stores it, for tests and the demo."""
    choice: dict[str, Any] = {
        "status": status,
        "candidate": candidate(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            candidate_id=apply_id or 1,
            **candidate_fields,
        ),
        "contact_details": contact_details(
            email=email or f"{first_name}.{last_name}@example.com".lower().replace("'", "")
        ),
        "course": {
            "recruitment_cycle_year": recruitment_cycle_year,
            "course_code": course_code,
            "course_uuid": course_uuid,
            "training_provider_code": training_provider_code,
            "accredited_provider_code": accredited_provider_code,
            "site_code": "-",
            "study_mode": study_mode,
        },
    }
    if apply_id is not None:
        choice["id"] = apply_id
    if updated_at is not None:
        choice["updated_at"] = updated_at.isoformat()
    return choice
