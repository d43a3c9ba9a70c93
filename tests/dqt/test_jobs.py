"""The five DQT jobs, run by the ledger's runner in this process against the fake DQT over
HTTP (tests/dqt/test_end_to_end.py runs them in a real worker)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from dqt.models import DqtTeacher, TrnRequest
from jobs import runner
from jobs.models import Job
from regsupport.config import settings as app_settings
from tests.factories import TraineeFactory
from trainees import services
from trainees.models import Trainee, latest_outcome_date

pytestmark = pytest.mark.django_db


def run(job):
    outcome = runner.run(job.pk)
    job.refresh_from_db()
    return outcome


def only_job(trainee, task_name):
    return Job.objects.get(trainee=trainee, task_name=task_name)


def test_submitting_for_trn_registers_and_the_poll_brings_the_trn(dqt_on):
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)

    register = only_job(trainee, dqt_jobs.REGISTER_FOR_TRN)
    assert run(register) == "succeeded"
    request = TrnRequest.objects.get(trainee=trainee)
    assert request.state == TrnRequest.State.REQUESTED
    assert any(c["method"] == "PUT" and str(request.request_id) in c["path"] for c in dqt_on.calls)

    poll = only_job(trainee, dqt_jobs.RETRIEVE_TRN)
    assert run(poll) == "succeeded"
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED
    assert len(trainee.trn) == 7
    assert trainee.history.first().history_change_reason == "DQT integration: TRN received"


def test_the_poll_waits_an_hour_while_dqt_has_no_trn_yet(dqt_on):
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    run(only_job(trainee, dqt_jobs.REGISTER_FOR_TRN))
    poll = only_job(trainee, dqt_jobs.RETRIEVE_TRN)

    assert run(poll) == "rescheduled"

    assert poll.state == Job.State.SCHEDULED
    wait = poll.run_after - timezone.now()
    assert timedelta(minutes=55) < wait <= timedelta(hours=1)
    assert Trainee.objects.get(pk=trainee.pk).trn == ""


def test_the_poll_times_out_after_the_deadline_and_alerts_slack(dqt_on, slack):
    dqt_on.configure(trn_delay_seconds=None)
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    run(only_job(trainee, dqt_jobs.REGISTER_FOR_TRN))
    poll = only_job(trainee, dqt_jobs.RETRIEVE_TRN)
    trainee.refresh_from_db()
    trainee.submitted_for_trn_at = timezone.now() - timedelta(days=4, minutes=1)
    trainee.save()
    poll.arguments["timeout_after"] = dqt_jobs.poll_deadline(trainee).isoformat()
    poll.save()

    assert run(poll) == "dead"

    assert poll.error_message == (
        f"Dqt::RetrieveTrnJob for Trainee id: {trainee.pk} has timed out after 4 days"
    )
    assert poll.error_title == "TRN poll timed out"
    [alert] = slack
    assert "has timed out after 4 days" in alert["text"]
    assert f"/admin/trainees/trainee/{trainee.pk}/change/" in alert["text"]
    resolve = "Resolve: http://127.0.0.1:8000/admin/jobs/deadjob/?task_name=dqt.retrieve_trn"
    assert resolve in alert["text"]
    assert "What to do: docs/deploy.md#alert-trn-poll-timeout" in alert["text"]


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (datetime(2026, 10, 15, 9, 0, tzinfo=UTC), 10),
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), 10),
        (datetime(2026, 11, 2, 9, 0, tzinfo=UTC), 4),
        # 00:30 on 1 October in London, but still September in UTC, which Register used.
        (datetime(2026, 9, 30, 23, 30, tzinfo=UTC), 4),
    ],
)
def test_a_poll_deadline_set_in_october_gives_dqt_six_more_days(monkeypatch, now, days):
    trainee = TraineeFactory.build(submitted_for_trn_at=now - timedelta(minutes=5))
    monkeypatch.setattr(dqt_jobs.timezone, "now", lambda: now)
    assert dqt_jobs.poll_deadline(trainee) == trainee.submitted_for_trn_at + timedelta(days=days)


def test_a_registration_refused_by_dqt_is_dead_and_the_request_marked_failed(dqt_on):
    trainee = TraineeFactory(last_name="")
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    register = only_job(trainee, dqt_jobs.REGISTER_FOR_TRN)

    assert run(register) == "dead"

    assert register.error_status == 400
    request = TrnRequest.objects.get(trainee=trainee)
    assert request.state == TrnRequest.State.FAILED
    assert request.response["error"].startswith("status: 400")


def test_a_500_on_registration_is_retried_with_the_same_request_id(dqt_on):
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    dqt_on.fail_next("/v2/trn-requests/", status=500)
    register = only_job(trainee, dqt_jobs.REGISTER_FOR_TRN)

    assert run(register) == "retrying"
    assert register.error_status == 500
    first_id = TrnRequest.objects.get(trainee=trainee).request_id
    Job.objects.filter(pk=register.pk).update(run_after=timezone.now())

    assert run(register) == "succeeded"
    assert register.attempts == 2
    assert TrnRequest.objects.get(trainee=trainee).request_id == first_id


def _on_dqt(fake, trainee, **overrides):
    fake.add_teacher_for(trainee, **overrides)
    return trainee


def test_an_edit_dqt_holds_is_sent_as_an_update(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    trainee.course_subject_one = "physics"
    services.trainee_update(trainee=trainee, reason="Provider changed the subject", actor=None)
    update = only_job(trainee, dqt_jobs.UPDATE_TRAINEE)

    assert run(update) == "succeeded"

    patch = [c for c in dqt_on.calls if c["method"] == "PATCH"]
    assert len(patch) == 1
    assert f"/v2/teachers/update/{trainee.trn}" in patch[0]["path"]


def _sent(fake, method):
    return [c for c in fake.calls if c["method"] == method]


def test_a_date_of_birth_change_is_sent_in_the_update_when_dqt_allows_pii(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), allowPIIUpdates=True)
    trainee.date_of_birth = date(1995, 4, 11)
    services.trainee_update(trainee=trainee, reason="Typo in date of birth", actor=None)
    update = only_job(trainee, dqt_jobs.UPDATE_TRAINEE)

    assert run(update) == "succeeded"

    (patch,) = _sent(dqt_on, "PATCH")
    assert patch["body"]["dateOfBirth"] == "1995-04-11"
    assert patch["query"]["birthDate"] == "1995-04-11"


def _update(trainee, reason="Provider changed the subject"):
    trainee.course_subject_one = "physics" if trainee.course_subject_one != "physics" else "history"
    services.trainee_update(trainee=trainee, reason=reason, actor=None)
    return Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).latest("pk")


def _calls(fake):
    return [(c["method"], c["path"].split("?")[0]) for c in fake.calls]


def test_the_first_update_asks_dqt_whether_it_takes_pii_and_the_next_ones_do_not(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), allowPIIUpdates=True)

    assert run(_update(trainee)) == "succeeded"
    assert run(_update(trainee, "Provider changed it back")) == "succeeded"

    teacher, update = f"/v2/teachers/{trainee.trn}", f"/v2/teachers/update/{trainee.trn}"
    assert _calls(dqt_on) == [("GET", teacher), ("PATCH", update), ("PATCH", update)]
    # Both updates carried the personal details DQT takes for this teacher.
    assert [c["body"]["lastName"] for c in _sent(dqt_on, "PATCH")] == [trainee.last_name] * 2
    assert DqtTeacher.objects.get(trn=trainee.trn).allow_pii_updates is True


def test_an_update_sends_no_pii_when_our_copy_says_dqt_does_not_take_it(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), allowPIIUpdates=True)
    dqt_jobs.keep_teacher_copy(trn=trainee.trn, allow_pii_updates=False)

    assert run(_update(trainee)) == "succeeded"

    (patch,) = _sent(dqt_on, "PATCH")
    assert "lastName" not in patch["body"]
    assert _sent(dqt_on, "GET") == []


def test_a_copy_older_than_the_max_age_is_refreshed_from_dqt(dqt_on, monkeypatch):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), allowPIIUpdates=False)
    dqt_jobs.keep_teacher_copy(trn=trainee.trn, allow_pii_updates=True)
    DqtTeacher.objects.filter(trn=trainee.trn).update(synced_at=timezone.now() - timedelta(days=8))

    assert run(_update(trainee)) == "succeeded"

    assert [c[0] for c in _calls(dqt_on)] == ["GET", "PATCH"]
    assert "lastName" not in _sent(dqt_on, "PATCH")[0]["body"]
    assert DqtTeacher.objects.get(trn=trainee.trn).allow_pii_updates is False


def test_with_max_age_zero_every_update_asks_dqt_first(dqt_on, monkeypatch):
    monkeypatch.setenv("SETTINGS__DQT__TEACHER_COPY_MAX_AGE_DAYS", "0")
    app_settings.reload()
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))

    run(_update(trainee))
    run(_update(trainee, "Provider changed it back"))

    assert [c[0] for c in _calls(dqt_on)] == ["GET", "PATCH", "GET", "PATCH"]
    monkeypatch.delenv("SETTINGS__DQT__TEACHER_COPY_MAX_AGE_DAYS")
    app_settings.reload()


def test_a_failed_lookup_sends_no_pii_and_keeps_no_copy(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), allowPIIUpdates=True)
    dqt_on.fail_next(f"/v2/teachers/{trainee.trn}$", method="GET")

    assert run(_update(trainee)) == "succeeded"

    assert "lastName" not in _sent(dqt_on, "PATCH")[0]["body"]
    assert not DqtTeacher.objects.filter(trn=trainee.trn).exists()


def test_a_trn_from_our_request_needs_no_lookup_before_the_first_update(dqt_on):
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    run(only_job(trainee, dqt_jobs.REGISTER_FOR_TRN))
    run(only_job(trainee, dqt_jobs.RETRIEVE_TRN))
    trainee.refresh_from_db()

    assert run(_update(trainee)) == "succeeded"

    assert [c[0] for c in _calls(dqt_on)] == ["PUT", "GET", "PATCH"]  # the GET is the poll
    assert _calls(dqt_on)[1][1].startswith("/v2/trn-requests/")
    # DQT made the teacher from our request, so it takes personal details from Register.
    assert _sent(dqt_on, "PATCH")[0]["body"]["lastName"] == trainee.last_name


@pytest.mark.parametrize(
    ("field", "value"),
    [("hesa_id", "1712345678901"), ("iqts_country", "Ireland"), ("trainee_start_date", None)],
)
def test_a_change_to_a_new_field_the_update_sends_queues_one(dqt_on, field, value):
    trainee = TraineeFactory(with_trn=True, trainee_start_date=date(2026, 9, 8))
    setattr(trainee, field, value)
    services.trainee_update(trainee=trainee, reason="Provider corrected it", actor=None)
    assert only_job(trainee, dqt_jobs.UPDATE_TRAINEE).state == Job.State.ENQUEUED


def test_the_update_carries_the_husid(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    trainee.hesa_id = "1712345678901"
    services.trainee_update(trainee=trainee, reason="HESA id from the provider", actor=None)

    assert run(only_job(trainee, dqt_jobs.UPDATE_TRAINEE)) == "succeeded"

    (patch,) = _sent(dqt_on, "PATCH")
    assert patch["body"]["husid"] == "1712345678901"


def test_a_teacher_degree_apprentice_is_refused_before_calling_dqt(dqt_on):
    trainee = TraineeFactory(training_route=Trainee.TrainingRoute.TEACHER_DEGREE_APPRENTICESHIP)
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    register = only_job(trainee, dqt_jobs.REGISTER_FOR_TRN)

    assert run(register) == "dead"

    assert register.error_title == "No DQT programme type for the training route"
    assert register.error_status is None
    assert register.error_message.startswith(f"Cannot send trainee {trainee.pk} to DQT: ")
    assert dqt_on.calls == []
    assert not TrnRequest.objects.filter(trainee=trainee).exists()


def test_an_update_of_a_teacher_degree_apprentice_is_refused_before_calling_dqt(dqt_on):
    trainee = TraineeFactory(
        with_trn=True, training_route=Trainee.TrainingRoute.TEACHER_DEGREE_APPRENTICESHIP
    )
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "dead"
    assert job.error_title == "No DQT programme type for the training route"
    assert _sent(dqt_on, "PATCH") == []


def test_an_iqts_trainee_is_registered_with_the_training_country_code(dqt_on):
    trainee = TraineeFactory(training_route=Trainee.TrainingRoute.IQTS, iqts_country="Ireland")
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)

    assert run(only_job(trainee, dqt_jobs.REGISTER_FOR_TRN)) == "succeeded"

    (put,) = _sent(dqt_on, "PUT")
    itt = put["body"]["initialTeacherTraining"]
    assert (itt["programmeType"], itt["trainingCountryCode"]) == (
        "InternationalQualifiedTeacherStatus",
        "IE",
    )


def test_route_change_and_award_undo_send_nothing(dqt_on):
    trainee = TraineeFactory(with_trn=True)
    services.trainee_change_training_route(
        trainee=trainee,
        route=Trainee.TrainingRoute.SCHOOL_DIRECT_SALARIED,
        reason="Wrong route",
        actor=None,
    )
    assert not Job.objects.filter(trainee=trainee).exists()


def test_unwithdraw_sends_an_update(dqt_on):
    from tests.factories import withdrawn_trainee

    trainee = withdrawn_trainee()
    services.trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=None)
    assert only_job(trainee, dqt_jobs.UPDATE_TRAINEE).state == Job.State.ENQUEUED


def test_nothing_is_enqueued_or_sent_with_the_integration_off(fake_dqt):
    trainee = TraineeFactory()
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    assert not Job.objects.filter(trainee=trainee).exists()
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "succeeded"
    assert fake_dqt.calls == []


def test_update_with_a_wrong_date_of_birth_dies_with_10001(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True), slugId=None, dateOfBirth="1980-01-01")
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)

    assert run(job) == "dead"

    assert (job.error_status, job.error_code) == (404, 10001)
    assert job.error_title == "Teacher with specified TRN not found"
    assert job.error_message.startswith("status: 404, body: {")


def test_update_without_a_trn_dies_with_the_playbook_message(dqt_on):
    trainee = TraineeFactory(state=Trainee.State.DEFERRED)
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "dead"
    assert job.error_message.startswith(
        f"Cannot update trainee on DQT without a trn (id: {trainee.pk})"
    )


def test_update_is_skipped_for_states_dqt_does_not_update(dqt_on):
    trainee = TraineeFactory(with_trn=True, state=Trainee.State.AWARDED)
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "succeeded"
    assert not [c for c in dqt_on.calls if c["method"] == "PATCH"]


def test_withdrawal_is_sent_as_an_itt_outcome(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    services.trainee_withdraw(
        trainee=trainee, reason="Left the course", actor=None, withdrawal_reasons=["got_a_job"]
    )
    job = only_job(trainee, dqt_jobs.WITHDRAW_TRAINEE)
    assert run(job) == "succeeded"
    assert dqt_on.teacher(trainee.trn)["initialTeacherTraining"][0]["result"] == "Withdrawn"


def test_withdrawal_without_a_trn_waits_for_one(dqt_on):
    trainee = TraineeFactory(submitted=True)
    services.trainee_withdraw(
        trainee=trainee, reason="Left", actor=None, withdrawal_reasons=["got_a_job"]
    )
    job = only_job(trainee, dqt_jobs.WITHDRAW_TRAINEE)
    assert run(job) == "rescheduled"
    assert job.state == Job.State.SCHEDULED
    assert "timeout_after" in job.arguments


def test_recommend_for_award_awards_with_dqts_date(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=date(2026, 10, 30), reason="Provider recommended", actor=None
    )
    job = only_job(trainee, dqt_jobs.RECOMMEND_FOR_AWARD)

    assert run(job) == "succeeded"

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.AWARDED
    # DQT's QTS date is the outcome date we sent, not the day of the recommendation.
    assert dqt_on.teacher(trainee.trn)["qtsDate"] == "2026-10-30"
    assert timezone.localdate(trainee.awarded_at) == date(2026, 10, 30)
    # DQT already has the award: nothing further is sent.
    assert not Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).exists()


def test_award_after_a_dqt_withdrawal_dies_with_10005(dqt_on):
    # DQT checks the withdrawn ITT row before the QTS registration, so this is 10005.
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    from dqt import payloads
    from dqt.client import DqtClient

    with DqtClient() as client:
        client.set_itt_outcome(
            trainee.trn,
            slug=trainee.slug,
            birth_date=trainee.date_of_birth,
            payload=payloads.withdrawal(trainee),
        )
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=latest_outcome_date(), reason="Recommended", actor=None
    )
    job = only_job(trainee, dqt_jobs.RECOMMEND_FOR_AWARD)
    assert run(job) == "dead"
    assert (job.error_status, job.error_code) == (400, 10005)


def test_an_update_without_a_date_of_birth_is_refused_before_calling_dqt(dqt_on):
    trainee = TraineeFactory(with_trn=True, date_of_birth=None)
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    assert run(job) == "dead"
    assert "without a date of birth" in job.error_message
    assert not [c for c in dqt_on.calls if c["method"] == "PATCH"]


@pytest.mark.parametrize(
    "state", [Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.SUBMITTED_FOR_TRN]
)
def test_an_update_sends_nothing_for_a_recommended_trainee_or_one_submitted_for_trn(dqt_on, state):
    # Register's UpdateTraineeJob ran only for submitted, TRN received and deferred trainees,
    # and its TraineeUpdate sent nothing while submitted for TRN, TRN or not.
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    trainee.state = state
    trainee.save_with_reason("The provider moved on before the update ran")

    assert run(job) == "succeeded"

    assert _sent(dqt_on, "PATCH") == []


def test_an_update_that_finds_no_itt_dates_sends_nothing(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    job = dqt_jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    trainee.itt_start_date = trainee.itt_end_date = None
    trainee.save_with_reason("Dates cleared")

    assert run(job) == "succeeded"

    # Sent, DQT would have said "'Initial Teacher Training Programme Start Date' must not be
    # empty." and the job would have died.
    assert _sent(dqt_on, "PATCH") == []


def test_after_a_route_change_the_update_waits_for_the_itt_dates(dqt_on):
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True))
    start, end = trainee.itt_start_date, trainee.itt_end_date
    services.trainee_change_training_route(
        trainee=trainee,
        route=Trainee.TrainingRoute.SCHOOL_DIRECT_SALARIED,
        reason="Wrong route",
        actor=None,
    )
    trainee.refresh_from_db()
    trainee.course_subject_one = "physics"
    services.trainee_update(trainee=trainee, reason="Subject re-entered", actor=None)
    assert not Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).exists()

    trainee.itt_start_date, trainee.itt_end_date = start, end
    services.trainee_update(trainee=trainee, reason="Dates re-entered", actor=None)

    assert run(only_job(trainee, dqt_jobs.UPDATE_TRAINEE)) == "succeeded"
    row = dqt_on.teacher(trainee.trn)["initialTeacherTraining"][0]
    assert (row["programmeType"], row["subject1"]) == (
        "SchoolDirectTrainingProgrammeSalaried",
        "100425",
    )


def test_in_the_hour_after_midnight_in_summer_the_outcome_date_is_dqts_date(dqt_on, monkeypatch):
    from dqt.fake import state as fake_state
    from trainees.errors import TraineeError

    now = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London
    monkeypatch.setattr(timezone, "now", lambda: now)
    monkeypatch.setattr(fake_state, "today", lambda: now.date())
    trainee = _on_dqt(dqt_on, TraineeFactory(with_trn=True, itt_start_date=date(2025, 9, 1)))

    with pytest.raises(TraineeError, match="until 1am it is still 1 June 2026 for DQT"):
        services.trainee_recommend_for_award(
            trainee=trainee, outcome_date=date(2026, 6, 2), reason="Passed today", actor=None
        )
    services.trainee_recommend_for_award(
        trainee=trainee, outcome_date=date(2026, 6, 1), reason="Passed", actor=None
    )

    assert run(only_job(trainee, dqt_jobs.RECOMMEND_FOR_AWARD)) == "succeeded"
    assert dqt_on.teacher(trainee.trn)["qtsDate"] == "2026-06-01"
