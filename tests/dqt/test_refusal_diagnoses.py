"""Every refusal our own fixes or data can cause, produced against the fake DQT, gets a
diagnosis with its next step; and only dead jobs offer fixes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from dqt import services
from dqt.models import TrnRequest
from jobs import runner
from jobs.models import Job
from tests.factories import TraineeFactory, withdrawn_trainee
from trainees import services as trainee_services
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

Route = Trainee.TrainingRoute


def run(job):
    outcome = runner.run(job.pk)
    job.refresh_from_db()
    return outcome


def page(client, job):
    return client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()


def dead_update(trainee):
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "dead"
    return job


def test_a_job_that_succeeded_after_a_fix_offers_no_diagnosis_and_no_fix(
    dqt_on, developer_client, superuser
):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1990-01-02")
    job = dead_update(trainee)
    assert "Fix date of birth" in page(developer_client, job)

    services.dqt_fix_date_of_birth_and_retry(
        job=job, date_of_birth=date(1990, 1, 2), reason="DQT's date", actor=superuser
    )
    assert run(job) == "succeeded"

    shown = page(developer_client, job)
    assert 'id="diagnosis"' not in shown
    assert "Fix date of birth" not in shown
    assert "404" in shown  # its past error is still on the page


def test_a_retrying_job_is_explained_without_buttons(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    dqt_on.fail_next("/v2/teachers/update/", status=500)
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "retrying"

    shown = page(developer_client, job)

    assert "DQT server error" in shown
    assert f"/admin/jobs/job/{job.pk}/retry/" not in shown


def test_no_qts_record_on_an_award_asks_dqt_for_the_registration(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, qtsRegistrations=[])
    trainee_services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=trainee.itt_start_date, reason="Passed", actor=None
    )
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    assert run(job) == "dead"
    assert job.error_code == 10006

    shown = page(developer_client, job)

    assert "not the QTS registration it needs to record the outcome" in shown
    assert "Please add (or restore) this teacher&#x27;s QTS registration" in shown
    assert "withdrawn on DQT and awarded on Register" not in shown


def test_no_qts_record_after_a_route_change_says_so(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, qtsRegistrations=[])
    start, end = trainee.itt_start_date, trainee.itt_end_date
    trainee_services.trainee_change_training_route(
        trainee=trainee, route=Route.SCHOOL_DIRECT_SALARIED, reason="Wrong route", actor=None
    )
    trainee.refresh_from_db()
    trainee.itt_start_date, trainee.itt_end_date = start, end
    trainee_services.trainee_update(trainee=trainee, reason="Dates re-entered", actor=None)
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert run(job) == "dead"
    assert job.error_fields == {"initialTeacherTraining.outcome": ["Teacher has no QTS record"]}

    assert "to move the training to another programme type (a route change)" in page(
        developer_client, job
    )


def test_an_update_of_a_deferred_trainee_dqt_has_withdrawn_is_explained(dqt_on, developer_client):
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)
    dqt_on.add_teacher_for(trainee)
    run(dqt_jobs.withdraw_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk))
    trainee_services.trainee_unwithdraw(trainee=trainee, reason="In error", actor=None)
    trainee.refresh_from_db()
    trainee.course_subject_one = "physics"
    trainee_services.trainee_update(trainee=trainee, reason="Subject", actor=None)
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert run(job) == "dead"

    shown = page(developer_client, job)

    assert "DQT will not take a withdrawn training to deferred" in shown
    assert "Please set the result of the training below to Deferred" in shown


def test_an_early_years_route_changed_to_another_offers_to_change_it_back(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True, training_route=Route.EARLY_YEARS_POSTGRAD)
    dqt_on.add_teacher_for(trainee)
    start, end = trainee.itt_start_date, trainee.itt_end_date
    trainee_services.trainee_change_training_route(
        trainee=trainee, route=Route.PROVIDER_LED_POSTGRAD, reason="Wrong route", actor=None
    )
    trainee.refresh_from_db()
    trainee.itt_start_date, trainee.itt_end_date = start, end
    trainee_services.trainee_update(trainee=trainee, reason="Dates re-entered", actor=None)
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert run(job) == "dead"

    shown = page(developer_client, job)

    assert "DQT cannot change the programme type" in shown
    assert f"/admin/trainees/trainee/{trainee.pk}/change-training-route/" in shown
    assert "EYITTGraduateEntry, InTraining" in shown  # DQT's training, beside Register's


def test_a_subject_dqt_does_not_know_is_named_with_its_code(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True, course_subject_one="physics")
    dqt_on.add_teacher_for(trainee)
    dqt_on.configure(unknown_subjects=["100425"])

    shown = page(developer_client, dead_update(trainee))

    assert "Subject 1 on Register" in shown and "physics: code 100425" in shown
    assert "Please add these subject codes: 100425 (physics)." in shown


def test_two_trainings_in_progress_on_dqt_are_listed(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True)
    record = dqt_on.add_teacher_for(trainee, slugId=None)
    row = {**record["initialTeacherTraining"][0], "slugId": None}
    dqt_on.update_teacher_record(
        trainee.trn, initialTeacherTraining=[row, {**row, "providerUkprn": "10099999"}]
    )

    shown = page(developer_client, dead_update(trainee))

    assert "Teacher has multiple incomplete ITT records" in shown
    assert "UKPRN 10099999" in shown
    assert "Please close the teacher&#x27;s incomplete ITT records" in shown


def test_a_route_without_a_programme_type_says_what_support_does(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True, training_route=Route.TEACHER_DEGREE_APPRENTICESHIP)

    shown = page(developer_client, dead_update(trainee))

    assert "DQT&#x27;s API (v2) has no programme type for the Teacher degree apprenticeship" in (
        shown
    )
    assert "asks the DQT team to record the trainee by hand" in shown
    assert "Change training route" in shown


def test_an_iqts_country_without_a_code_sends_the_agent_to_the_trainee(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True, training_route=Route.IQTS, iqts_country="Atlantis")

    shown = page(developer_client, dead_update(trainee))

    assert "Correct it on the trainee&#x27;s page to a name on the DfE country list" in shown
    assert f'href="/admin/trainees/trainee/{trainee.pk}/change/"' in shown


def test_poll_again_on_a_request_dqt_never_had_is_diagnosed_and_re_registered(
    dqt_on, developer_client, superuser
):
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory(submitted=True)
    # Register thinks it registered the trainee; DQT never received the request.
    TrnRequest.objects.create(trainee=trainee, state=TrnRequest.State.REQUESTED)
    trainee_services.trainee_defer(trainee=trainee, reason="Deferred", actor=None)
    update = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert run(update) == "dead"
    until = timezone.localdate() + timedelta(days=3)
    poll = services.dqt_poll_again(job=update, until=until, reason="On DQT?", actor=superuser)
    assert run(poll) == "dead"
    assert (poll.error_status, poll.error_title) == (404, "Not Found")

    shown = page(developer_client, poll)
    assert "DQT does not know the TRN request (404)" in shown
    assert "Re-register and poll" in shown

    register = services.dqt_reregister_and_poll(
        job=poll, until=until, reason="DQT never had it", actor=superuser
    )
    assert run(register) == "succeeded"
    dqt_on.complete_trn_request(str(TrnRequest.objects.get(trainee=trainee).request_id))
    assert run(
        Job.objects.filter(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN).latest("pk")
    ) == ("succeeded")
    trainee.refresh_from_db()
    assert trainee.trn and trainee.state == Trainee.State.DEFERRED
    resent = Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).latest("pk")
    assert run(resent) == "succeeded"
