"""The playbook's fixes for dead DQT jobs: services and the console door."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from dqt import payloads, services
from dqt.comparison import compare_with_dqt, differences
from dqt.errors import DqtFixError
from dqt.lookups import retrieve_teacher
from dqt.models import TrnRequest
from jobs import runner
from jobs.models import Job
from tests.factories import TraineeFactory
from trainees import services as trainee_services
from trainees.models import Trainee, latest_outcome_date

pytestmark = pytest.mark.django_db


def run(job):
    outcome = runner.run(job.pk)
    job.refresh_from_db()
    return outcome


def dead_update(fake, trainee):
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "dead"
    return job


def test_fix_date_of_birth_aligns_register_and_the_retried_job_succeeds(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True, date_of_birth=date(1995, 4, 12))
    dqt_on.add_teacher_for(trainee, slugId=None, dateOfBirth="1995-04-21")
    job = dead_update(dqt_on, trainee)

    services.dqt_fix_date_of_birth_and_retry(
        job=job, date_of_birth=date(1995, 4, 21), reason="DQT confirmed the DOB", actor=superuser
    )

    trainee.refresh_from_db()
    assert trainee.date_of_birth == date(1995, 4, 21)
    assert trainee.history.first().history_change_reason == "DQT confirmed the DOB"
    job.refresh_from_db()
    assert job.state == Job.State.ENQUEUED
    assert run(job) == "succeeded"


def test_fix_date_of_birth_refuses_the_same_date(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, active=False)
    job = dead_update(dqt_on, trainee)
    with pytest.raises(DqtFixError, match="TRN may be inactive"):
        services.dqt_fix_date_of_birth_and_retry(
            job=job, date_of_birth=trainee.date_of_birth, reason="x", actor=superuser
        )
    job.refresh_from_db()
    assert job.state == Job.State.DEAD


def dead_award(fake, trainee, **dqt_changes):
    """An award job DQT refused with 10005, DQT's record changed by ``dqt_changes`` first."""
    fake.add_teacher_for(trainee)
    trainee_services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Recommended", actor=None
    )
    job = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    fake.update_teacher_record(trainee.trn, **dqt_changes)
    assert run(job) == "dead"
    assert job.error_code == 10005
    return job


def dqt_awarded_elsewhere(trainee, qts_date):
    """DQT awarded the teacher through a training row made by hand (another slug), so the
    award job's row search finds nothing: 10005 while DQT holds the award."""
    return {
        "qtsDate": qts_date,
        "initialTeacherTraining": [
            {
                "providerUkprn": trainee.provider.ukprn,
                "programmeType": payloads.programme_type(trainee),
                "programmeStartDate": trainee.itt_start_date.isoformat(),
                "programmeEndDate": trainee.itt_end_date.isoformat(),
                "result": "Pass",
                "slugId": "set-by-hand-on-dqt",
            }
        ],
    }


def test_award_on_register_only_awards_with_dqts_date_and_calls_nothing_else(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True)
    job = dead_award(dqt_on, trainee, **dqt_awarded_elsewhere(trainee, "2026-09-30"))
    writes = [c for c in dqt_on.calls if c["method"] != "GET"]

    services.dqt_award_on_register_only(job=job, reason="DQT already awarded", actor=superuser)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.AWARDED
    assert timezone.localdate(trainee.awarded_at) == date(2026, 9, 30)
    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED
    assert [c for c in dqt_on.calls if c["method"] != "GET"] == writes
    assert differences(compare_with_dqt(trainee, retrieve_teacher(trainee))) == []


def test_award_on_register_only_is_refused_while_dqt_has_the_training_withdrawn(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True)
    job = dead_award(
        dqt_on,
        trainee,
        initialTeacherTraining=[
            {
                "providerUkprn": trainee.provider.ukprn,
                "programmeType": payloads.programme_type(trainee),
                "result": "Withdrawn",
                "slugId": trainee.slug,
            }
        ],
    )

    with pytest.raises(DqtFixError, match="DQT has this training withdrawn"):
        services.dqt_award_on_register_only(job=job, reason="x", actor=superuser)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.RECOMMENDED_FOR_AWARD
    job.refresh_from_db()
    assert job.state == Job.State.DEAD


def test_award_on_register_only_is_refused_while_dqt_has_the_training_in_progress(
    dqt_on, superuser
):
    # What it used to do: award on Register while DQT said InTraining, with no QTS date.
    trainee = TraineeFactory(with_trn=True)
    job = dead_award(
        dqt_on,
        trainee,
        initialTeacherTraining=[
            {
                "providerUkprn": trainee.provider.ukprn,
                "programmeType": payloads.programme_type(trainee),
                "slugId": "another-record",
            }
        ],
    )

    with pytest.raises(DqtFixError, match="does not hold the QTS award"):
        services.dqt_award_on_register_only(job=job, reason="x", actor=superuser)
    assert Trainee.objects.get(pk=trainee.pk).state == Trainee.State.RECOMMENDED_FOR_AWARD


def test_award_on_register_only_is_refused_for_other_jobs(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee, active=False)
    job = dead_update(dqt_on, trainee)
    with pytest.raises(DqtFixError, match="does not apply"):
        services.dqt_award_on_register_only(job=job, reason="x", actor=superuser)


def test_the_award_on_register_page_shows_both_dates_and_both_providers(dqt_on, developer_client):
    trainee = TraineeFactory(with_trn=True)
    job = dead_award(dqt_on, trainee, **dqt_awarded_elsewhere(trainee, "2026-09-30"))

    page = developer_client.get(f"/admin/dqt/jobs/{job.pk}/award-on-register/").content.decode()

    from regsupport.dates import uk_date

    outcome = uk_date(latest_outcome_date())
    assert f"QTS date — DQT: 30 September 2026 · Register&#x27;s outcome date: {outcome}" in page
    assert (
        f"Provider — DQT&#x27;s training: UKPRN {trainee.provider.ukprn} (Pass) · Register: "
        in page
    )
    assert "Register takes DQT&#x27;s" in page


def _awarded_with_dead_update(fake):
    trainee = TraineeFactory(with_trn=True)
    fake.add_teacher_for(trainee)
    trainee_services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Recommended", actor=None
    )
    award = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    assert run(award) == "succeeded"
    trainee.refresh_from_db()
    # The update that lost the race: DQT refuses it now the teacher has QTS.
    job = Job.objects.create(
        task_name=dqt_jobs.UPDATE_TRAINEE,
        arguments={"trainee_id": trainee.pk},
        trainee=trainee,
        queue="dqt",
        state=Job.State.DEAD,
        attempts=1,
        max_attempts=5,
        error_status=400,
        error_title="One or more validation errors occurred.",
        error_fields={
            "initialTeacherTraining.programmeType": ["Teacher already has QTS/EYTS date"]
        },
        error_message="status: 400, body: {}",
    )
    return trainee, job


def test_discard_race_condition_when_register_and_dqt_match(dqt_on, superuser):
    trainee, job = _awarded_with_dead_update(dqt_on)
    services.dqt_discard_race_condition(job=job, reason="Race with the award", actor=superuser)
    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED
    assert "Race condition" in job.discard_reason


def test_discard_race_condition_is_refused_while_dqt_cannot_answer(dqt_on, superuser):
    trainee, job = _awarded_with_dead_update(dqt_on)
    dqt_on.state.add_fault(path="/v2/teachers/", status=503, count=None)
    with pytest.raises(DqtFixError, match="DQT could not be asked to compare the records"):
        services.dqt_discard_race_condition(job=job, reason="Race", actor=superuser)
    job.refresh_from_db()
    assert job.state == Job.State.DEAD


def test_discard_race_condition_is_refused_when_they_differ(dqt_on, superuser):
    trainee, job = _awarded_with_dead_update(dqt_on)
    dqt_on.update_teacher_record(trainee.trn, lastName="Someone-Else")
    with pytest.raises(DqtFixError, match="Last name"):
        services.dqt_discard_race_condition(job=job, reason="Race", actor=superuser)
    job.refresh_from_db()
    assert job.state == Job.State.DEAD


def _timed_out_poll(fake):
    fake.configure(trn_delay_seconds=None)
    trainee = TraineeFactory()
    trainee_services.trainee_submit_for_trn(trainee=trainee, reason="Submitted", actor=None)
    assert run(Job.objects.get(trainee=trainee, task_name=dqt_jobs.REGISTER_FOR_TRN)) == "succeeded"
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)
    poll.arguments["timeout_after"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    poll.save()
    assert run(poll) == "dead"
    return trainee, poll


def test_poll_again_restarts_the_same_job_with_a_new_deadline(dqt_on, superuser):
    trainee, poll = _timed_out_poll(dqt_on)
    until = timezone.localdate() + timedelta(days=4)

    services.dqt_poll_again(job=poll, until=until, reason="DQT was slow", actor=superuser)

    poll.refresh_from_db()
    assert poll.state == Job.State.ENQUEUED
    assert poll.arguments["timeout_after"].startswith(until.isoformat())
    dqt_on.complete_trn_request(str(TrnRequest.objects.get(trainee=trainee).request_id))
    assert run(poll) == "succeeded"
    assert Trainee.objects.get(pk=trainee.pk).trn


def test_poll_again_refuses_a_date_in_the_past(dqt_on, superuser):
    _, poll = _timed_out_poll(dqt_on)
    with pytest.raises(DqtFixError, match="after today"):
        services.dqt_poll_again(job=poll, until=timezone.localdate(), reason="x", actor=superuser)


def test_missing_trn_poll_again_sends_the_update_once_the_trn_arrives(dqt_on, superuser):
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory()
    trainee_services.trainee_submit_for_trn(trainee=trainee, reason="Submitted", actor=None)
    assert run(Job.objects.get(trainee=trainee, task_name=dqt_jobs.REGISTER_FOR_TRN)) == "succeeded"
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)
    from jobs.services import job_discard

    # Polling was given up earlier, so the deferral's update finds no TRN.
    job_discard(job=poll, actor=superuser, reason="Gave up polling")
    trainee.refresh_from_db()
    trainee_services.trainee_defer(trainee=trainee, reason="Deferred", actor=None)
    update = Job.objects.get(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert run(update) == "dead"
    assert update.error_message.startswith("Cannot update trainee on DQT without a trn")

    new_poll = services.dqt_poll_again(
        job=update,
        until=timezone.localdate() + timedelta(days=2),
        reason="On DQT, poll timed out",
        actor=superuser,
    )

    update.refresh_from_db()
    assert update.state == Job.State.DISCARDED
    dqt_on.complete_trn_request(str(TrnRequest.objects.get(trainee=trainee).request_id))
    assert run(new_poll) == "succeeded"
    trainee.refresh_from_db()
    assert trainee.trn and trainee.state == Trainee.State.DEFERRED
    resent = Job.objects.get(
        trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE, state=Job.State.ENQUEUED
    )
    assert run(resent) == "succeeded"
    assert [c for c in dqt_on.calls if c["method"] == "PATCH"]


def test_reregister_and_poll_replaces_a_dead_update_without_trn(dqt_on, superuser):
    trainee = TraineeFactory(state=Trainee.State.DEFERRED)
    job = dead_update(dqt_on, trainee)
    assert job.error_message.startswith("Cannot update trainee on DQT without a trn")

    register = services.dqt_reregister_and_poll(
        job=job,
        until=timezone.localdate() + timedelta(days=4),
        reason="Never reached DQT",
        actor=superuser,
    )

    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED
    assert run(register) == "succeeded"
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)
    assert poll.arguments["then_update"] is True
    assert run(poll) == "succeeded"
    trainee.refresh_from_db()
    assert trainee.trn and trainee.state == Trainee.State.DEFERRED
    update = Job.objects.get(
        trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE, state=Job.State.ENQUEUED
    )
    dqt_on.add_teacher_for(trainee)
    assert run(update) == "succeeded"


def test_fixes_refuse_a_job_that_is_not_dead(dqt_on, superuser):
    trainee = TraineeFactory(with_trn=True)
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    with pytest.raises(DqtFixError, match="not dead"):
        services.dqt_poll_again(
            job=job, until=timezone.localdate() + timedelta(days=1), reason="x", actor=superuser
        )


def test_the_console_door_asks_for_a_reason_then_fixes(dqt_on, developer_client):
    _, poll = _timed_out_poll(dqt_on)
    url = f"/admin/dqt/jobs/{poll.pk}/poll-again/"
    page = developer_client.get(url)
    assert page.status_code == 200
    assert "Poll DQT for the TRN again" in page.content.decode()

    until = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = developer_client.post(url, {"confirm": "yes", "until": until, "reason": ""})
    assert refused.status_code == 200
    poll.refresh_from_db()
    assert poll.state == Job.State.DEAD

    done = developer_client.post(url, {"confirm": "yes", "until": until, "reason": "DQT fixed it"})
    assert done.status_code == 302
    poll.refresh_from_db()
    assert poll.state == Job.State.ENQUEUED


def test_the_console_door_shows_a_refusal_and_changes_nothing(dqt_on, developer_client):
    _, poll = _timed_out_poll(dqt_on)
    url = f"/admin/dqt/jobs/{poll.pk}/poll-again/"
    response = developer_client.post(
        url,
        {"confirm": "yes", "until": timezone.localdate().isoformat(), "reason": "x"},
        follow=True,
    )
    assert "after today" in response.content.decode()
    poll.refresh_from_db()
    assert poll.state == Job.State.DEAD


def test_fix_pages_need_the_right_permissions(dqt_on, client):
    from tests.factories import StaffUserFactory

    _, poll = _timed_out_poll(dqt_on)
    client.force_login(StaffUserFactory(username="viewer"))
    assert client.get(f"/admin/dqt/jobs/{poll.pk}/poll-again/").status_code == 403


def test_poll_again_records_the_new_deadline_in_the_jobs_history(dqt_on, superuser):
    _, poll = _timed_out_poll(dqt_on)
    until = timezone.localdate() + timedelta(days=4)

    services.dqt_poll_again(job=poll, until=until, reason="DQT was slow", actor=superuser)

    from regsupport.audit import record_changes
    from regsupport.dates import uk_date

    latest = poll.history.first()
    assert latest.history_change_reason == "DQT was slow"
    assert latest.arguments["timeout_after"].startswith(until.isoformat())
    changes = {c.label: c.new for c in record_changes(latest, latest.prev_record)}
    assert changes["Arguments: timeout after"].startswith(uk_date(until))
