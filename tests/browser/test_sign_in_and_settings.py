"""In Chromium: a developer switches the sign-in method on the settings page; a support
agent then signs in with the code from the email (Django's in-memory mail outbox, the
live server runs in this process)."""

import re
from pathlib import Path

import pytest
from django.core import mail

from regsupport.roles import DEVELOPER, SUPPORT_AGENT
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/work/notes/shots/flags")


def _shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_developer_switches_to_codes_by_email_and_an_agent_signs_in_with_one(
    page, login, live_server
):
    StaffUserFactory(username="dev", role=DEVELOPER)
    StaffUserFactory(username="ann", email="ann@example.org", role=SUPPORT_AGENT)

    login("dev")
    page.goto(f"{live_server.url}/admin/settings/")
    page.click("tr[data-key='features.sign_in_method'] a.change-setting")
    page.select_option("#id_value", "otp")
    page.fill("#id_reason", "Passwords off while we rotate them")
    _shot(page, "setting-change")
    page.click("input[name=set]")
    row = page.locator("tr[data-key='features.sign_in_method']")
    assert "otp" in row.inner_text()
    assert "console" in row.inner_text()
    assert "Passwords off while we rotate them" in page.locator("#settings-changes").inner_text()
    _shot(page, "settings-after-change")
    page.context.clear_cookies()

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#id_password").count() == 0
    page.fill("#id_username", "ann")
    _shot(page, "otp-request")
    page.click("input[type=submit]")
    page.wait_for_selector("#id_code")
    code = re.search(r"\b(\d{6})\b", str(mail.outbox[-1].body)).group(1)
    page.fill("#id_code", f"{(int(code) + 1) % 1_000_000:06d}")
    page.click("input[type=submit]")
    assert "That code is not right" in page.locator("#sign-in-error").inner_text()
    _shot(page, "otp-wrong-code")
    page.wait_for_timeout(1100)  # django-otp's wait after one wrong code is 1 s
    page.fill("#id_code", code)
    page.click("input[type=submit]")
    page.wait_for_selector("#console-tools")
    assert "ann" in page.locator("#user-tools").inner_text().lower()
