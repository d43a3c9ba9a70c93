"""How DQT's framework writes its answers: ASP.NET Core 8 and FluentValidation 11 defaults.

DQT's own code decides *what* fails (``dqt/fake/state.py``); the wording of its generic
validation messages, the shape of a problem body and the way JSON is written come from the
framework. Each function here names the framework source it follows.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

# ASP.NET Core 8's ApiBehaviorOptions ClientErrorMapping (RFC 9110 links since .NET 7).
VALIDATION_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.1"
NOT_FOUND_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.5"
VALIDATION_TITLE = "One or more validation errors occurred."

# Added to every response by DQT's middleware (TeachingRecordSystem.Api/Program.cs), which runs
# after authentication: a 401 goes out without them.
SECURITY_HEADERS = (
    ("X-Frame-Options", "deny"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-XSS-Protection", "0"),
)


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None = None
    problem: bool = False


def trace_id() -> str:
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"


def domain_error(status: int, error: tuple[int, str]) -> Answer:
    """DQT's ``ErrorException`` as ``ErrorExceptionExtensions.ToResult`` writes it: a bare
    ProblemDetails with the registry title and ``errorCode``; no type, no traceId, and no detail
    (no v2 error has one)."""
    code, title = error
    return Answer(status, {"title": title, "status": status, "errorCode": code}, problem=True)


def validation_error(errors: dict[str, list[str]]) -> Answer:
    """``ValidationProblemDetails``: members in the order ProblemDetails declares them, the
    errors in ModelState's order, ``traceId`` (an extension) last."""
    return Answer(
        400,
        {
            "type": VALIDATION_TYPE,
            "title": VALIDATION_TITLE,
            "status": 400,
            "errors": model_state_order(errors),
            "traceId": trace_id(),
        },
        problem=True,
    )


def not_found() -> Answer:
    """``return NotFound()`` in an ``[ApiController]``: the client-error mapping turns it into
    a problem body."""
    return Answer(
        404,
        {"type": NOT_FOUND_TYPE, "title": "Not Found", "status": 404, "traceId": trace_id()},
        problem=True,
    )


def model_state_order(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The order ASP.NET Core enumerates a ModelStateDictionary in (aspnetcore
    ``src/Mvc/Mvc.Abstractions/src/ModelBinding/ModelStateDictionary.cs``): a tree of the dotted
    key's parts, walked breadth-first, each node's children kept sorted by length and then
    case-insensitively. So ``lastName`` comes before ``birthDate``, and every top-level key
    before ``initialTeacherTraining.programmeType``."""
    root: dict[str, Any] = {"children": {}}
    for key in errors:
        node = root
        for part in key.split("."):
            node = node["children"].setdefault(
                part.upper(), {"part": part, "key": None, "children": {}}
            )
        node["key"] = key
    ordered: dict[str, list[str]] = {}
    queue = [root]
    while queue:
        node = queue.pop(0)
        children = sorted(
            node["children"].values(), key=lambda n: (len(n["part"]), n["part"].upper())
        )
        for child in children:
            if child["key"] is not None:
                ordered[child["key"]] = errors[child["key"]]
            if child["children"]:
                queue.append(child)
    return ordered


# --- JSON as System.Text.Json writes it ------------------------------------------------------

# JavaScriptEncoder.Default (ASP.NET Core's default) lets through printable ASCII except the
# HTML-sensitive characters; everything else becomes \uXXXX with upper-case hex, a quote
# included. Applied to json.dumps' output, whose only backslashes are its own escapes.
_TO_ESCAPE = re.compile(r"\\u[0-9a-f]{4}|\\.|[^\x20-\x7e]|['+<>&`]")


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if text.startswith("\\u"):
        return "\\u" + text[2:].upper()
    if text == '\\"':
        return "\\u0022"
    if text.startswith("\\"):
        return text
    units = text.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))


def dotnet_json(data: Any) -> bytes:
    """Compact, as ASP.NET writes it (``"errorCode":10005``: old console regexes match it),
    escaped as ``JavaScriptEncoder.Default`` escapes (``'`` is ``\\u0027``)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return _TO_ESCAPE.sub(_escape, text).encode()


# --- FluentValidation 11's default messages ----------------------------------------------------


def display_name(key: str) -> str:
    """FluentValidation's display name for a rule on a property chain: the PascalCase chain
    through ``SplitPascalCase``, which drops the dots
    (``initialTeacherTraining.programmeStartDate`` → "Initial Teacher Training Programme Start
    Date")."""
    chain = ".".join(part[:1].upper() + part[1:] for part in key.split("."))
    out = []
    for i, char in enumerate(chain):
        if char.isupper() and (
            (i > 1 and not chain[i - 1].isupper())
            or (i + 1 < len(chain) and not chain[i + 1].isupper())
        ):
            out.append(" ")
        if char != "." or i + 1 == len(chain) or not chain[i + 1].isupper():
            out.append(char)
    return "".join(out).strip()


def not_empty(key: str) -> str:
    """NotEmpty and NotNull."""
    return f"'{display_name(key)}' must not be empty."


def must_be_empty(key: str) -> str:
    """Empty and Null."""
    return f"'{display_name(key)}' must be empty."


def max_length(key: str, maximum: int, value: str) -> str:
    return (
        f"The length of '{display_name(key)}' must be {maximum} characters or fewer. "
        f"You entered {len(value)} characters."
    )


def not_in_enum(key: str, value: Any) -> str:
    return f"'{display_name(key)}' has a range of values which does not include '{value}'."


def not_an_email(key: str) -> str:
    return f"'{display_name(key)}' is not a valid email address."


def condition_not_met(key: str) -> str:
    """Must(...) without a message."""
    return f"The specified condition was not met for '{display_name(key)}'."


def is_blank(value: Any) -> bool:
    """FluentValidation's NotEmpty/Empty test for a string: null, "" or white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_email(value: str) -> bool:
    """FluentValidation 11's default (ASP.NET-compatible) check: one @, not first nor last."""
    at = value.find("@")
    return at > 0 and at != len(value) - 1 and at == value.rfind("@")
