"""Every way a DQT call can fail, as exceptions the job ledger can read, and the refusal
of a DQT fix.

A :class:`DqtError` is a failure of a call to DQT: a job that meets one fails (and the
ledger reads it). A fix that asks DQT live turns one into a :class:`DqtFixError`, the
refusal a support agent sees.

The ledger fills its indexed error columns from these attributes (read with ``getattr``):
``status``, ``error_code``, ``title``, ``field_errors`` and ``transient``. Keep the names.

``str(DqtHttpError)`` is Register's client text (``Dqt::Client::HttpError``):
``status: 404, body: {...}, headers: {"content-type" => [...], ...}``, so the old console
idioms (``error_message.startswith("status: 405")``) and the playbook's examples still read
the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from regsupport.errors import Refusal


class DqtFixError(Refusal):
    """A DQT fix was refused; the message is meant for a support agent."""


class DqtError(Exception):
    """Base of every DQT error. Local refusals are not transient: retrying changes nothing."""

    status: int | None = None
    error_code: int | None = None
    title: str | None = None
    transient: bool = False

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {}

    def __reduce__(self):
        # Our constructors take keyword arguments or a trainee, so the default pickling
        # (``cls(*args)``) would fail when Celery or a result backend carries the error.
        return (_rebuild, (self.__class__, self.args, self.__dict__))


def _rebuild(cls, args, state):
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


VALIDATION_TITLE = "One or more validation errors occurred."


class DqtRateLimited(DqtError):
    """The call was not sent: DQT's rate limit (ours, ``dqt.max_requests_per_second``, or
    its 429) would have kept it waiting too long. Transient: the job tries again after
    ``retry_after`` seconds."""

    transient = True
    title = "Waiting for DQT's rate limit"

    def __init__(self, *, retry_after: float):
        self.retry_after = retry_after
        super().__init__(
            f"Not sent: DQT's rate limit has no free slot for {retry_after:.1f} seconds"
        )


class DqtHttpError(DqtError):
    """DQT answered with a status outside the endpoint's success set."""

    status: int  # always set: an HTTP error has a status

    def __init__(
        self,
        *,
        status: int,
        body: str,
        headers: Mapping[str, str] | None = None,
        method: str = "",
        url: str = "",
    ):
        self.status = status
        self.body = body or ""
        self.headers = dict(headers or {})
        self.method = method
        self.url = url
        self.problem = parse_problem(self.body)
        title = self.problem.get("title")
        self.title = title if isinstance(title, str) else None
        if self.title == VALIDATION_TITLE and self.field_errors:
            # "One or more validation errors occurred." says nothing in a list of dead jobs;
            # the field errors are what support acts on.
            self.title = "; ".join(
                f"{key}: {message}"
                for key, messages in self.field_errors.items()
                for message in messages
            )[:255]
        code = self.problem.get("errorCode")
        self.error_code = code if isinstance(code, int) else None
        super().__init__(
            f"status: {status}, body: {self.body}, headers: {ruby_headers(self.headers)}"
        )

    @property
    def field_errors(self) -> dict[str, list[str]]:
        errors = self.problem.get("errors")
        if not isinstance(errors, dict):
            return {}
        return {
            str(key): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for key, messages in errors.items()
        }

    @property
    def transient(self) -> bool:  # type: ignore[override]
        # 429 is DQT's (Dataverse's) service-protection limit: waiting is the fix.
        return self.status >= 500 or self.status == 429

    @property
    def retry_after(self) -> float | None:
        """A 429's or 503's Retry-After in seconds (given as seconds or as an HTTP date)."""
        value = next((v for k, v in self.headers.items() if k.lower() == "retry-after"), None)
        if value is None or self.status not in (429, 503):
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max((moment - datetime.now(UTC)).total_seconds(), 0.0)

    def has_field_error(self, field: str, message: str) -> bool:
        return message in self.field_errors.get(field, [])


def ruby_headers(headers: Mapping[str, str]) -> str:
    """Headers as Register's error text printed HTTParty's: Ruby 3.4's ``Hash#inspect`` of
    lower-case names to lists of values, ``{"content-type" => ["application/json"]}``."""
    items = (
        f"{_ruby_string(name.lower())} => [{_ruby_string(value)}]"
        for name, value in headers.items()
    )
    return "{" + ", ".join(items) + "}"


# Header values reach HTTParty as binary strings: other control characters print as \xNN.
_RUBY_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\f": "\\f",
    "\v": "\\v",
    "\b": "\\b",
    "\a": "\\a",
    "\x1b": "\\e",
}


def _ruby_string(value: str) -> str:
    """Ruby's ``String#inspect``: double quotes, backslash escapes, ``#{`` kept literal."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in _RUBY_ESCAPES:
            return _RUBY_ESCAPES[char]
        if char.startswith("#"):
            return "\\" + char
        return f"\\x{ord(char):02X}"

    return '"' + re.sub(r'[\\"]|#[{$@]|[\x00-\x1f\x7f]', escape, value) + '"'


def parse_problem(body: str) -> dict[str, Any]:
    """RFC 7807 problem details from a body, or ``{}`` when it is empty or not JSON."""
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class DqtConnectionError(DqtError):
    """DQT could not be reached (refused, reset, DNS). Worth retrying later."""

    transient = True


class DqtTimeout(DqtError):
    """DQT did not answer within ``dqt.timeout_seconds``. It may still have acted on the
    request, which is why every call we retry is idempotent on DQT's side."""

    transient = True


class TraineeMissingTrn(DqtError):
    """A call that needs the trainee's TRN was asked for before DQT gave one."""


class TraineeUpdateMissingTrn(TraineeMissingTrn):
    title = "Cannot update trainee on DQT without a TRN"

    def __init__(self, trainee):
        super().__init__(
            f"Cannot update trainee on DQT without a trn (id: {trainee.pk})\nslug: {trainee.slug}"
        )


class TraineeAwardMissingTrn(TraineeMissingTrn):
    title = "Cannot recommend for award without a TRN"

    def __init__(self, trainee):
        super().__init__(
            f"Cannot recommend for award without a trn (id: {trainee.pk})\nslug: {trainee.slug}"
        )


class TraineeWithdrawMissingTrn(TraineeMissingTrn):
    title = "Cannot withdraw on DQT without a TRN"

    def __init__(self, trainee):
        super().__init__(
            f"Cannot withdraw trainee on DQT without a trn (id: {trainee.pk})\nslug: {trainee.slug}"
        )


class TraineeMissingData(DqtError):
    """The trainee lacks something DQT requires (date of birth, outcome date …)."""


class TraineeNotSendable(TraineeMissingData):
    """Refused before calling DQT: the request as it stands would be refused, or Register
    could not build it. Each kind has its own ``title``."""

    def __init__(self, trainee):
        super().__init__(f"Cannot send trainee {trainee.pk} to DQT: {self.why(trainee)}")

    def why(self, trainee) -> str:
        raise NotImplementedError


class NoDqtProgrammeType(TraineeNotSendable):
    """The route has no DQT programme type. Register sent null for the teacher degree
    apprenticeship and DQT refused it ("'Initial Teacher Training Programme Type' must not be
    empty.")."""

    title = "No DQT programme type for the training route"

    def why(self, trainee) -> str:
        route = trainee.get_training_route_display() or "no training route"
        return (
            f"DQT has no programme type for {route} (Register sent none, and DQT refuses a "
            "trainee without one)"
        )


class UnknownIqtsCountry(TraineeNotSendable):
    """The IQTS country is a name no DQT country code could be found for."""

    title = "No DQT country code for the IQTS country"

    def why(self, trainee) -> str:
        return (
            f"no country code for the IQTS country '{trainee.iqts_country}'; correct it to a "
            "name on the DfE country list"
        )


class DqtNoAwardDateError(DqtError):
    """DQT accepted the award but sent back no QTS/EYTS date, so we cannot award on Register."""

    def __init__(self, trainee):
        super().__init__(f"failed to retrieve award date from DQT for trainee: {trainee.pk}")


class TeacherNotFound(DqtError):
    """A lookup by TRN found nothing (unknown or inactive TRN)."""


class FindTeacherError(DqtError):
    """``find_teacher`` found no teacher, or more than one."""
