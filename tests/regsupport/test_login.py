"""Logins are throttled per username and per address (django-axes), the lockout says so
on the login page, developers can unlock, and a staff session lasts a working day."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.utils import timezone

from regsupport.login import client_address
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "pass-word-123"  # tests/factories.py
LOCKED = "Logging in is locked: too many failed attempts for this username or from this address"


@pytest.fixture
def agent():
    return StaffUserFactory(username="ann", role=SUPPORT_AGENT)


def _login(client, username, password, address="192.0.2.10"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_a_right_password_logs_in(client, agent):
    assert _logged_in(_login(client, "ann", PASSWORD))


def test_five_wrong_passwords_lock_the_username_with_a_clear_message(client, agent):
    for _ in range(4):
        response = _login(client, "ann", "wrong")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    response = _login(client, "ann", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "Try again in 15 minutes" in page
    assert 'id="login-form"' in page
    # Locked even with the right password, and from another address.
    response = _login(client, "ann", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429
    assert not _logged_in(response)


def test_five_failures_from_one_address_lock_that_address_for_every_username(client, agent):
    for name in ("bob", "carol", "dave", "erin", "frank"):
        _login(client, name, "guess", address="203.0.113.5")
    assert _login(client, "ann", PASSWORD, address="203.0.113.5").status_code == 429
    assert _logged_in(_login(client, "ann", PASSWORD, address="192.0.2.99"))


def test_the_lock_lifts_after_the_cool_off(client, agent):
    for _ in range(5):
        _login(client, "ann", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _logged_in(_login(client, "ann", PASSWORD))


def test_developers_see_lockouts_and_unlock_them_support_agents_do_not(
    client, agent, developer_client
):
    for _ in range(5):
        _login(client, "ann", "wrong")
    attempts = developer_client.get("/admin/axes/accessattempt/")
    assert attempts.status_code == 200
    assert "ann" in attempts.content.decode()
    attempt = AccessAttempt.objects.get(username="ann")
    response = developer_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _logged_in(_login(client, "ann", PASSWORD))
    client.logout()
    client.force_login(agent)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_a_staff_session_lasts_a_working_day_and_ends_with_the_browser(client, agent):
    before = timezone.now()
    response = _login(client, "ann", PASSWORD)
    assert _logged_in(response)
    session = Session.objects.get()
    assert before + timedelta(hours=8) <= session.expire_date <= timezone.now() + timedelta(hours=8)
    cookie = response.cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.5", "10.0.0.2"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_address_is_the_one_the_nearest_trusted_proxy_saw(
    settings, proxies, forwarded, address
):
    """Entries left of the trusted proxies' own were written by the client: never trusted."""
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == address
