"""The playbook's fixes for failed DQT jobs, written once (console buttons and the shell).

Each takes the dead job (or trainee), a required reason and the acting staff user, runs in
one transaction, and raises :class:`~dqt.errors.DqtFixError` (a ``Refusal``) with a message
for a support agent when it refuses, in which case nothing changed. The console's
declarations of these fixes are in ``dqt/fixes.py``::

    from dqt.services import dqt_poll_again
    dqt_poll_again(job=job, until=date(2026, 12, 1), reason="DQT fixed the request", actor=None)
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import job_discard, job_retry
from regsupport.audit import clean_reason
from trainees.models import Trainee

from . import jobs
from .comparison import compare_with_dqt, differences
from .errors import DqtError, DqtFixError
from .lookups import retrieve_teacher
from .models import TrnRequest


def _dead(job: Job, *task_names: str) -> tuple[Job, int]:
    """The job, locked and checked fit for a fix, and the id of the trainee it names."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state != Job.State.DEAD:
        raise DqtFixError(f"Job {job.pk} is {job.get_state_display().lower()}, not dead.")
    if task_names and job.task_name not in task_names:
        raise DqtFixError(f"This fix does not apply to a {job.type_label} job.")
    if job.trainee_id is None:
        raise DqtFixError(f"Job {job.pk} names no trainee.")
    return job, job.trainee_id


def _end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def _check_future(until: date) -> None:
    if until <= timezone.localdate():
        raise DqtFixError("Choose a date after today for the new deadline.")


@transaction.atomic
def dqt_fix_date_of_birth_and_retry(
    *, job: Job, date_of_birth: date, reason: str, actor: Any
) -> Job:
    """404/10001: align Register's date of birth with DQT's, then run the job again."""
    reason = clean_reason(reason)
    job, trainee_id = _dead(job)
    trainee = Trainee.objects.select_for_update().get(pk=trainee_id)
    if trainee.date_of_birth == date_of_birth:
        raise DqtFixError(
            "Register already holds that date of birth: the TRN may be inactive on DQT's side. "
            "Ask DQT before retrying."
        )
    trainee.date_of_birth = date_of_birth
    # Not sent on its own: the date is DQT's, and the retried job carries it.
    trainee.save_with_reason(reason, actor=actor)
    return job_retry(job=job, actor=actor, reason=reason)


@transaction.atomic
def dqt_award_on_register_only(*, job: Job, awarded_on: date, reason: str, actor: Any) -> Trainee:
    """10005 on an award job when DQT already holds the award: award on Register without
    calling DQT, and discard the job."""
    reason = clean_reason(reason)
    job, trainee_id = _dead(job, jobs.RECOMMEND_FOR_AWARD)
    trainee = Trainee.objects.select_for_update().get(pk=trainee_id)
    if trainee.state != Trainee.State.RECOMMENDED_FOR_AWARD:
        raise DqtFixError(
            f"{trainee.full_name} is {trainee.get_state_display().lower()}, not recommended "
            "for award."
        )
    if awarded_on > timezone.localdate():
        raise DqtFixError("The award date cannot be in the future.")
    trainee.award(timezone.make_aware(datetime.combine(awarded_on, time(12, 0))))
    trainee.save_with_reason(reason, actor=actor)
    job_discard(job=job, actor=actor, reason=f"Awarded on Register only: {reason}")
    return trainee


@transaction.atomic
def dqt_discard_race_condition(
    *, job: Job, reason: str, actor: Any, dqt_record: dict | None = None
) -> Job:
    """ "Teacher already has QTS/EYTS date" on an update: when DQT's record matches
    Register's, the update lost the race with the award and can go."""
    reason = clean_reason(reason)
    job, trainee_id = _dead(job, jobs.UPDATE_TRAINEE)
    trainee = Trainee.objects.select_related("provider").get(pk=trainee_id)
    try:
        record = dqt_record if dqt_record is not None else retrieve_teacher(trainee)
    except DqtError as error:
        raise DqtFixError(
            f"DQT could not be asked to compare the records ({error}); nothing was discarded. "
            "Try again once DQT answers."
        ) from error
    different = differences(compare_with_dqt(trainee, record))
    if different:
        names = ", ".join(d.field for d in different)
        raise DqtFixError(
            f"Register and DQT differ ({names}): this is not just the race. Speak to DQT "
            "and the provider before discarding."
        )
    return job_discard(job=job, actor=actor, reason=f"Race condition with the award: {reason}")


@transaction.atomic
def dqt_poll_again(*, job: Job, until: date, reason: str, actor: Any) -> Job:
    """Restart TRN polling until ``until``.

    On a timed-out poll job: the same job runs again with the new deadline (it keeps its
    place before the trainee's later jobs). On an update that failed for want of a TRN
    (playbook case 2, DQT has the trainee): discard it, poll again, and send the update once
    the TRN arrives."""
    reason = clean_reason(reason)
    _check_future(until)
    job, trainee_id = _dead(job, jobs.RETRIEVE_TRN, jobs.UPDATE_TRAINEE)
    deadline = _end_of_day(until).isoformat()
    if job.task_name == jobs.RETRIEVE_TRN:
        job.arguments = {**job.arguments, "timeout_after": deadline}
        job.save_without_historical_record(update_fields=["arguments"])
        return job_retry(job=job, actor=actor, reason=reason)
    trn_request = TrnRequest.objects.filter(trainee_id=trainee_id).first()
    if trn_request is None:
        raise DqtFixError(
            "This trainee was never registered with DQT: use “Re-register and poll” instead."
        )
    job_discard(job=job, actor=actor, reason=f"Superseded by a new TRN poll: {reason}")
    return jobs.retrieve_trn.enqueue(
        trainee=trn_request.trainee,
        trn_request_id=trn_request.pk,
        timeout_after=deadline,
        then_update=True,
    )


@transaction.atomic
def dqt_reregister_and_poll(*, job: Job, until: date, reason: str, actor: Any) -> Job:
    """An update failed for want of a TRN and DQT does not have the trainee (playbook case 1):
    register again, poll until ``until``, then send the update."""
    reason = clean_reason(reason)
    _check_future(until)
    job, trainee_id = _dead(job, jobs.UPDATE_TRAINEE, jobs.REGISTER_FOR_TRN)
    trainee = Trainee.objects.get(pk=trainee_id)
    if trainee.trn:
        raise DqtFixError(
            f"{trainee.full_name} already has TRN {trainee.trn}: retry the job instead."
        )
    job_discard(job=job, actor=actor, reason=f"Superseded by a new TRN registration: {reason}")
    return jobs.register_for_trn.enqueue(
        trainee=trainee,
        trainee_id=trainee.pk,
        poll_until=_end_of_day(until).isoformat(),
        then_update=job.task_name == jobs.UPDATE_TRAINEE,
    )


def default_new_deadline() -> date:
    return timezone.localdate() + timedelta(days=jobs.max_poll_days())
