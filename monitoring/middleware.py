"""The monitoring endpoints, answered before anything else, and one log line per console
action."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from regsupport.ids import parse_id

from . import logs, views

logger = logging.getLogger("regsupport.console")

# A load balancer or monitor asks by address, over plain HTTP, without a session: these
# are answered before the host check (ALLOWED_HOSTS), the HTTPS redirect and the session.
ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}
# A request id a proxy sends is kept if it looks like one; anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The admin's URL names for a change to one job or one trainee: <app>_<model>_<view>.
_JOB_MODELS = ("jobs_job_", "jobs_deadjob_")
_TRAINEE_MODELS = ("trainees_trainee_",)
_SELECTED_LOGGED = 100


class MonitoringEndpoints:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if endpoint is not None:
            return endpoint(request)
        return self.get_response(request)


class RequestLog:
    """Gives every request an id (``X-Request-ID``, kept from the proxy or made here, and
    sent back), puts it and the user on every log line written meanwhile, and logs each
    console action (any request that is not a GET or HEAD) when it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request_token = logs.request_id.set(request_id)
        user_token = logs.user.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                try:
                    self._log_action(request, response, time.perf_counter() - started)
                except Exception:  # noqa: BLE001 - the action is done; its log line is not worth a 500
                    logger.exception("Console action not logged: %s", request.path)
            response["X-Request-ID"] = request_id
            return response
        finally:
            logs.user.reset(user_token)
            logs.request_id.reset(request_token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # After authentication, before the view: the view's own log lines name the user.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            logs.user.set(user.get_username())

    def _log_action(self, request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        match = request.resolver_match
        view = match.url_name if match else None
        fields: dict = {
            "method": request.method,
            "path": request.path,
            "view": view,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        }
        if action := request.POST.get("action"):
            fields["action"] = action
        if match and view:
            object_id = match.kwargs.get("object_id") or match.kwargs.get("pk")
            selected = request.POST.getlist("_selected_action")[:_SELECTED_LOGGED]
            for prefixes, name in ((_JOB_MODELS, "job_id"), (_TRAINEE_MODELS, "trainee_id")):
                if view.startswith(prefixes):
                    if object_id is not None:
                        fields[name] = _number(object_id)
                    if selected:
                        fields[f"{name}s"] = [_number(value) for value in selected]
            if request.POST.get("select_across") == "1":
                fields["select_across"] = True
        logs.log_event(logger, "console.action", **fields)


def _number(value: object) -> int | str:
    """An id as a number if it is one, else as given (a log line names what was asked)."""
    text = str(value)
    number = parse_id(text)
    return text if number is None else number
