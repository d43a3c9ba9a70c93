"""What a support agent sees on the console's pages: dates in words, history in labels and
names, date inputs that show their date. Screenshots go to $SHOTS_DIR when it is set."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dqt import services as dqt_services
from jobs.models import Job
from regsupport.dates import uk_date
from regsupport.roles import SUPPORT_AGENT
from tests.dqt.test_fixes import _timed_out_poll
from tests.factories import StaffUserFactory, TraineeFactory, awarded_trainee

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name):
    if directory := os.environ.get("SHOTS_DIR"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{directory}/{name}.png", full_page=True)


def test_the_poll_again_page_shows_its_date_in_the_date_input(page, login, live_server, dqt_on):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    _, poll = _timed_out_poll(dqt_on)

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/deadjob/{poll.pk}/change/")
    page.click("#diagnosis a.button:has-text('Poll again until')")
    shot(page, "poll-again")

    default = dqt_services.default_new_deadline()
    assert page.input_value("input[name=until]") == default.isoformat()
    later = timezone.localdate() + timedelta(days=9)
    page.fill("input[name=until]", later.isoformat())
    page.fill("textarea[name=reason]", "DQT is slow this week")
    page.click("input[type=submit].default")
    assert f"Polling DQT for the TRN until {uk_date(later)}." in page.inner_text(".messagelist")


def test_a_trainees_history_reads_in_labels_names_and_words(page, login, live_server):
    agent = StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = awarded_trainee(recommended_only=True, first_names="Ada", last_name="Lovelace")
    trainee.itt_start_date = trainee.itt_start_date.replace(day=8)
    trainee.hesa_id = ""  # was None: no change a person could see
    trainee.save_with_reason("Provider moved the start", actor=agent)

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/history/")
    shot(page, "trainee-history")
    history = page.inner_text("#change-history")

    assert "TRN received → Recommended for award" in history.replace("\xa0", " ")
    assert "ITT start date: 1 September 2026 → 8 September 2026" in history.replace("\xa0", " ")
    assert "None" not in history
    assert "system / shell" in history and "agent" in history
    assert "— → —" not in history.replace("\xa0", " ")
    assert history.count("ITT start date") == 1
    assert "Hesa" not in history and "HESA" not in history


def test_a_jobs_history_says_what_the_workers_did_apart_from_the_agent(page, login, live_server):
    agent = StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    from jobs.services import job_discard, job_retry
    from tests.factories import JobFactory

    job = JobFactory(dead=True, trainee=TraineeFactory(first_names="Ada", last_name="Byron"))
    job_retry(job=job, actor=agent, reason="DQT fixed it")
    Job.objects.filter(pk=job.pk).update(state="dead", attempts=4, error_status=500)
    job_discard(job=job, actor=agent, reason="Given up")

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/history/")
    shot(page, "job-history")
    rows = page.locator("#change-history tbody tr")
    newest, workers = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "agent" in newest and "Given up" in newest and "Attempts" not in newest
    assert "system / shell" in workers and "Attempts: 1 → 4" in workers.replace("\xa0", " ")


def test_retrying_the_filtered_jobs_confirms_them_as_a_list_then_shows_their_states(
    page, login, live_server
):
    from tests.factories import JobFactory

    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    fours = JobFactory.create_batch(3, dead=True)
    other = JobFactory(dead=True, error_status=500)

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/deadjob/?error_status=404")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "retry_selected")
    page.click("div.actions button[type=submit]")
    shot(page, "retry-confirmation")
    listed = page.locator("ul.confirmation-objects > li").all_inner_texts()
    assert sorted(listed) == sorted(str(job) for job in fours)
    page.fill("textarea[name=reason]", "DQT is back")
    page.click("input[type=submit].default")

    shot(page, "retry-results")
    assert "3 jobs will be retried imminently" in page.inner_text(".messagelist")
    ids = page.locator("#result_list tbody th.field-id").all_inner_texts()
    assert sorted(int(i) for i in ids) == sorted(job.pk for job in fours)
    assert str(other.pk) not in ids
    states = page.locator("#result_list tbody td.field-state").all_inner_texts()
    assert states == ["Enqueued"] * 3
    assert page.inner_text("#changelist-filter").count("These jobs") == 1
