"""Request checks every page gets before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from .config import settings as app_settings


class RejectNulCharacters:
    """A request whose parameters hold a NUL character is refused (400) at the door.
    PostgreSQL stores no NUL in text, so any filter, search or form value with one fails in
    the database, where it would be a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        parameters = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            parameters.append(request.POST)
        for query in parameters:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(
                        "A parameter of this request contains a NUL character.",
                        content_type="text/plain",
                    )
        return self.get_response(request)


class MaintenanceMode:
    """``features.maintenance_mode``: everyone but signed-in staff gets the maintenance page
    (503). The console keeps working for staff, with a banner (``maintenance_banner``); its
    login pages stay open so staff can sign in, and health checks answer as usual."""

    OPEN_PATHS = ("/admin/login/", "/static/", "/readyz", "/healthz", "/metrics")
    RETRY_AFTER_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not app_settings.get("features.maintenance_mode", False):
            return self.get_response(request)
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated and user.is_staff
        anonymous_in_console = request.path.startswith("/admin/") and (
            user is None or not user.is_authenticated
        )
        if staff or anonymous_in_console or request.path.startswith(self.OPEN_PATHS):
            # Anonymous console requests go on to the login page as usual.
            return self.get_response(request)
        response = render(request, "maintenance.html", status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


def maintenance_banner(request: HttpRequest) -> dict[str, bool]:
    """Template context: whether the console shows the maintenance-mode banner."""
    return {"maintenance_mode": bool(app_settings.get("features.maintenance_mode", False))}
