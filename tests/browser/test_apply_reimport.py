"""The playbook's "Incorrect provider_type on Publish", end to end in Chromium: the agent
filters the Apply applications, confirms once, and watches the run a real worker does
against the fake Apply until it ends."""

import time
from pathlib import Path

import pytest

from apply.demo import seed_apply_demo
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory
from tests.jobs.worker import celery_worker, flush_broker
from trainees.models import ApplyApplication, Trainee

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SHOTS = Path("/work/notes/shots/apply")


def _shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def apply_worker(apply_on, tmp_path):
    flush_broker()
    # As `make run` and production serve the apply queue: a thread-pool worker.
    with celery_worker(
        tmp_path / "worker.log", queues="apply", pool="threads", concurrency=8, name="io"
    ) as process:
        yield process
    flush_broker()


def test_the_agent_re_imports_2n2_2024_and_follows_the_run_to_its_end(
    page, login, live_server, apply_on, apply_worker, tmp_path
):
    state_file = tmp_path / "fake-apply.json"
    seed_apply_demo(fake_apply_state=state_file)
    apply_on.state.load(state_file)
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    login("agent")

    page.goto(
        f"{live_server.url}/admin/trainees/applyapplication/"
        "?accredited_body_code=2N2&recruitment_cycle_year=2024&state__exact=1"
    )
    assert page.locator("#result_list tbody tr").count() == 4
    page.check("#action-toggle")
    page.select_option("select[name=action]", "reimport_from_apply")
    page.click("button[name=index]")

    assert "This affects 4 Apply applications" in page.inner_text(".confirmation-count")
    changes = page.inner_text(".confirmation-changes")
    assert "Touch the 4 application choices in Apply" in changes
    assert "3001, 3002, 3003, 3004" in changes
    _shot(page, "reimport-confirm")
    page.fill("textarea[name=reason]", "Publish corrected 2N2 to SCITT, ticket 4242")
    page.click("input[type=submit].default")

    page.wait_for_selector("#run-status")
    deadline = time.monotonic() + 120
    while "Finished." not in page.inner_text("#run-status"):
        assert time.monotonic() < deadline, page.inner_text("#content-main")
        page.wait_for_timeout(1000)
        page.reload()
    _shot(page, "reimport-run-finished")

    counts = page.inner_text("#run-counts")
    assert "4\nre-imported" in counts
    assert "3\ntrainees created" in counts
    assert "1\nduplicates" in counts
    assert "0\nerrors" in counts
    duplicate = page.locator("#run-applications tr[data-apply-id='3004']")
    assert "duplicate" in duplicate.inner_text()

    page.click("#run-applications tr[data-apply-id='3001'] td:nth-child(5) a")
    page.wait_for_selector("#apply-application-link")
    trainee = Trainee.objects.get(application_choice_id=3001)
    assert trainee.record_source == Trainee.RecordSource.APPLY
    _shot(page, "trainee-from-apply")
    page.click("#apply-application-link")
    assert "Apply application 3001" in page.inner_text("#content")
    assert ApplyApplication.objects.get(apply_id=3001).state == ApplyApplication.State.IMPORTED

    page.goto(f"{live_server.url}/admin/trainees/applyapplication/duplicates/?year=2024")
    row = page.locator("#duplicate-applications tbody tr").first
    assert "Priya Patel" in row.inner_text()
    _shot(page, "duplicate-applications")


def test_a_dead_apply_import_explains_the_401_and_offers_a_retry(
    page, login, live_server, apply_on, monkeypatch
):
    from apply import jobs as apply_jobs
    from jobs import runner
    from regsupport.config import settings as app_settings

    monkeypatch.setenv("SETTINGS__RECRUITS_API__AUTH_TOKEN", "rotated-token")
    app_settings.reload()
    job = apply_jobs.import_applications.enqueue(recruitment_cycle_years=[2024])
    assert runner.run(job.pk) == "dead"
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    login("agent")

    page.goto(f"{live_server.url}/admin/jobs/deadjob/{job.pk}/change/")

    diagnosis = page.inner_text("#diagnosis")
    assert "Apply refused our API token (401)" in diagnosis
    assert "SETTINGS__RECRUITS_API__AUTH_TOKEN" in diagnosis
    assert page.locator("#diagnosis a.button:has-text('Retry')").count() == 1
    _shot(page, "dead-apply-import-401")

    page.goto(f"{live_server.url}/admin/apply/importrun/start/")
    assert page.locator("#id_year").input_value() == "2025"
    _shot(page, "start-imports")
