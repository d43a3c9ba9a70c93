"""What an agent sees around the closed-loop fixes, in Chromium."""

from datetime import date

import pytest

from dqt import jobs as dqt_jobs
from dqt import payloads
from dqt.services import dqt_fix_date_of_birth_and_retry
from jobs import runner
from jobs.models import Job
from regsupport.dates import uk_date
from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory, withdrawn_trainee
from trainees import services
from trainees.models import Trainee, latest_outcome_date

pytestmark = pytest.mark.django_db(transaction=True)


def test_award_on_register_only_shows_both_dates_and_providers_first(
    page, login, live_server, dqt_on
):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(with_trn=True, first_names="Dorothy", last_name="Hodgkin")
    dqt_on.add_teacher_for(trainee)
    dqt_on.update_teacher_record(
        trainee.trn,
        qtsDate="2026-10-30",
        initialTeacherTraining=[
            {
                "providerUkprn": trainee.provider.ukprn,
                "programmeType": payloads.programme_type(trainee),
                "result": "Pass",
                "slugId": "awarded-by-the-dqt-team",
            }
        ],
    )
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Passed", actor=None
    )
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    assert runner.run(job.pk) == "dead"

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/deadjob/{job.pk}/change/")
    assert "DQT already holds the QTS award" in page.inner_text("#diagnosis")
    page.click("#diagnosis a.button:has-text('Award on Register only')")

    changes = page.locator(".confirmation-changes").inner_text()
    outcome = uk_date(latest_outcome_date())
    assert f"QTS date — DQT: 30 October 2026 · Register's outcome date: {outcome}" in changes
    assert f"Provider — DQT's training: UKPRN {trainee.provider.ukprn} (Pass)" in changes
    page.fill("textarea[name=reason]", "DQT awarded by hand, ticket 88")
    page.click("input[type=submit].default")

    assert "Dorothy Hodgkin awarded on Register" in page.inner_text(".messagelist")
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.AWARDED


def test_a_job_that_succeeded_after_its_fix_shows_no_diagnosis_or_fix(
    page, login, live_server, dqt_on
):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1990-12-25")
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert runner.run(job.pk) == "dead"
    dqt_fix_date_of_birth_and_retry(
        job=job, date_of_birth=date(1990, 12, 25), reason="DQT's date", actor=None
    )
    assert runner.run(job.pk) == "succeeded"

    login("agent")
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/change/")

    assert page.locator("#diagnosis").count() == 0
    assert page.locator("text=Fix date of birth and retry").count() == 0
    assert page.locator(".field-state_display .readonly").inner_text() == "Succeeded"


def test_unwithdrawing_to_deferred_warns_before_the_agent_confirms(
    page, login, live_server, dqt_on
):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")
    page.click(".object-tools >> text=Unwithdraw")

    warnings = page.locator("#content-main .messagelist").inner_text()
    assert "Result cannot be unwithdrawn to deferred" in warnings
    assert f"TRN {trainee.trn}" in warnings


def test_the_poll_again_page_starts_with_the_new_deadline_filled_in(
    page, login, live_server, dqt_on
):
    from datetime import timedelta

    from django.utils import timezone

    from dqt.services import default_new_deadline

    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Submitted", actor=None)
    runner.run(Job.objects.get(trainee=trainee, task_name=dqt_jobs.REGISTER_FOR_TRN).pk)
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)
    poll.arguments["timeout_after"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    poll.save()
    assert runner.run(poll.pk) == "dead"

    login("agent")
    page.goto(f"{live_server.url}/admin/dqt/jobs/{poll.pk}/poll-again/")
    assert page.input_value("input[name=until]") == default_new_deadline().isoformat()
    page.fill("textarea[name=reason]", "DQT is reviewing a possible duplicate")
    page.click("input[type=submit].default")

    assert "Polling DQT for the TRN until" in page.inner_text(".messagelist")
