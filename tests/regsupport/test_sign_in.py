"""features.sign_in_method decides the console's login page, at once: a password, a one-time
code by email (expiry, single use, throttling, lockout, each with a clear message), or
picking a persona (development and tests only, refused at start-up in production)."""

import re
import secrets
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice

from regsupport.config import settings as app_settings
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory

from .test_production_settings import _run

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
CODE = "/admin/login/code/"
LOCKED = "Logging in is locked: too many failed attempts for this username or from this address"


@pytest.fixture
def ann(developer):
    return StaffUserFactory(username="ann", email="ann@example.org", role=SUPPORT_AGENT)


@pytest.fixture
def otp(developer):
    app_settings.set("features.sign_in_method", "otp", actor=developer, reason="test")


@pytest.fixture
def no_throttle(settings):
    # django-otp's doubling wait would refuse the quick tries before the lockout counts them.
    settings.OTP_EMAIL_THROTTLE_FACTOR = 0


def _ask_code(client, username="ann"):
    response = client.post(LOGIN, {"username": username, "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"].startswith(CODE)
    return response


def _code_from_email() -> str:
    match = re.search(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def _enter(client, code):
    return client.post(CODE, {"code": code, "next": "/admin/"})


def _signed_in_as(client) -> str | None:
    response = client.get("/admin/")
    return response.context["user"].username if response.status_code == 200 else None


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_password_is_djangos_login_page(client, ann):
    page = client.get(LOGIN).content.decode()
    assert 'name="password"' in page
    response = client.post(LOGIN, {"username": "ann", "password": "pass-word-123"})
    assert response.status_code == 302
    assert _signed_in_as(client) == "ann"


def test_switching_the_flag_switches_the_login_page_at_once(client, ann, developer):
    assert 'name="password"' in client.get(LOGIN).content.decode()
    app_settings.set("features.sign_in_method", "otp", actor=developer, reason="test")
    page = client.get(LOGIN).content.decode()
    assert 'name="password"' not in page
    assert "Email me a code" in page
    app_settings.set("features.sign_in_method", "persona", actor=developer, reason="test")
    assert "Persona sign-in" in client.get(LOGIN).content.decode()


def test_a_code_by_email_signs_in_once(client, ann, otp):
    _ask_code(client)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ann@example.org"]
    assert email.subject == "Your regsupport sign-in code"
    code = _code_from_email()
    assert "works once, within 10 minutes" in email.body

    response = _enter(client, code)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert _signed_in_as(client) == "ann"


def test_a_used_code_does_not_sign_in_again(client, ann, otp):
    from django.test import Client

    other = Client()  # someone else who saw the email, on another browser
    _ask_code(client)
    _ask_code(other)  # within the cool-down: no second code
    assert len(mail.outbox) == 1
    code = _code_from_email()
    assert _enter(client, code).status_code == 302

    response = _enter(other, code)
    assert response.status_code == 400
    assert "That code has already been used" in response.content.decode()
    assert _signed_in_as(other) is None


def test_after_signing_out_the_old_code_is_refused_and_a_new_one_works(
    client, ann, otp, no_throttle
):
    _ask_code(client)
    old = _code_from_email()
    _enter(client, old)
    client.logout()

    _ask_code(client)
    assert len(mail.outbox) == 2
    new = _code_from_email()
    if new != old:  # one in a million, the new code is the old one
        assert _enter(client, old).status_code == 400
    assert _enter(client, new).status_code == 302
    assert _signed_in_as(client) == "ann"


def test_asking_again_within_the_cool_down_says_to_use_the_code_sent(client, ann, otp):
    _ask_code(client)
    _ask_code(client)
    assert len(mail.outbox) == 1
    page = client.get(CODE).content.decode()
    assert "A code was sent less than a minute ago: use that one" in page


def test_an_expired_code_is_refused_with_a_clear_message(client, ann, otp):
    _ask_code(client)
    code = _code_from_email()
    EmailDevice.objects.update(valid_until=timezone.now() - timedelta(seconds=1))
    response = _enter(client, code)
    assert response.status_code == 400
    assert "That code has expired: a code works for 10 minutes. Ask for a new code." in (
        response.content.decode()
    )
    assert _signed_in_as(client) is None


def test_a_wrong_code_says_how_many_tries_are_left(client, ann, otp, no_throttle):
    _ask_code(client)
    response = _enter(client, _wrong(_code_from_email()))
    assert response.status_code == 400
    assert (
        "That code is not right. 4 more wrong codes and signing in is locked for 15 minutes."
        in (response.content.decode())
    )


def test_wrong_codes_are_throttled_and_a_throttled_try_is_not_checked(client, ann, otp):
    _ask_code(client)
    code = _code_from_email()
    _enter(client, _wrong(code))
    response = _enter(client, code)  # the right code, but too soon after a wrong one
    assert response.status_code == 400
    assert "Too many wrong codes in a row: wait" in response.content.decode()
    assert _signed_in_as(client) is None
    assert AccessAttempt.objects.get(username="ann").failures_since_start == 1


def test_five_wrong_codes_lock_the_username_even_for_the_right_code(client, ann, otp, no_throttle):
    _ask_code(client)
    code = _code_from_email()
    for _ in range(4):
        assert _enter(client, _wrong(code)).status_code == 400
    response = _enter(client, _wrong(code))
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "Email me a code" in page  # the lockout page of this sign-in method

    response = _enter(client, code)
    assert response.status_code == 429
    assert _signed_in_as(client) is None
    # Asking for a new code is refused too, and sends nothing.
    assert client.post(LOGIN, {"username": "ann"}).status_code == 429
    assert len(mail.outbox) == 1


def test_an_unknown_username_gets_the_same_answer_and_no_email(client, ann, otp, no_throttle):
    _ask_code(client, username="nobody")
    page = client.get(CODE).content.decode()
    assert "If <strong>nobody</strong> is a console account, a code is on its way" in page
    assert mail.outbox == []
    response = _enter(client, "123456")
    assert "That code is not right." in response.content.decode()


def test_the_code_page_without_asking_for_a_code_goes_back_to_the_login(client, ann, otp):
    response = client.get(CODE)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_persona_lists_staff_users_and_signs_in_as_the_one_picked(client, ann, developer):
    app_settings.set("features.sign_in_method", "persona", actor=developer, reason="demo")
    page = client.get(LOGIN).content.decode()
    assert "ann" in page and "Support agent" in page
    response = client.post(LOGIN, {"user": ann.pk, "next": "/admin/"})
    assert response.status_code == 302
    assert _signed_in_as(client) == "ann"


def test_a_production_process_with_persona_sign_in_refuses_to_start():
    result = _run(
        ["manage.py", "check"],
        SECRET_KEY=secrets.token_urlsafe(50),
        SETTINGS__FEATURES__SIGN_IN_METHOD="persona",
    )
    assert result.returncode != 0
    assert "features.sign_in_method cannot be 'persona' in production" in result.stderr
    assert "environment variable SETTINGS__FEATURES__SIGN_IN_METHOD" in result.stderr
