from datetime import date

import pytest

from dqt import jobs as dqt_jobs
from jobs import runner
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_trainee_page_shows_dqt_jobs_and_what_dqt_holds(page, login, live_server, dqt_on):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(
        with_trn=True, first_names="Mary", last_name="Somerville", date_of_birth=date(1990, 12, 26)
    )
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1990-12-25")
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert runner.run(job.pk) == "dead"

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")

    row = page.locator("#dqt-jobs tr.dqt-job").first
    assert "DQT Update Trainee" in row.inner_text()
    assert "Dead" in row.inner_text()
    assert "404/10001" in row.locator(".dqt-job-error").inner_text()
    differs = page.locator("#dqt-card tr.differs")
    assert differs.count() == 1
    assert differs.inner_text().split("\t")[:3] == [
        "Date of birth",
        "26 December 1990",
        "25 December 1990",
    ]
    assert not page.locator("#dqt-card details.dqt-record table").first.is_visible()
    page.click("text=Everything DQT holds")
    assert page.locator("#dqt-card details.dqt-record table").first.is_visible()

    row.locator("a").click()
    assert "DQT cannot find the teacher (404, 10001)" in page.inner_text("#diagnosis")


def test_the_trainee_page_says_when_dqt_cannot_be_asked(page, login, live_server, dqt_on):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(with_trn=True, first_names="Mary", last_name="Somerville")
    dqt_on.fail_next("/v2/teachers/", status=503)

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")

    assert "DQT could not say: status: 503" in page.inner_text("#dqt-card")
    # The rest of the page is there as ever.
    assert page.input_value("input[name=last_name]") == "Somerville"
    assert "No DQT jobs for this trainee." in page.inner_text("#dqt-jobs")
