import pytest

from dqt import jobs as dqt_jobs
from dqt.models import TrnRequest
from jobs import runner
from jobs.models import Job
from regsupport.roles import SUPPORT_AGENT
from tests.factories import JobFactory, StaffUserFactory, TraineeFactory, awarded_trainee
from trainees import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_checks_for_a_trn_from_pending_trns(page, login, live_server, dqt_on):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory(first_names="Ada", last_name="Lovelace")
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    register = Job.objects.get(trainee=trainee, task_name=dqt_jobs.REGISTER_FOR_TRN)
    assert runner.run(register.pk) == "succeeded"
    request = TrnRequest.objects.get(trainee=trainee)

    login("agent")
    page.click("text=Pending TRNs")
    row = page.locator(f"tr[data-trainee='{trainee.pk}']")
    assert "0 days waiting" in row.inner_text()
    row.locator("text=Request details").click()
    assert '"status": "Pending"' in row.locator("pre").inner_text()

    dqt_on.complete_trn_request(str(request.request_id))
    row.locator("text=Check for TRN").click()
    page.fill("textarea[name=reason]", "Provider chased, ticket 31")
    page.click("input[type=submit][value='Check for TRN']")

    assert "TRN successfully retrieved for Ada Lovelace" in page.inner_text(".messagelist")
    assert page.locator(f"tr[data-trainee='{trainee.pk}']").count() == 0
    trainee.refresh_from_db()
    assert len(trainee.trn) == 7


def test_an_agent_checks_a_pending_award_with_dqt(page, login, live_server, dqt_on):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = awarded_trainee(recommended_only=True, first_names="Ada", last_name="Lovelace")
    dqt_on.add_teacher_for(trainee, qtsDate="2026-07-01")
    job = JobFactory(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD, dead=True)

    login("agent")
    page.click("text=Pending awards")
    row = page.locator(f"tr[data-trainee='{trainee.pk}']")
    assert f"#{job.pk} Dead" in row.inner_text()
    row.locator("input[value=Check]").click()

    message = page.inner_text(".messagelist")
    assert "DQT holds the QTS award of Ada Lovelace, dated 2026-07-01" in message
    assert page.locator(f"tr[data-trainee='{trainee.pk}']").count() == 1
