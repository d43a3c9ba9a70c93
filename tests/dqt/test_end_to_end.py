"""The DQT jobs in a real Celery worker on real Redis, against the fake DQT over HTTP."""

import pytest

from dqt import jobs as dqt_jobs
from jobs.models import Job
from tests.factories import TraineeFactory
from tests.jobs.worker import wait_for
from trainees import services
from trainees.models import Trainee, latest_outcome_date

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _done(trainee, task_name):
    return Job.objects.filter(
        trainee=trainee, task_name=task_name, state=Job.State.SUCCEEDED
    ).first()


def test_register_poll_update_award_end_to_end(dqt_on, worker):
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)

    wait_for(lambda: _done(trainee, dqt_jobs.RETRIEVE_TRN), what="the TRN", sweep=True)
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED and len(trainee.trn) == 7

    trainee.course_subject_one = "physics"
    services.trainee_update(trainee=trainee, reason="Subject changed", actor=None)
    wait_for(lambda: _done(trainee, dqt_jobs.UPDATE_TRAINEE), what="the update", sweep=True)

    trainee.refresh_from_db()
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Passed", actor=None
    )
    wait_for(lambda: _done(trainee, dqt_jobs.RECOMMEND_FOR_AWARD), what="the award", sweep=True)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.AWARDED
    assert dqt_on.teacher(trainee.trn)["qtsDate"]
    assert not Job.objects.filter(trainee=trainee, state=Job.State.DEAD).exists()


def test_an_award_recommended_while_an_update_is_with_dqt_waits_for_it(dqt_on, worker):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    # DQT is slow to take the update: without ordering the award would overtake it, and the
    # update would then fail with "Teacher already has QTS/EYTS date".
    dqt_on.slow_down("/v2/teachers/update/", seconds=2, method="PATCH")

    trainee.course_subject_one = "chemistry"
    services.trainee_update(trainee=trainee, reason="Subject changed", actor=None)
    # The recommendation comes while DQT is taking the update (an update that has not
    # started by then sends nothing: Register updates no recommended trainee).
    wait_for(
        lambda: any(c["method"] == "PATCH" for c in dqt_on.calls), what="the update to reach DQT"
    )
    trainee.refresh_from_db()
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Passed", actor=None
    )

    award = wait_for(
        lambda: _done(trainee, dqt_jobs.RECOMMEND_FOR_AWARD), what="the award", sweep=True
    )
    update = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert update.state == Job.State.SUCCEEDED
    assert update.finished_at <= award.started_at
    methods = [
        c["method"] for c in dqt_on.calls if "/v2/teachers/" in c["path"] and c["method"] != "GET"
    ]
    assert methods == ["PATCH", "PUT"]
    assert not Job.objects.filter(error_fields__isnull=False, trainee=trainee).exists()
