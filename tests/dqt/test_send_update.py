"""*Send update to DQT* on the trainee's page: offered once DQT would take the update."""

import pytest

from dqt import jobs as dqt_jobs
from dqt.errors import DqtFixError
from dqt.services import dqt_send_update, dqt_send_update_plan
from jobs import runner
from jobs.models import Job
from tests.factories import JobFactory, TraineeFactory
from trainees import services
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

Route = Trainee.TrainingRoute


def page(client, trainee):
    return client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()


def changed_route(trainee):
    """The trainee after a route change (the ITT dates cleared), and the dates it had."""
    dates = trainee.itt_start_date, trainee.itt_end_date
    services.trainee_change_training_route(
        trainee=trainee, route=Route.SCHOOL_DIRECT_SALARIED, reason="Wrong route", actor=None
    )
    trainee.refresh_from_db()
    return dates


def test_the_button_shows_only_once_the_cleared_dates_are_re_entered(dqt_on, agent_client):
    trainee = TraineeFactory(with_trn=True)
    start, end = changed_route(trainee)
    assert "Send update to DQT" not in page(agent_client, trainee)

    trainee.itt_start_date, trainee.itt_end_date = start, end
    trainee.save_with_reason("Dates re-entered")

    assert "Send update to DQT" in page(agent_client, trainee)


def test_the_button_needs_the_integration_on(fake_dqt, agent_client):
    trainee = TraineeFactory(with_trn=True)
    assert "Send update to DQT" not in page(agent_client, trainee)


def test_sending_queues_an_update_with_the_reason_and_dqt_takes_the_new_route(
    dqt_on, agent_client, support_agent
):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    start, end = changed_route(trainee)
    trainee.itt_start_date, trainee.itt_end_date = start, end
    trainee.save_with_reason("Dates re-entered")
    url = f"/admin/trainees/trainee/{trainee.pk}/send-update/"

    confirm = agent_client.get(url).content.decode()
    agent_client.post(url, {"confirm": "yes", "reason": "Route corrected, ticket 77"})

    assert f"DQT is sent an update of TRN {trainee.trn}: SchoolDirectTrainingProgrammeSalaried" in (
        confirm
    )
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    history = job.history.first()
    assert (history.history_change_reason, history.history_user) == (
        "Route corrected, ticket 77",
        support_agent,
    )
    assert runner.run(job.pk) == "succeeded"
    row = dqt_on.teacher(trainee.trn)["initialTeacherTraining"][0]
    assert row["programmeType"] == "SchoolDirectTrainingProgrammeSalaried"


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"state": Trainee.State.RECOMMENDED_FOR_AWARD}, "only for TRN received and deferred"),
        ({"state": Trainee.State.DEFERRED, "trn": ""}, "has no TRN yet"),
        ({"itt_start_date": None}, "without the ITT start date"),
        ({"training_route": Route.TEACHER_DEGREE_APPRENTICESHIP}, "no programme type"),
    ],
)
def test_an_update_dqt_would_not_take_is_refused(dqt_on, support_agent, changes, refusal):
    trainee = TraineeFactory(with_trn=True, **changes)
    with pytest.raises(DqtFixError, match=refusal):
        dqt_send_update(trainee=trainee, reason="Try", actor=support_agent)
    assert not Job.objects.filter(trainee=trainee).exists()


def test_the_plan_says_a_dead_job_of_the_trainee_comes_first(dqt_on):
    trainee = TraineeFactory(with_trn=True)
    dead = JobFactory(dead=True, trainee=trainee, task_name=dqt_jobs.WITHDRAW_TRAINEE)
    notes = " ".join(dqt_send_update_plan(trainee=trainee).notes)
    assert f"Dead DQT job(s) {dead.pk} of this trainee come first" in notes
