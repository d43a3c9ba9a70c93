import csv
import io

import pytest

from jobs.models import Job
from regsupport.roles import SUPPORT_AGENT
from tests.factories import JobFactory, StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_agent_downloads_the_filtered_dead_jobs_and_retries_one(page, login, live_server):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    no_qts = TraineeFactory(with_trn=True, first_names="Ada", last_name="Lovelace")
    job = JobFactory(
        dead=True,
        trainee=no_qts,
        error_status=400,
        error_code=10006,
        error_title="Teacher has no QTS record",
        error_message='status: 400, body: {"title":"Teacher has no QTS record","errorCode":10006}',
    )
    JobFactory(dead=True, trainee=TraineeFactory(first_names="Alan", last_name="Turing"))

    login("agent")
    page.click("text=Dead jobs")
    page.click("#dead-job-types >> text=View")
    page.click("#changelist-filter >> a:text-is('400')")
    assert "Lovelace" in page.inner_text("#result_list")
    assert "Turing" not in page.inner_text("#result_list")

    with page.expect_download() as download_info:
        page.click("text=Download this list (.csv)")
    download = download_info.value
    assert download.suggested_filename.startswith("dead-jobs_test-ordered_20")
    rows = list(csv.DictReader(io.StringIO(open(download.path()).read())))
    assert [r["full_name"] for r in rows] == ["Ada Lovelace"]
    assert rows[0]["error_message"] == job.error_message
    assert rows[0]["error_code"] == "10006"

    page.click("#result_list >> text=Test Ordered")
    page.click("text=Retry")
    page.fill("textarea[name=reason]", "Withdrawal reverted on DQT; retrying")
    page.click('input[type=submit][value="Yes, I\'m sure"]')
    assert f"Job {job.pk} will be retried imminently." in page.inner_text(".messagelist")
    job.refresh_from_db()
    assert job.state == Job.State.ENQUEUED
    assert job.history.latest().history_change_reason == "Withdrawal reverted on DQT; retrying"
