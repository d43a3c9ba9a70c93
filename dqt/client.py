"""The DQT (Qualified Teachers API v2) client: one method per endpoint Register used.

Base URL, API key and timeout come from ``regsupport.config.settings`` (``dqt.base_url``,
``dqt.api_key``, ``dqt.timeout_seconds``) each time a client is made, so a changed setting
(or a test pointing at the fake DQT) takes effect without restarting anything::

    from dqt.client import DqtClient
    DqtClient().get_teacher("1234567")

Any status outside an endpoint's success set raises :class:`dqt.errors.DqtHttpError`;
network failures raise :class:`DqtConnectionError` / :class:`DqtTimeout`. See
``dqt/fake/README.md`` for what DQT answers and when.

Calls keep to ``dqt.max_requests_per_second`` across all workers (``dqt.rate_limit``); a
429 pauses them all for its Retry-After. Each thread reuses one HTTP session, so a job's
calls do not open a new connection each, and a worker's pooled database session is given
back while a call waits (``jobs.worker.released_while_waiting``).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from datetime import date
from typing import Any
from urllib.parse import quote

import requests

from jobs.worker import released_while_waiting
from monitoring.events import dqt_answered
from regsupport.config import settings

from . import rate_limit
from .errors import DqtConnectionError, DqtHttpError, DqtTimeout

# Register's client accepted exactly these statuses per verb (dqt-api.md §0).
SUCCESS = {"GET": {200}, "PUT": {200, 201}, "PATCH": {204}}
# A 429 without a Retry-After pauses calls this long.
DEFAULT_RETRY_AFTER_SECONDS = 1.0

_thread = threading.local()


def _thread_session() -> requests.Session:
    """This thread's HTTP session: its connections to DQT stay open between jobs.

    It does not read the environment itself (``trust_env``): ``_environment_for`` gives each
    call what the environment says, worked out once per URL and environment."""
    session = getattr(_thread, "session", None)
    if session is None:
        session = _thread.session = requests.Session()
        session.trust_env = False
    return session


# What requests would read from the environment on every call (proxies and a CA bundle).
_ENVIRONMENT = tuple(
    name
    for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for name in (base, base.upper())
) + ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _environment_for(url: str) -> tuple[dict[str, str], str | bool]:
    """The proxies and TLS verification requests would take from the environment for
    ``url``. Requests works them out on every call by scanning the whole environment,
    which was about a tenth of a DQT job's CPU time (docs/decisions/0015-dqt-worker-cpu.md);
    here only when the URL or one of those variables changes."""
    return _environment_cached(url, tuple(os.environ.get(name) for name in _ENVIRONMENT))


@functools.lru_cache(maxsize=64)
def _environment_cached(url: str, _values: tuple) -> tuple[dict[str, str], str | bool]:
    proxies = requests.utils.get_environ_proxies(url)
    verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return proxies, verify


class DqtClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        max_rate_wait: float | None = None,
    ):
        self.base_url = (base_url or settings.get("dqt.base_url")).rstrip("/")
        self.api_key = api_key if api_key is not None else settings.get("dqt.api_key", "")
        self.timeout = float(
            timeout if timeout is not None else settings.get("dqt.timeout_seconds", 30)
        )
        self.session = session or _thread_session()
        # How long a call may wait for its turn under the rate limit (None: the setting's).
        self.max_rate_wait = max_rate_wait
        self._owns_session = session is not None
        self.headers = {
            "Accept": "application/json",
            "Content-Type": "application/json;odata.metadata=minimal",
            "Authorization": f"Bearer {self.api_key}",
        }

    def close(self) -> None:
        """Close a session the caller gave; the thread's own stays open for the next job."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> DqtClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- endpoints ------------------------------------------------------------------

    def register_for_trn(self, request_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """PUT trn-requests/{id}: get-or-create, so a retry with the same id is harmless.
        201 when created, 200 with the stored result when the id is known."""
        return self._call(
            "PUT", f"/v2/trn-requests/{_segment(request_id)}", "trn-requests", json_body=payload
        )

    def get_trn_request(self, request_id: str) -> dict[str, Any]:
        """GET trn-requests/{id}: ``trn`` is null until DQT has assigned one."""
        return self._call("GET", f"/v2/trn-requests/{_segment(request_id)}", "trn-requests")

    def update_teacher(
        self, trn: str, *, slug: str, birth_date: date | str | None, payload: dict[str, Any]
    ) -> None:
        """PATCH teachers/update/{trn}: 204, no body."""
        self._call(
            "PATCH",
            f"/v2/teachers/update/{_segment(trn)}",
            "teachers/update",
            params={"slugId": slug, "birthDate": _iso(birth_date)},
            json_body=payload,
        )

    def set_itt_outcome(
        self, trn: str, *, slug: str, birth_date: date | str | None, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT teachers/{trn}/itt-outcome (award: Pass, withdrawal: Withdrawn) → ``{trn, qtsDate}``."""
        return self._call(
            "PUT",
            f"/v2/teachers/{_segment(trn)}/itt-outcome",
            "teachers/itt-outcome",
            params={"slugId": slug, "birthDate": _iso(birth_date)},
            json_body=payload,
        )

    def get_teacher(self, trn: str, *, birth_date: date | str | None = None) -> dict[str, Any]:
        """GET teachers/{trn}, inactive ITT rows included. DQT ignores the birth date since
        2022; Register still sent it and so do we."""
        params = {"includeInactive": "true"}
        if birth_date:
            params = {"birthdate": _iso(birth_date), **params}
        return self._call("GET", f"/v2/teachers/{_segment(trn)}", "teachers", params=params)

    def find_teachers(
        self,
        *,
        first_name: str,
        last_name: str,
        date_of_birth: date | str,
        email: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET teachers/find → the ``results`` list (DQT needs three matching data items)."""
        params = {
            "dateOfBirth": _iso(date_of_birth),
            "emailAddress": email or "",
            "firstName": first_name,
            "lastName": last_name,
        }
        return self._call("GET", "/v2/teachers/find", "teachers/find", params=params).get(
            "results", []
        )

    # --- transport --------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        proxies, verify = _environment_for(self.base_url)
        data = None if json_body is None else json.dumps(json_body, separators=(",", ":"))
        try:
            with released_while_waiting():
                rate_limit.wait_for_turn(max_wait=self.max_rate_wait)
                started = time.perf_counter()
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=self.headers,
                    timeout=self.timeout,
                    proxies=proxies,
                    verify=verify,
                )
        except requests.Timeout as error:
            dqt_answered(method=method, endpoint=endpoint, status="timeout", seconds=None)
            raise DqtTimeout(
                f"DQT did not answer {method} {path} within {self.timeout:g} seconds"
            ) from error
        except requests.ConnectionError as error:
            dqt_answered(method=method, endpoint=endpoint, status="connection_error", seconds=None)
            raise DqtConnectionError(f"Could not reach DQT at {self.base_url}: {error}") from error
        dqt_answered(
            method=method,
            endpoint=endpoint,
            status=str(response.status_code),
            seconds=time.perf_counter() - started,
        )
        if response.status_code not in SUCCESS[method]:
            refused = _http_error(response, method)
            if refused.status == 429:
                rate_limit.pause(refused.retry_after or DEFAULT_RETRY_AFTER_SECONDS)
            raise refused
        if not response.text:
            return {}
        try:
            parsed = response.json()
        except ValueError as error:
            raise _http_error(response, method) from error
        return parsed if isinstance(parsed, dict) else {"results": parsed}


def _http_error(response: requests.Response, method: str) -> DqtHttpError:
    return DqtHttpError(
        status=response.status_code,
        body=response.text,
        headers=response.headers,
        method=method,
        url=response.url,
    )


def _iso(value: date | str | None) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _segment(value: str) -> str:
    # Quoted so an id can never add path segments. A blank TRN still gives
    # `/v2/teachers/update/` (DQT answers 405, Register PR #2826): callers refuse it first.
    return quote(str(value), safe="")
