"""The five DQT jobs, on the job ledger (queue ``dqt``, each trainee's jobs in order).

What each does, and what it skips, follows Register's DQT-era jobs (register-domain.md
§7.3). Because the queue is ordered per trainee, an award waits for an earlier update to
finish (the playbook's update-then-award race cannot happen) and an update waits for the
TRN poll before it.

Jobs re-read the trainee when they run ("asserting the world is the task's job") and skip
quietly when the integration flag is off or the trainee no longer needs the call.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.errors import PermanentError, Reschedule
from jobs.registry import job_type
from monitoring.alerts import Alert, send
from providers.models import Provider
from regsupport.config import settings as app_settings
from trainees.models import Trainee

from . import payloads
from .client import DqtClient
from .errors import (
    DqtError,
    DqtNoAwardDateError,
    TraineeAwardMissingTrn,
    TraineeMissingData,
    TraineeUpdateMissingTrn,
)
from .models import DqtTeacher, TrnRequest

logger = logging.getLogger(__name__)

REGISTER_FOR_TRN = "dqt.register_for_trn"
RETRIEVE_TRN = "dqt.retrieve_trn"
UPDATE_TRAINEE = "dqt.update_trainee"
WITHDRAW_TRAINEE = "dqt.withdraw_trainee"
RECOMMEND_FOR_AWARD = "dqt.recommend_for_award"
SYSTEM_REASON = "DQT integration"

OCTOBER_EXTRA_POLL_DAYS = 6

UPDATABLE_STATES = (
    Trainee.State.SUBMITTED_FOR_TRN,
    Trainee.State.TRN_RECEIVED,
    Trainee.State.DEFERRED,
)


class PollTimedOut(PermanentError):
    """DQT assigned no TRN before the poll's deadline."""


class WithdrawWaitTimedOut(PermanentError):
    """The trainee still had no TRN when the withdrawal's wait ran out."""


def integration_enabled() -> bool:
    return bool(app_settings.get("features.integrate_with_dqt", False))


def poll_delay() -> timedelta:
    return timedelta(hours=float(app_settings.get("jobs.poll_delay_hours", 1)))


def max_poll_days() -> int:
    return int(app_settings.get("jobs.max_poll_duration_days", 4))


def poll_deadline(trainee: Trainee) -> datetime:
    """``submitted_for_trn_at`` + ``jobs.max_poll_duration_days``, and six days more when the
    deadline is set in October, the month of most registrations (Register's
    ``RetrieveTrnJob#timeout``; the month is UTC's, as Rails' ``Time.zone`` was)."""
    now = timezone.now()
    days = max_poll_days() + (OCTOBER_EXTRA_POLL_DAYS if now.astimezone(UTC).month == 10 else 0)
    return (trainee.submitted_for_trn_at or now) + timedelta(days=days)


def _moment(value: str) -> datetime:
    """A deadline this module wrote into a job's arguments with ``isoformat()``."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"Not a date and time: {value!r}")
    return moment


def _date_of_birth(trainee: Trainee) -> date:
    """DQT finds the teacher by TRN and date of birth: without one there is nothing to send."""
    if trainee.date_of_birth is None:
        raise TraineeMissingData(
            f"Cannot send trainee {trainee.pk} to DQT without a date of birth; add it on Register "
            "(with a reason) and retry."
        )
    return trainee.date_of_birth


def _trainee(trainee_id: int) -> Trainee | None:
    """The kept trainee with its provider. Two plain SELECTs rather than the ORM's
    ``select_related`` query: building that query's 66 columns took a third of a DQT
    worker's CPU time (docs/decisions/0015-dqt-worker-cpu.md)."""
    trainee = next(iter(Trainee.objects.raw(_TRAINEE_SQL, [trainee_id])), None)
    if trainee is not None:
        trainee.provider = next(iter(Provider.objects.raw(_PROVIDER_SQL, [trainee.provider_id])))
    return trainee


_TRAINEE_SQL = f"SELECT * FROM {Trainee._meta.db_table} WHERE id = %s AND discarded_at IS NULL"
_PROVIDER_SQL = f"SELECT * FROM {Provider._meta.db_table} WHERE id = %s"


@job_type(REGISTER_FOR_TRN, label="DQT Register For TRN", queue="dqt", ordered=True, max_attempts=5)
def register_for_trn(
    job, *, trainee_id: int, poll_until: str | None = None, then_update: bool = False
) -> None:
    """PUT trn-requests/{request_id}. The request id is made once and kept, so a retry after
    a timeout or a 500 is the same request to DQT (its PUT is get-or-create)."""
    if not integration_enabled():
        return
    trainee = _trainee(trainee_id)
    if trainee is None or trainee.trn:
        return
    # Refused before any TRN request exists: nothing was asked of DQT.
    payloads.check_sendable(trainee)
    body = payloads.trn_request(trainee)
    trn_request, _ = TrnRequest.objects.get_or_create(trainee=trainee)
    try:
        with DqtClient() as client:
            response = client.register_for_trn(str(trn_request.request_id), body)
    except DqtError as error:
        trn_request.response = {"error": str(error)}
        trn_request.state = TrnRequest.State.FAILED
        trn_request.save_with_reason(f"{SYSTEM_REASON}: TRN request failed")
        raise
    trn_request.response = response
    trn_request.state = TrnRequest.State.REQUESTED
    trn_request.save_with_reason(f"{SYSTEM_REASON}: TRN requested")
    deadline = poll_deadline(trainee)
    if poll_until:
        deadline = max(deadline, _moment(poll_until))
    retrieve_trn.enqueue(
        trainee=trainee,
        trn_request_id=trn_request.pk,
        timeout_after=deadline.isoformat(),
        then_update=then_update,
    )


@job_type(RETRIEVE_TRN, label="DQT Retrieve TRN", queue="dqt", ordered=True, max_attempts=10)
def retrieve_trn(
    job, *, trn_request_id: int, timeout_after: str | None = None, then_update: bool = False
) -> None:
    """Poll GET trn-requests/{id} every ``jobs.poll_delay_hours`` until DQT gives a TRN or the
    deadline (``poll_deadline``) passes.
    ``then_update``: send the trainee's details once the TRN is in (a support fix's restart
    after an update failed for want of a TRN)."""
    if not integration_enabled():
        return
    trn_request = TrnRequest.objects.select_related("trainee").filter(pk=trn_request_id).first()
    if trn_request is None or trn_request.trainee.discarded_at is not None:
        return
    trainee = trn_request.trainee
    if timeout_after is None:
        job.arguments["timeout_after"] = poll_deadline(trainee).isoformat()
    deadline = _moment(job.arguments["timeout_after"])
    if trainee.trn:
        _mark_received(trn_request)
        return
    with DqtClient() as client:
        answer = client.get_trn_request(str(trn_request.request_id))
    trn = answer.get("trn")
    if trn:
        trainee.receive_trn(trn)
        trainee.save_with_reason(f"{SYSTEM_REASON}: TRN received")
        trn_request.response = answer
        _mark_received(trn_request)
        # DQT made this teacher from our request, and a teacher made through the API takes
        # personal details from Register (teaching-record-system, DataverseAdapter
        # .CreateTeacher.cs: dfeta_AllowPiiUpdatesFromRegister = true): no lookup needed.
        keep_teacher_copy(trn=trn, allow_pii_updates=True)
        if then_update and trainee.state in UPDATABLE_STATES:
            update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
        return
    now = timezone.now()
    if now < deadline:
        raise Reschedule(run_after=min(now + poll_delay(), deadline), note="No TRN yet")
    days = max(
        1, round((deadline - (trainee.submitted_for_trn_at or deadline)).total_seconds() / 86400)
    )
    message = f"Dqt::RetrieveTrnJob for Trainee id: {trainee.pk} has timed out after {days} days"
    _alert_timeout(message, trainee, RETRIEVE_TRN)
    raise PollTimedOut(message, title="TRN poll timed out")


def _alert_timeout(message: str, trainee: Trainee, task_name: str) -> None:
    """The trainee's page, and the dead jobs of that type, where the others like it wait
    (one such alert an hour: ``monitoring.alerts``)."""
    page = f"{app_settings.get('base_url', '')}/admin/trainees/trainee/{trainee.pk}/change/"
    send(
        Alert(
            "trn-poll-timeout",
            f"{message}.\nTrainee: {page}",
            f"{reverse('admin:jobs_deadjob_changelist')}?task_name={task_name}",
        )
    )


def _mark_received(trn_request: TrnRequest) -> None:
    if trn_request.state != TrnRequest.State.RECEIVED:
        trn_request.state = TrnRequest.State.RECEIVED
        trn_request.save_with_reason(f"{SYSTEM_REASON}: TRN received")


@job_type(UPDATE_TRAINEE, label="DQT Update Trainee", queue="dqt", ordered=True, max_attempts=5)
def update_trainee(job, *, trainee_id: int) -> None:
    """PATCH teachers/update/{trn}, as Register's ``Dqt::UpdateTraineeJob``: only for a trainee
    who is (when the job runs) TRN received or deferred. Submitted for TRN sends nothing, TRN
    or not (``Dqt::TraineeUpdate`` returned early), and neither does a recommended, awarded or
    withdrawn trainee: DQT's award and withdrawal come from their own jobs."""
    if not integration_enabled():
        return
    trainee = _trainee(trainee_id)
    if trainee is None or trainee.state not in UPDATABLE_STATES:
        return
    if trainee.state == Trainee.State.SUBMITTED_FOR_TRN:
        return
    if not trainee.trn:
        raise TraineeUpdateMissingTrn(trainee)
    payloads.check_sendable(trainee)
    if payloads.missing_for_update(trainee):
        # DQT would refuse the update (a route change cleared the ITT dates): it waits for
        # the edit that re-enters them, which queues the next update.
        return
    with DqtClient() as client:
        client.update_teacher(
            trainee.trn,
            slug=trainee.slug,
            birth_date=_date_of_birth(trainee),
            payload=payloads.update(
                trainee, include_personal_details=_pii_updates_allowed(client, trainee)
            ),
        )


def _pii_updates_allowed(client: DqtClient, trainee: Trainee) -> bool:
    """Names, email, sex and date of birth go to DQT only when DQT allows it for this
    teacher. Register read ``allowPIIUpdates`` from its copy of DQT's teacher, not from DQT
    (``app/lib/dqt/params/update.rb``, ``trainee.dqt_teacher.allowed_pii_updates``), so its
    update was one call; so is ours while our copy (``DqtTeacher``) is fresh. Without one,
    DQT is asked and the answer kept. A failed lookup sends no PII and keeps nothing: the
    update itself will then say what is wrong."""
    max_age = timedelta(days=float(app_settings.get("dqt.teacher_copy_max_age_days", 7)))
    with connection.cursor() as cursor:
        # Plain SQL for the reason ``_trainee`` gives: this runs once per update.
        cursor.execute(_TEACHER_COPY_SQL, [trainee.trn, timezone.now() - max_age])
        copy = cursor.fetchone()
    if copy is not None:
        return copy[0]
    try:
        allowed = bool(client.get_teacher(trainee.trn).get("allowPIIUpdates"))
    except DqtError:
        return False
    keep_teacher_copy(trn=trainee.trn, allow_pii_updates=allowed)
    return allowed


_TEACHER_COPY_SQL = (
    f"SELECT allow_pii_updates FROM {DqtTeacher._meta.db_table} "
    "WHERE trn = %s AND synced_at > %s LIMIT 1"
)


def keep_teacher_copy(*, trn: str, allow_pii_updates: bool) -> None:
    """Write (or refresh) our copy of DQT's teacher, in one statement."""
    DqtTeacher.objects.bulk_create(
        [DqtTeacher(trn=trn, allow_pii_updates=allow_pii_updates, synced_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["trn"],
        update_fields=["allow_pii_updates", "synced_at"],
    )


@job_type(WITHDRAW_TRAINEE, label="DQT Withdraw Trainee", queue="dqt", ordered=True, max_attempts=5)
def withdraw_trainee(job, *, trainee_id: int, timeout_after: str | None = None) -> None:
    """PUT itt-outcome Withdrawn. Without a TRN yet, wait (hourly) up to
    ``jobs.max_poll_duration_days`` for one, as Register did."""
    if not integration_enabled():
        return
    trainee = _trainee(trainee_id)
    if trainee is None or trainee.state != Trainee.State.WITHDRAWN:
        return
    if not trainee.trn:
        if timeout_after is None:
            timeout_after = (timezone.now() + timedelta(days=max_poll_days())).isoformat()
            job.arguments["timeout_after"] = timeout_after
        if timezone.now() < _moment(timeout_after):
            raise Reschedule(run_after=timezone.now() + poll_delay(), note="Waiting for a TRN")
        message = (
            f"Dqt::WithdrawTraineeJob for Trainee id: {trainee.pk} has timed out after "
            f"{max_poll_days()} days without a TRN"
        )
        _alert_timeout(message, trainee, WITHDRAW_TRAINEE)
        raise WithdrawWaitTimedOut(message, title="Withdrawal waited too long for a TRN")
    with DqtClient() as client:
        client.set_itt_outcome(
            trainee.trn,
            slug=trainee.slug,
            birth_date=_date_of_birth(trainee),
            payload=payloads.withdrawal(trainee),
        )


@job_type(
    RECOMMEND_FOR_AWARD, label="DQT Recommend For Award", queue="dqt", ordered=True, max_attempts=10
)
def recommend_for_award(job, *, trainee_id: int) -> None:
    """PUT itt-outcome Pass; DQT answers with the QTS/EYTS date, with which the trainee is
    awarded on Register. Nothing is sent back to DQT: it already has the award."""
    if not integration_enabled():
        return
    trainee = _trainee(trainee_id)
    if trainee is None or trainee.state != Trainee.State.RECOMMENDED_FOR_AWARD:
        return
    if not trainee.trn:
        raise TraineeAwardMissingTrn(trainee)
    with DqtClient() as client:
        answer = client.set_itt_outcome(
            trainee.trn,
            slug=trainee.slug,
            birth_date=_date_of_birth(trainee),
            payload=payloads.award(trainee),
        )
    qts_date = answer.get("qtsDate")
    if not qts_date:
        raise DqtNoAwardDateError(trainee)
    trainee.award(award_moment(date.fromisoformat(str(qts_date)[:10])))
    trainee.save_with_reason(f"{SYSTEM_REASON}: awarded with DQT's {trainee.award_type} date")


def award_moment(awarded_on: date) -> datetime:
    """The award time Register stores for DQT's QTS/EYTS date: the start of that day."""
    return timezone.make_aware(datetime.combine(awarded_on, time()))


JOB_LABELS = {
    REGISTER_FOR_TRN: "DQT Register For TRN",
    RETRIEVE_TRN: "DQT Retrieve TRN",
    UPDATE_TRAINEE: "DQT Update Trainee",
    WITHDRAW_TRAINEE: "DQT Withdraw Trainee",
    RECOMMEND_FOR_AWARD: "DQT Recommend For Award",
}
