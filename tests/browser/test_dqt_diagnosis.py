from datetime import date

import pytest

from dqt import jobs as dqt_jobs
from jobs import runner
from jobs.models import Job
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_agent_fixes_a_date_of_birth_mismatch_from_the_diagnosis(
    page, login, live_server, dqt_on
):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(
        with_trn=True, first_names="Mary", last_name="Somerville", date_of_birth=date(1990, 12, 26)
    )
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1990-12-25")
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert runner.run(job.pk) == "dead"

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/deadjob/")
    page.click("#result_list >> text=DQT Update Trainee")
    diagnosis = page.inner_text("#diagnosis")
    assert "DQT cannot find the teacher (404, 10001)" in diagnosis
    assert "26 December 1990" in diagnosis and "25 December 1990" in diagnosis

    page.click("text=Fix date of birth and retry")
    assert page.input_value("input[name=date_of_birth]") == "1990-12-25"
    page.fill("textarea[name=reason]", "DQT holds the birth certificate date")
    page.click("input[type=submit].default")

    assert "Date of birth updated; the job will run again." in page.inner_text(".messagelist")
    trainee.refresh_from_db()
    assert trainee.date_of_birth == date(1990, 12, 25)
    assert Job.objects.get(pk=job.pk).state in (Job.State.ENQUEUED, Job.State.SUCCEEDED)
