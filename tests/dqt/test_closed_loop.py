"""After each fix, Register and DQT agree, or the agent was told exactly what remains.

Each flow: the fix is clicked in the console (the test client, logged in as a support agent
or a developer), the jobs are run by a real Celery worker against the fake DQT, and then
Register's trainee and DQT's record are compared field by field (``dqt.comparison``).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from dqt import payloads
from dqt.comparison import compare_with_dqt, differences
from dqt.lookups import retrieve_teacher
from dqt.models import TrnRequest
from jobs.models import Job
from tests.factories import TraineeFactory, withdrawn_trainee
from tests.jobs.worker import wait_for
from trainees import services
from trainees.models import Trainee, latest_outcome_date

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Route = Trainee.TrainingRoute


def settled(trainee, task_name, state=Job.State.SUCCEEDED):
    """The trainee's latest job of that type, once the worker has left it in ``state``."""

    def latest():
        job = Job.objects.filter(trainee=trainee, task_name=task_name).order_by("-pk").first()
        return job if job is not None and job.state == state else None

    return wait_for(latest, what=f"{task_name} to be {state}", sweep=True)


def register_beside_dqt(trainee):
    """What still differs between Register and DQT: (field, Register, DQT) triples."""
    trainee = Trainee.objects.select_related("provider").get(pk=trainee.pk)
    rows = differences(compare_with_dqt(trainee, retrieve_teacher(trainee)))
    return [(row.field, row.register_value, row.dqt_value) for row in rows]


def confirm(client, url, **fields):
    return client.post(url, {"confirm": "yes", **fields}, follow=True).content.decode()


def test_fix_date_of_birth(dqt_on, worker, agent_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1990-03-04")
    dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    job = settled(trainee, dqt_jobs.UPDATE_TRAINEE, Job.State.DEAD)

    confirm(
        agent_client,
        f"/admin/dqt/jobs/{job.pk}/fix-date-of-birth/",
        date_of_birth="1990-03-04",
        reason="DQT holds the birth certificate date",
    )

    settled(trainee, dqt_jobs.UPDATE_TRAINEE)
    assert register_beside_dqt(trainee) == []


def test_award_on_register_only(dqt_on, worker, developer_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    # The DQT team awarded the teacher by hand, through a training row of its own.
    dqt_on.update_teacher_record(
        trainee.trn,
        qtsDate="2026-10-30",
        initialTeacherTraining=[
            {
                "providerUkprn": trainee.provider.ukprn,
                "programmeType": payloads.programme_type(trainee),
                "programmeStartDate": trainee.itt_start_date.isoformat(),
                "programmeEndDate": trainee.itt_end_date.isoformat(),
                "result": "Pass",
                "slugId": "awarded-by-the-dqt-team",
            }
        ],
    )
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Passed", actor=None
    )
    job = settled(trainee, dqt_jobs.RECOMMEND_FOR_AWARD, Job.State.DEAD)
    assert job.error_code == 10005

    done = confirm(
        developer_client, f"/admin/dqt/jobs/{job.pk}/award-on-register/", reason="DQT awarded"
    )

    assert "awarded on Register with DQT&#x27;s QTS date" in done
    assert register_beside_dqt(trainee) == []


def test_unwithdraw_to_trn_received(dqt_on, worker, agent_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    services.trainee_withdraw(trainee=trainee, reason="Left", actor=None)
    settled(trainee, dqt_jobs.WITHDRAW_TRAINEE)

    confirm(agent_client, f"/admin/trainees/trainee/{trainee.pk}/unwithdraw/", reason="In error")

    settled(trainee, dqt_jobs.UPDATE_TRAINEE)
    assert register_beside_dqt(trainee) == []


def test_unwithdraw_to_deferred_leaves_what_the_page_said(dqt_on, worker, agent_client):
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)
    dqt_on.add_teacher_for(trainee)
    dqt_jobs.withdraw_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    settled(trainee, dqt_jobs.WITHDRAW_TRAINEE)
    url = f"/admin/trainees/trainee/{trainee.pk}/unwithdraw/"

    warned = agent_client.get(url).content.decode()
    confirm(agent_client, url, reason="Withdrawn in error")

    assert "DQT refuses to take a withdrawn training straight back to deferred" in warned
    assert not Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).exists()
    assert register_beside_dqt(trainee) == [("Training result", "Deferred", "Withdrawn")]


def test_change_route_then_the_dates_then_send_update(dqt_on, worker, agent_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    start, end = trainee.itt_start_date, trainee.itt_end_date
    confirm(
        agent_client,
        f"/admin/trainees/trainee/{trainee.pk}/change-training-route/?route="
        f"{Route.SCHOOL_DIRECT_SALARIED.value}",
        reason="Wrong route",
    )
    trainee.refresh_from_db()
    trainee.course_subject_one = "physics"
    services.trainee_update(trainee=trainee, reason="Subject re-entered", actor=None)
    assert not Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).exists()
    assert register_beside_dqt(trainee)  # DQT still has the old route and dates

    trainee.itt_start_date, trainee.itt_end_date = start, end
    services.trainee_update(trainee=trainee, reason="Dates re-entered", actor=None)
    settled(trainee, dqt_jobs.UPDATE_TRAINEE)
    assert register_beside_dqt(trainee) == []

    page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()
    assert "Send update to DQT" in page
    confirm(agent_client, f"/admin/trainees/trainee/{trainee.pk}/send-update/", reason="Check")
    assert Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).count() == 2
    settled(trainee, dqt_jobs.UPDATE_TRAINEE)
    assert register_beside_dqt(trainee) == []


def test_early_years_route_change_refused_then_changed_back(dqt_on, worker, developer_client):
    trainee = TraineeFactory(with_trn=True, training_route=Route.EARLY_YEARS_POSTGRAD)
    dqt_on.add_teacher_for(trainee)
    start, end = trainee.itt_start_date, trainee.itt_end_date
    route_url = f"/admin/trainees/trainee/{trainee.pk}/change-training-route/"

    def reenter_dates():
        trainee.refresh_from_db()
        trainee.itt_start_date, trainee.itt_end_date = start, end
        services.trainee_update(trainee=trainee, reason="Dates re-entered", actor=None)

    warned = developer_client.get(route_url, {"route": Route.PROVIDER_LED_POSTGRAD.value})
    assert "DQT will refuse this route" in warned.content.decode()
    confirm(developer_client, f"{route_url}?route={Route.PROVIDER_LED_POSTGRAD.value}", reason="x")
    reenter_dates()
    dead = settled(trainee, dqt_jobs.UPDATE_TRAINEE, Job.State.DEAD)
    diagnosis = developer_client.get(f"/admin/jobs/job/{dead.pk}/change/").content.decode()
    assert "DQT cannot change the programme type" in diagnosis
    assert route_url in diagnosis

    confirm(
        developer_client,
        f"{route_url}?route={Route.EARLY_YEARS_POSTGRAD.value}",
        reason="The route was right",
    )
    reenter_dates()
    confirm(developer_client, f"/admin/jobs/job/{dead.pk}/retry/", reason="Route changed back")

    wait_for(
        lambda: not Job.objects.filter(trainee=trainee).exclude(state=Job.State.SUCCEEDED).exists(),
        what="the trainee's DQT jobs to succeed",
        sweep=True,
    )
    assert register_beside_dqt(trainee) == []


def test_poll_again_on_a_request_dqt_never_had_then_re_register(dqt_on, worker, developer_client):
    trainee = TraineeFactory(submitted=True)
    # Register thinks it registered the trainee; DQT never received the request.
    TrnRequest.objects.create(trainee=trainee, state=TrnRequest.State.REQUESTED)
    services.trainee_defer(trainee=trainee, reason="Deferred", actor=None)
    update = settled(trainee, dqt_jobs.UPDATE_TRAINEE, Job.State.DEAD)
    until = (timezone.localdate() + timedelta(days=3)).isoformat()

    confirm(developer_client, f"/admin/dqt/jobs/{update.pk}/poll-again/", until=until, reason="x")
    poll = settled(trainee, dqt_jobs.RETRIEVE_TRN, Job.State.DEAD)
    diagnosis = developer_client.get(f"/admin/jobs/job/{poll.pk}/change/").content.decode()
    assert "DQT does not know the TRN request (404)" in diagnosis

    confirm(developer_client, f"/admin/dqt/jobs/{poll.pk}/reregister/", until=until, reason="y")

    settled(trainee, dqt_jobs.UPDATE_TRAINEE)
    trainee.refresh_from_db()
    assert trainee.trn and trainee.state == Trainee.State.DEFERRED
    assert register_beside_dqt(trainee) == []
