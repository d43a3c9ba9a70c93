"""In Chromium: a stale trainee form is refused with who changed what; a developer resyncs
the trainees a list filter shows and lands on the run's progress page."""

import os
from pathlib import Path

import pytest

from regsupport.roles import DEVELOPER
from tests.factories import ProviderFactory, StaffUserFactory, TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db(transaction=True)


def _shot(page, name: str) -> None:
    # SHOTS_DIR: where a developer wants the pages as pictures, to look at them.
    if folder := os.environ.get("SHOTS_DIR"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_stale_trainee_form_names_who_changed_what(page, login, live_server):
    StaffUserFactory(username="ada", is_superuser=True)
    trainee = TraineeFactory(with_trn=True, first_names="Grace")
    login("ada")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")

    other = Trainee.objects.get(pk=trainee.pk)
    other.first_names = "Gracie"
    other.save_with_reason("Preferred name, ticket 31")
    page.fill("#id_email", "grace@example.com")
    page.fill("#id_change_reason", "New email from the provider")
    page.click("input[name=_save]")

    error = page.locator(".errornote, .errorlist").first
    error.wait_for()
    text = page.locator("#content-main").inner_text()
    assert "was changed by someone else after you opened it" in text
    assert "First names: Grace → Gracie" in text
    assert "reason: Preferred name, ticket 31" in text
    _shot(page, "stale-trainee-form")
    trainee.refresh_from_db()
    assert trainee.email != "grace@example.com"


def test_a_trn_dqt_would_refuse_is_refused_on_the_form(page, login, live_server):
    StaffUserFactory(username="ada", is_superuser=True)
    trainee = TraineeFactory(with_trn=True)
    login("ada")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")

    page.fill("#id_trn", "12345")
    page.fill("#id_course_max_age", "25")
    page.fill("#id_change_reason", "Typo")
    page.click("input[name=_save]")

    page.locator(".errornote").wait_for()
    text = page.locator("#content-main").inner_text()
    assert "A TRN is 7 digits" in text
    assert "Age must be 0-19 inclusive." in text
    _shot(page, "trainee-form-dqt-rules")


def test_a_developer_resyncs_a_filtered_list_and_sees_its_progress(
    page, login, live_server, dqt_on
):
    StaffUserFactory(username="dev", role=DEVELOPER)
    provider = ProviderFactory(name="Fenwick SCITT")
    for _ in range(3):
        TraineeFactory(with_trn=True, provider=provider)
    TraineeFactory(provider=provider)  # a draft: left out
    login("dev")
    page.goto(f"{live_server.url}/admin/trainees/trainee/?provider__id__exact={provider.pk}")

    page.check("#action-toggle")
    page.select_option("select[name=action]", "resync_with_dqt")
    page.click("button[name=index]")
    page.wait_for_selector("text=Resync 4 trainee(s) with DQT")
    assert "3 DQT update(s) queued" in page.locator("#content-main").inner_text()
    _shot(page, "resync-confirmation")
    page.fill("textarea[name=reason]", "DQT restored from a backup")
    page.click("text=Queue the updates")

    page.wait_for_selector("text=DQT restored from a backup")
    text = page.locator("#content-main").inner_text()
    assert "1 not TRN received or deferred" in text
    assert page.locator("progress").get_attribute("max") == "3"
    _shot(page, "resync-progress")
