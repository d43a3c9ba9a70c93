"""Staff logins, throttled by django-axes (settings ``AXES_*``): the address a login came
from, and the page a locked-out login gets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def client_address(request: HttpRequest) -> str:
    """The address a login came from. Behind ``TRUSTED_PROXY_COUNT`` proxies it is the
    X-Forwarded-For entry that many from the right: each proxy appends the address it saw,
    so entries further left were sent by the client and may be made up."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Logging in is locked: too many failed attempts for this username or from this "
        f"address ({settings.AXES_FAILURE_LIMIT} in a row). Try again in {minutes} minutes; "
        "each attempt meanwhile restarts the wait. A developer can unlock it sooner."
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The console's login page, for the sign-in method in force, with the lockout message
    above an empty form (status 429)."""
    from .sign_in import UsernameForm, current_method

    otp = current_method() == "otp"
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "app_path": reverse("admin:login"),
        "next": request.POST.get("next") or reverse("admin:index"),
        "form": UsernameForm() if otp else AdminAuthenticationForm(request),
        "lockout_message": lockout_message(),
    }
    template = "admin/sign_in_otp_request.html" if otp else "admin/login_locked.html"
    return render(request, template, context, status=429)
