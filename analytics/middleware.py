"""A ``web_request`` event for every console request. Its id is the one
``monitoring.middleware.RequestLog`` gives the request (``X-Request-ID``), which the entity
events made while serving it carry too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from . import events

logger = logging.getLogger(__name__)

CONSOLE_PREFIX = "/admin/"


class RecordConsoleRequests:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(CONSOLE_PREFIX):
            return self.get_response(request)
        token = events.current_user_id.set(_user_id(request))
        try:
            response = self.get_response(request)
        finally:
            events.current_user_id.reset(token)
        if events.enabled():
            self._record(request, response)
        return response

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        event = events.base_event("web_request")
        user_agent = request.headers.get("User-Agent", "")
        event.update(
            # After the view: a login's event names the user who just signed in.
            user_id=_user_id(request),
            request_method=request.method,
            request_path=request.path,
            request_query=[
                {"key": key, "value": values} for key, values in sorted(request.GET.lists())
            ],
            request_user_agent=user_agent,
            request_referer=request.headers.get("Referer", ""),
            anonymised_user_agent_and_ip=events.anonymised(
                user_agent, request.META.get("REMOTE_ADDR", "")
            ),
            response_content_type=response.get("Content-Type", ""),
            response_status=response.status_code,
        )
        try:
            events.record(event)
        except DatabaseError:
            # The request is served whatever happens to its analytics event.
            logger.exception("Analytics event for %s %s not recorded", request.method, request.path)


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None
