"""The Apply client (Apply's Register API, Register's ``RecruitsApi::Client``).

Base URL, token and timeout come from ``regsupport.config.settings`` (``recruits_api.*``)
each time a client is made, so a test pointing at the fake Apply needs no restart::

    from apply.client import ApplyClient
    page = ApplyClient().applications(recruitment_cycle_year=2024, changed_since=None, page=1)

A status other than 200 raises :class:`ApplyHttpError`, whose text is Register's
(``status: 500, body: ..., headers: ...``); no answer in time raises :class:`ApplyTimeout`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from jobs.errors import JobFailure
from jobs.worker import released_while_waiting
from regsupport.config import settings

_thread = threading.local()


class ApplyError(JobFailure):
    """A call to Apply failed. 5xx and timeouts pass by themselves (transient); a 4xx
    (a wrong token, a refused parameter) does not."""


class ApplyHttpError(ApplyError):
    def __init__(self, *, status: int, body: str, headers: dict[str, str]):
        self.body = body
        title = _error_name(body) or f"Apply answered {status}"
        super().__init__(
            f"status: {status}, body: {body}, headers: {dict(headers)}", status=status, title=title
        )
        self.transient = status >= 500 or status == 429


class ApplyTimeout(ApplyError):
    transient = True


class ApplyMalformedAnswer(ApplyError):
    """Apply answered 200 with something that is not its list of applications."""


@dataclass(frozen=True)
class ApplicationsPage:
    data: list[dict[str, Any]]
    total_pages: int
    status: int


def _error_name(body: str) -> str:
    """Apply's error bodies: ``{"errors": [{"error": "Unauthorized", "message": ...}]}``."""
    try:
        errors = json.loads(body).get("errors") or []
        first = errors[0]
        return f"{first['error']}: {first['message']}"
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return ""


def _session() -> requests.Session:
    session = getattr(_thread, "session", None)
    if session is None:
        session = _thread.session = requests.Session()
    return session


class ApplyClient:
    def __init__(self, *, base_url: str | None = None, token: str | None = None):
        self.base_url = (base_url or settings.get("recruits_api.base_url")).rstrip("/")
        self.token = token if token is not None else settings.get("recruits_api.auth_token", "")
        self.timeout = float(settings.get("recruits_api.timeout_seconds", 30))
        self.headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "User-Agent": "Register for teacher training (regsupport)",
        }

    def applications(
        self, *, recruitment_cycle_year: int, changed_since: datetime | None, page: int
    ) -> ApplicationsPage:
        """GET /applications: one page of application choices changed since then. The query
        is Register's: ``changed_since`` in UTC to the second, blank when there is none."""
        params: dict[str, Any] = {"recruitment_cycle_year": recruitment_cycle_year}
        if changed_since is not None:
            params["changed_since"] = (
                changed_since.astimezone(UTC)
                .replace(microsecond=0)
                .isoformat()
                .replace("+00:00", "Z")
            )
        params["page"] = page
        response = self._get(f"{self.base_url}/applications", params)
        if response.status_code != 200:
            raise ApplyHttpError(
                status=response.status_code, body=response.text, headers=dict(response.headers)
            )
        try:
            data = response.json()["data"]
            if not isinstance(data, list):
                raise TypeError("data is not a list")
        except (ValueError, KeyError, TypeError) as error:
            raise ApplyMalformedAnswer(
                f"Apply's answer to page {page} is not a list of applications: {response.text[:300]}",
                status=200,
                title="Apply's answer could not be read",
            ) from error
        try:
            total_pages = int(response.headers.get("Total-Pages") or 1)
        except ValueError:
            total_pages = 1
        return ApplicationsPage(data=data, total_pages=total_pages, status=response.status_code)

    def _get(self, url: str, params: dict[str, Any]) -> requests.Response:
        try:
            with released_while_waiting():
                return _session().get(
                    url, params=params, headers=self.headers, timeout=self.timeout
                )
        except requests.Timeout as error:
            raise ApplyTimeout(
                f"Apply did not answer within {self.timeout:g} seconds", title="Apply timed out"
            ) from error
        except requests.ConnectionError as error:
            raise ApplyTimeout(
                f"Could not reach Apply at {self.base_url}: {error}", title="Apply unreachable"
            ) from error


def touch_application_choices(apply_ids: list[int]) -> dict[str, list[int]] | None:
    """The playbook's step 3, ``ApplicationChoice.where(id: ids).touch_all``, where we can
    do it: only the fake Apply offers it (``recruits_api.touch_url``). None when it is not
    configured: the ids then go to the Apply team, as the playbook says."""
    url = settings.get("recruits_api.touch_url", "")
    if not url:
        return None
    try:
        response = _session().post(
            url,
            json={"ids": list(apply_ids)},
            timeout=float(settings.get("recruits_api.timeout_seconds", 30)),
        )
    except requests.RequestException as error:
        raise ApplyTimeout(f"Could not touch the application choices in Apply: {error}") from error
    if response.status_code != 200:
        raise ApplyHttpError(
            status=response.status_code, body=response.text, headers=dict(response.headers)
        )
    return response.json()
