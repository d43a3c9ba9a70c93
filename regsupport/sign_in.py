"""How staff sign in to the console, chosen by ``features.sign_in_method`` on every request
(so switching the flag switches the login page at once):

- ``password``: Django's admin login, throttled by django-axes (``regsupport.login``);
- ``otp``: a one-time code sent by email, django-otp's ``EmailDevice``: a code lasts
  ``OTP_EMAIL_TOKEN_VALIDITY`` seconds and works once; each wrong code doubles the wait
  before the next try (django-otp's throttling) and counts as a failed login for
  django-axes, which locks the username (and the address) after ``AXES_FAILURE_LIMIT``;
- ``persona``: pick a staff user, no secret: development and tests only (refused at
  start-up in production, see ``regsupport.flags``).
"""

from __future__ import annotations

import logging
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model, login, user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.plugins.otp_email.models import EmailDevice

from .config import settings as app_settings
from .flags import SIGN_IN_METHODS, refuse_value
from .ids import parse_id
from .login import lockout_response

logger = logging.getLogger(__name__)

# Signing in without a password still goes through Django's login(), which needs to know
# the backend that "authenticated" the user.
BACKEND = "django.contrib.auth.backends.ModelBackend"
DEVICE_NAME = "sign-in code by email"
SESSION_USERNAME = "sign_in_username"


def current_method() -> str:
    """The sign-in method in force; ``password`` when the flag holds something this
    environment must not use (logged: start-up refuses it, the console too)."""
    method = app_settings.get("features.sign_in_method", "password")
    if method not in SIGN_IN_METHODS or refuse_value(
        "features.sign_in_method", method, environment=app_settings.environment
    ):
        logger.error("features.sign_in_method=%r is not allowed here; using password", method)
        return "password"
    return method


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("admin:index")


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": "Log in",
        "next": _next_url(request),
        "sign_in_method": current_method(),
        **extra,
    }


def _staff_user(username: str) -> Any:
    return (
        get_user_model()
        .objects.filter(username__iexact=username, is_active=True, is_staff=True)
        .exclude(email="")
        .first()
    )


# --- otp ---------------------------------------------------------------------------------


class UsernameForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label="Code from the email",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def otp_request_code(request: HttpRequest) -> HttpResponse:
    """Step 1: a username; its account's email address gets a code."""
    form = UsernameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        credentials = {"username": username}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request)
        request.session[SESSION_USERNAME] = username
        user = _staff_user(username)
        if user is not None:
            device, _ = EmailDevice.objects.get_or_create(
                user=user, name=DEVICE_NAME, defaults={"confirmed": True}
            )
            allowed, data = device.generate_is_allowed()
            if allowed:
                device.generate_challenge(
                    {"validity_minutes": round(settings.OTP_EMAIL_TOKEN_VALIDITY / 60)}
                )
            else:
                wait = (data["next_generation_at"] - timezone.now()).total_seconds()
                request.session["sign_in_notice"] = (
                    "A code was sent less than a minute ago: use that one, or ask again in "
                    f"{max(1, round(wait))} seconds."
                )
        # The same answer whether or not the username is an account, so this page does not
        # tell an outsider which usernames exist.
        query = urlencode({"next": _next_url(request)})
        return HttpResponseRedirect(f"{reverse('admin:login-code')}?{query}")
    return render(request, "admin/sign_in_otp_request.html", _context(request, form=form))


def otp_enter_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the email. Expired, used and wrong codes each say so."""
    username = request.session.get(SESSION_USERNAME)
    if not username or current_method() != "otp":
        return HttpResponseRedirect(reverse("admin:login"))
    credentials = {"username": username}
    form = CodeForm(request.POST or None)
    notice = request.session.pop("sign_in_notice", None)
    error = None
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request)
        user = _staff_user(username)
        device = user and EmailDevice.objects.filter(user=user, name=DEVICE_NAME).first()
        refusal = _code_refusal(device)
        if refusal is None and device is not None:
            if device.verify_token(form.cleaned_data["code"].strip()):
                del request.session[SESSION_USERNAME]
                login(request, device.user, backend=BACKEND)
                return HttpResponseRedirect(_next_url(request))
            refusal = "That code is not right."
        if refusal != THROTTLED:
            # Any code that did not sign in is a failed login (django-axes counts them); a
            # throttled try was not checked, so it is not counted.
            tries_left = _count_failure(request, credentials)
            if tries_left == 0:
                return lockout_response(request)
            refusal = f"{refusal} {_tries_left_message(tries_left)}"
        error = refusal if refusal != THROTTLED else _throttled_message(device)
    context = _context(request, form=form, username=username, notice=notice, error=error)
    return render(request, "admin/sign_in_otp_code.html", context, status=400 if error else 200)


# A sentinel: the device refuses to check a code yet (django-otp's throttling).
THROTTLED = "throttled"


def _code_refusal(device: EmailDevice | None) -> str | None:
    """Why the code cannot sign in without checking it (expired, used, throttled, no code
    sent), or None to check it."""
    if device is None:
        return "That code is not right."
    if device.token is None:
        return "That code has already been used, or no code was asked for. Ask for a new code."
    if device.valid_until is not None and device.valid_until <= timezone.now():
        return (
            "That code has expired: a code works for "
            f"{_minutes(settings.OTP_EMAIL_TOKEN_VALIDITY)}. Ask for a new code."
        )
    allowed, _ = device.verify_is_allowed()
    return None if allowed else THROTTLED


def _throttled_message(device: Any) -> str:
    _, data = device.verify_is_allowed()
    locked_until = (data or {}).get("locked_until")
    wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
    return (
        f"Too many wrong codes in a row: wait {max(1, round(wait))} seconds before trying "
        "again (the wait doubles with each wrong code)."
    )


def _count_failure(request: HttpRequest, credentials: dict[str, str]) -> int:
    """Record a failed login with django-axes; give the tries left before the lock (0: this
    one locked the username or the address)."""
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if not AxesProxyHandler.is_allowed(request, credentials):
        return 0
    return max(0, settings.AXES_FAILURE_LIMIT - AxesProxyHandler.get_failures(request, credentials))


def _tries_left_message(left: int) -> str:
    return (
        f"{left} more wrong code{'s' if left != 1 else ''} and signing in is locked for "
        f"{_minutes(settings.AXES_COOLOFF_TIME.total_seconds())}."
    )


# --- persona -----------------------------------------------------------------------------


def persona_sign_in(request: HttpRequest) -> HttpResponse:
    """Pick a staff user and be signed in as them (development and tests only)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    if request.method == "POST":
        pk = parse_id(request.POST.get("user", ""))
        user = users.filter(pk=pk).first() if pk is not None else None
        if user is not None:
            login(request, user, backend=BACKEND)
            return HttpResponseRedirect(_next_url(request))
    context = _context(request, personas=users.prefetch_related("groups"))
    return render(request, "admin/sign_in_persona.html", context)
