"""The playbook's fixes for failed DQT jobs, written once (console buttons and the shell).

Each takes the dead job (or trainee), a required reason and the acting staff user, runs in
one transaction, and raises :class:`~dqt.errors.DqtFixError` (a ``Refusal``) with a message
for a support agent when it refuses, in which case nothing changed. The console's
declarations of these fixes are in ``dqt/fixes.py``::

    from dqt.services import dqt_poll_again
    dqt_poll_again(job=job, until=date(2026, 12, 1), reason="DQT fixed the request", actor=None)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jobs.models import Job
from jobs.services import BULK_BATCH, enqueue_many, job_discard, job_retry
from regsupport.audit import audit_context, clean_reason
from regsupport.dates import uk_date
from regsupport.fixes import FixPlan
from trainees.models import Trainee
from trainees.services.base import refuse_dqt_rule_breaks

from . import jobs, payloads
from .comparison import (
    award_gap,
    compare_with_dqt,
    differences,
    dqt_award_date,
    dqt_trainings,
)
from .errors import DqtError, DqtFixError, TraineeNotSendable
from .lookups import retrieve_teacher, training_record
from .models import Resync, ResyncJob, TrnRequest


def _dead(job: Job, *task_names: str, fix: str, lock: bool = True) -> tuple[Job, int]:
    """The job, locked (unless only a plan is asked for) and checked fit for ``fix`` (dead,
    and diagnosed with a refusal that offers it), and the id of the trainee it names."""
    # The diagnosis module imports the fixes, which import these services.
    from .diagnosis import refuse_unless_offered

    rows = Job.objects.select_for_update() if lock else Job.objects
    job = rows.get(pk=job.pk)
    if job.state != Job.State.DEAD:
        raise DqtFixError(f"Job {job.pk} is {job.get_state_display().lower()}, not dead.")
    if task_names and job.task_name not in task_names:
        raise DqtFixError(f"This fix does not apply to a {job.type_label} job.")
    refuse_unless_offered(job, fix)
    if job.trainee_id is None:
        raise DqtFixError(f"Job {job.pk} names no trainee.")
    return job, job.trainee_id


def _locked(trainee: Trainee) -> Trainee:
    """The trainee's row, locked for the fix's transaction and read afresh."""
    return (
        Trainee.objects.select_for_update(of=("self",))
        .select_related("provider")
        .get(pk=trainee.pk)
    )


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
    job, trainee_id = _dead(job, fix="fix_date_of_birth")
    trainee = Trainee.objects.select_for_update().get(pk=trainee_id)
    if trainee.date_of_birth == date_of_birth:
        raise DqtFixError(
            "Register already holds that date of birth: the TRN may be inactive on DQT's side. "
            "Ask DQT before retrying."
        )
    trainee.date_of_birth = date_of_birth
    refuse_dqt_rule_breaks(trainee, fields={"date_of_birth"})
    # Not sent on its own: the date is DQT's, and the retried job carries it.
    trainee.save_with_reason(reason, actor=actor)
    return job_retry(job=job, actor=actor, reason=reason)


def _award_job(job: Job, *, lock: bool = True) -> tuple[Job, Trainee]:
    job, trainee_id = _dead(job, jobs.RECOMMEND_FOR_AWARD, fix="award_on_register", lock=lock)
    trainee = Trainee.objects.select_related("provider").get(pk=trainee_id)
    if trainee.state != Trainee.State.RECOMMENDED_FOR_AWARD:
        raise DqtFixError(
            f"{trainee.full_name} is {trainee.get_state_display().lower()}, not recommended "
            "for award."
        )
    return job, trainee


def _live_record(trainee: Trainee, *, doing: str) -> dict:
    try:
        return retrieve_teacher(trainee)
    except DqtError as error:
        raise DqtFixError(
            f"DQT could not be asked what it holds ({error}), so {doing}. Try again once DQT "
            "answers."
        ) from error


def _dqt_award(trainee: Trainee, record: dict) -> date:
    """DQT's QTS/EYTS date, refusing when DQT holds none: Register awards only what DQT has."""
    held = dqt_award_date(trainee, record)
    if not held:
        raise DqtFixError(
            f"DQT does not hold the {trainee.award_type} award of {trainee.full_name}, so "
            f"awarding on Register only would leave the two disagreeing. {award_gap(trainee, record)}"
        )
    return date.fromisoformat(str(held)[:10])


def dqt_award_on_register_only_plan(*, job: Job) -> FixPlan:
    """What *Award on Register only* would do, after asking DQT live: DQT's award date and
    training beside Register's outcome date and provider."""
    job, trainee = _award_job(job, lock=False)
    record = _live_record(trainee, doing="nothing can be awarded")
    awarded_on = _dqt_award(trainee, record)
    row = training_record(trainee, record)
    kind = trainee.award_type
    outcome = uk_date(trainee.outcome_date) if trainee.outcome_date else "none"
    dqt_provider = (
        f"UKPRN {(row.get('provider') or {}).get('ukprn')} ({row.get('result')})"
        if row
        else f"none at Register's provider (DQT's trainings: {dqt_trainings(record)})"
    )
    plan = FixPlan(
        changes=[
            f"{kind} date — DQT: {uk_date(awarded_on)} · Register's outcome date: {outcome}",
            f"Provider — DQT's training: {dqt_provider} · Register: {trainee.provider.name} "
            f"(UKPRN {trainee.provider.ukprn})",
            f"{trainee.full_name} is awarded on Register with DQT's {kind} date, "
            f"{uk_date(awarded_on)}.",
            "Nothing is sent to DQT, which already holds the award.",
            "The failed award job is discarded with your reason.",
        ]
    )
    if trainee.outcome_date != awarded_on:
        plan.notes.append(
            f"DQT's {kind} date is not Register's outcome date: Register takes DQT's, as the "
            "award job does."
        )
    if row is None:
        plan.notes.append(
            "DQT holds the award under a training at another provider: check with the provider "
            "that this is the same training before you confirm."
        )
    return plan


@transaction.atomic
def dqt_award_on_register_only(*, job: Job, reason: str, actor: Any) -> Trainee:
    """10005 on an award job when DQT already holds the award: award on Register with DQT's
    QTS/EYTS date (asked live), call DQT for nothing else, and discard the job. Refused when
    DQT holds no award."""
    reason = clean_reason(reason)
    job, trainee = _award_job(job)
    trainee = _locked(trainee)
    awarded_on = _dqt_award(trainee, _live_record(trainee, doing="nothing was awarded"))
    trainee.award(jobs.award_moment(awarded_on))
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
    job, trainee_id = _dead(job, jobs.UPDATE_TRAINEE, fix="discard_race")
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
    job, trainee_id = _dead(job, jobs.RETRIEVE_TRN, jobs.UPDATE_TRAINEE, fix="poll_again")
    deadline = _end_of_day(until).isoformat()
    if job.task_name == jobs.RETRIEVE_TRN:
        # On the retry's own history row, so the new deadline is kept with the reason.
        arguments = {**job.arguments, "timeout_after": deadline}
        return job_retry(job=job, actor=actor, reason=reason, arguments=arguments)
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
    """DQT does not have the trainee's TRN request: an update failed for want of a TRN
    (playbook case 1), a registration failed, or a poll was answered 404. Register again
    (the same request id), poll until ``until``, then send the update if one was waiting."""
    reason = clean_reason(reason)
    _check_future(until)
    job, trainee_id = _dead(
        job, jobs.UPDATE_TRAINEE, jobs.REGISTER_FOR_TRN, jobs.RETRIEVE_TRN, fix="reregister"
    )
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
        then_update=job.task_name == jobs.UPDATE_TRAINEE or bool(job.arguments.get("then_update")),
    )


SENT_STATES = (Trainee.State.TRN_RECEIVED, Trainee.State.DEFERRED)


def check_send_update(*, trainee: Trainee) -> None:
    """Refuse an update Register would not send, or DQT would refuse before looking at it.
    Reads only the trainee (it decides whether the trainee page offers the button)."""
    if not jobs.integration_enabled():
        raise DqtFixError("DQT integration is off (features.integrate_with_dqt): nothing is sent.")
    if trainee.discarded_at is not None:
        raise DqtFixError(f"{trainee.full_name} was deleted (discarded): nothing is sent to DQT.")
    if trainee.state not in SENT_STATES:
        raise DqtFixError(
            "Register sends DQT updates only for TRN received and deferred trainees; "
            f"{trainee.full_name} is {trainee.get_state_display().lower()}."
        )
    if not trainee.trn:
        raise DqtFixError(f"{trainee.full_name} has no TRN yet: DQT cannot be updated.")
    missing = payloads.missing_for_update(trainee)
    if missing:
        raise DqtFixError(
            f"DQT refuses an update without the {' and '.join(missing)}: have them re-entered "
            "first (the edit that does it sends the update)."
        )
    try:
        payloads.check_sendable(trainee)
    except TraineeNotSendable as error:
        raise DqtFixError(str(error)) from error


def dqt_send_update_plan(*, trainee: Trainee) -> FixPlan:
    check_send_update(trainee=trainee)
    itt = payloads.initial_teacher_training(trainee)
    plan = FixPlan(
        changes=[
            f"DQT is sent an update of TRN {trainee.trn}: {itt['programmeType']}, "
            f"{itt['programmeStartDate']} to {itt['programmeEndDate']}, provider UKPRN "
            f"{itt['providerUkprn']}, result {payloads.update_outcome(trainee)}.",
            "It runs in the trainee's DQT queue like any other update; its job shows in the "
            "console.",
        ]
    )
    ahead = Job.objects.filter(
        trainee=trainee, task_name__startswith="dqt.", state=Job.State.DEAD
    ).values_list("pk", flat=True)
    if ahead:
        plan.notes.append(
            f"Dead DQT job(s) {', '.join(str(pk) for pk in ahead)} of this trainee come first: "
            "the update waits, blocked, until they are retried and succeed, or are discarded."
        )
    return plan


@transaction.atomic
def dqt_send_update(*, trainee: Trainee, reason: str, actor: Any) -> Job:
    """Queue DQT Update Trainee for the trainee now (e.g. once a route change's cleared
    dates are re-entered), with the reason and actor on the job's history."""
    reason = clean_reason(reason)
    trainee = _locked(trainee)
    check_send_update(trainee=trainee)
    job = jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
    with audit_context(job, reason=reason, actor=actor):
        job.save()
    return job


def default_new_deadline() -> date:
    return timezone.localdate() + timedelta(days=jobs.max_poll_days())


# --- Register's system-admin Pending TRNs page (app/controllers/system_admin/pending_trns/) --


def check_pending_trn(*, trainee: Trainee) -> None:
    """Reads only the trainee: whether *Check for TRN* and *Re-submit for TRN* are offered."""
    if not jobs.integration_enabled():
        raise DqtFixError("DQT integration is off (features.integrate_with_dqt): DQT is not asked.")
    if trainee.discarded_at is not None:
        raise DqtFixError(f"{trainee.full_name} was deleted (discarded): restore the record first.")
    if trainee.trn:
        raise DqtFixError(f"{trainee.full_name} already has TRN {trainee.trn}.")
    if trainee.state != Trainee.State.SUBMITTED_FOR_TRN:
        raise DqtFixError(
            f"{trainee.full_name} is {trainee.get_state_display().lower()}, not submitted for TRN."
        )


def _trn_request(trainee: Trainee) -> TrnRequest:
    trn_request = TrnRequest.objects.filter(trainee=trainee).first()
    if trn_request is None:
        # Register's words (RetrieveTrnsController#check_for_trn_request).
        raise DqtFixError(
            f"{trainee.full_name} has no TRN request (it may have been manually deleted)."
        )
    return trn_request


def dqt_check_for_trn_plan(*, trainee: Trainee) -> FixPlan:
    check_pending_trn(trainee=trainee)
    trn_request = _trn_request(trainee)
    return FixPlan(
        changes=[
            f"DQT is asked now for TRN request {trn_request.request_id} "
            f"({trn_request.get_state_display().lower()}, {trn_request.days_waiting} day(s) "
            "waiting).",
            "If DQT has assigned a TRN, the trainee gets it and becomes TRN received, with "
            "your reason; otherwise nothing changes.",
        ]
    )


@transaction.atomic
def dqt_check_for_trn(*, trainee: Trainee, reason: str, actor: Any) -> str | None:
    """Register's *Check for TRN*: ask DQT for the trainee's TRN request now and, when DQT
    has assigned a TRN, record it (TRN received). Returns the TRN, or None when DQT has
    none yet. The poll job still waiting finds the TRN there and finishes."""
    from .selectors import console_client

    reason = clean_reason(reason)
    trainee = _locked(trainee)
    check_pending_trn(trainee=trainee)
    trn_request = _trn_request(trainee)
    try:
        answer = console_client().get_trn_request(str(trn_request.request_id))
    except DqtError as error:
        raise DqtFixError(f"API error: {error}") from error
    trn = answer.get("trn")
    if not trn:
        return None
    trainee.receive_trn(trn)
    trainee.save_with_reason(reason, actor=actor)
    trn_request.response = answer
    trn_request.state = TrnRequest.State.RECEIVED
    trn_request.save_with_reason(reason, actor=actor)
    return str(trn)


def dqt_resubmit_for_trn_plan(*, trainee: Trainee) -> FixPlan:
    check_pending_trn(trainee=trainee)
    trn_request = TrnRequest.objects.filter(trainee=trainee).first()
    superseded = list(_trn_jobs(trainee).values_list("pk", flat=True))
    plan = FixPlan(
        changes=[
            (
                f"The TRN request {trn_request.request_id} "
                f"({trn_request.get_state_display().lower()}) is deleted (kept in its history)."
                if trn_request
                else "The trainee has no TRN request to delete."
            ),
            "A new TRN request, with a new request id, is sent to DQT by a DQT Register For "
            "TRN job, which then polls for the TRN.",
        ]
    )
    if superseded:
        plan.changes.append(
            "The trainee's unfinished TRN jobs are discarded: "
            + ", ".join(f"#{pk}" for pk in superseded)
            + "."
        )
    return plan


def _trn_jobs(trainee: Trainee):
    return Job.objects.filter(
        trainee=trainee,
        task_name__in=(jobs.REGISTER_FOR_TRN, jobs.RETRIEVE_TRN),
        state__in=(*Job.WAITING_STATES, Job.State.DEAD),
    ).order_by("pk")


@transaction.atomic
def dqt_resubmit_for_trn(*, trainee: Trainee, reason: str, actor: Any) -> Job:
    """Register's *Re-submit for TRN*: delete the TRN request and ask DQT again with a new
    one. Here the request goes through the ledger like any other DQT call: the trainee's
    unfinished TRN jobs are discarded first, so the new one waits behind none of them."""
    reason = clean_reason(reason)
    trainee = _locked(trainee)
    check_pending_trn(trainee=trainee)
    for job in _trn_jobs(trainee):
        job_discard(job=job, actor=actor, reason=f"Superseded by a re-submission for TRN: {reason}")
    trn_request = TrnRequest.objects.filter(trainee=trainee).first()
    if trn_request is not None:
        with audit_context(trn_request, reason=reason, actor=actor):
            trn_request.delete()
    job = jobs.register_for_trn.enqueue(trainee=trainee, trainee_id=trainee.pk)
    with audit_context(job, reason=reason, actor=actor):
        job.save()
    return job


# --- bulk resync ---------------------------------------------------------------------------


@dataclass
class ResyncPlan:
    """What a resync of a set of trainees would queue: the trainees DQT takes an update for,
    and how many are left out, by why."""

    matched: int
    sendable: list[int]
    skipped: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [
            f"{len(self.sendable):,} DQT update(s) queued, one per trainee, out of "
            f"{self.matched:,} trainee(s) matched."
        ]
        lines += [f"Left out: {count:,} {why}." for why, count in self.skipped.items()]
        return lines


RESYNC_SKIPS = {
    "skip_deleted": "deleted (discarded)",
    "skip_state": "not TRN received or deferred (Register sends no update then)",
    "skip_trn": "without a TRN",
}


def dqt_resync_plan(*, trainees: QuerySet[Trainee]) -> ResyncPlan:
    """Which of ``trainees`` a resync would send (the rules of ``check_send_update``): the
    state, TRN and deletion are counted in SQL; the course dates and DQT codes per trainee."""
    if not jobs.integration_enabled():
        raise DqtFixError("DQT integration is off (features.integrate_with_dqt): nothing is sent.")
    trainees = trainees.order_by()
    kept = Q(discarded_at__isnull=True)
    in_state = kept & Q(state__in=SENT_STATES)
    counts = trainees.aggregate(
        matched=Count("pk"),
        skip_deleted=Count("pk", filter=~kept),
        skip_state=Count("pk", filter=kept & ~Q(state__in=SENT_STATES)),
        skip_trn=Count("pk", filter=in_state & Q(trn="")),
    )
    plan = ResyncPlan(matched=counts["matched"], sendable=[])
    skipped: Counter[str] = Counter(
        {RESYNC_SKIPS[key]: counts[key] for key in RESYNC_SKIPS if counts[key]}
    )
    candidates = trainees.filter(in_state & ~Q(trn="")).order_by("pk")
    for trainee in candidates.iterator(chunk_size=2000):
        missing = payloads.missing_for_update(trainee)
        if missing:
            skipped[f"without the {' and '.join(missing)} (DQT refuses the update)"] += 1
            continue
        try:
            payloads.check_sendable(trainee)
        except TraineeNotSendable as error:
            skipped[f"refused before DQT: {error.title}"] += 1
            continue
        plan.sendable.append(trainee.pk)
    plan.skipped = dict(skipped)
    return plan


@transaction.atomic
def dqt_resync(*, trainees: QuerySet[Trainee], description: str, reason: str, actor: Any) -> Resync:
    """Queue one DQT Update Trainee for every trainee in ``trainees`` that DQT takes an
    update for, as one resync whose progress the console shows::

        run = dqt_resync(trainees=Trainee.objects.filter(provider__code="1TZ"),
                         description="provider 1TZ", reason="DQT restored from backup",
                         actor=None)
        dqt_resync_progress(run)

    The jobs run in the trainees' DQT queues like any update: after any unfinished job of
    the same trainee, never instead of it."""
    reason = clean_reason(reason)
    plan = dqt_resync_plan(trainees=trainees)
    if not plan.sendable:
        raise DqtFixError(
            "None of the trainees matched can be sent to DQT: " + " ".join(plan.lines()[1:])
        )
    created = enqueue_many(
        jobs.UPDATE_TRAINEE, jobs=((pk, {"trainee_id": pk}) for pk in plan.sendable)
    )
    run = Resync.objects.create(
        created_by=actor,
        reason=reason,
        description=description[:500],
        matched=plan.matched,
        queued=len(created),
        skipped=plan.skipped,
    )
    ResyncJob.objects.bulk_create(
        (ResyncJob(resync=run, job=job) for job in created), batch_size=BULK_BATCH
    )
    return run


@dataclass(frozen=True)
class ResyncProgress:
    queued: int
    done: int
    dead: int
    discarded: int
    waiting: int

    @property
    def finished(self) -> bool:
        return self.waiting == 0


WAITING_STATES = (
    Job.State.SCHEDULED,
    Job.State.ENQUEUED,
    Job.State.RUNNING,
    Job.State.RETRYING,
    Job.State.BLOCKED,
)


def dqt_resync_progress(run: Resync) -> ResyncProgress:
    """How far the resync's updates are, from their jobs' states in one query. A job purged
    after succeeding is counted done."""
    states = dict(
        Job.objects.filter(resync_entry__resync=run)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    dead = states.get(Job.State.DEAD, 0)
    discarded = states.get(Job.State.DISCARDED, 0)
    waiting = sum(states.get(state, 0) for state in WAITING_STATES)
    return ResyncProgress(
        queued=run.queued,
        done=run.queued - dead - discarded - waiting,
        dead=dead,
        discarded=discarded,
        waiting=waiting,
    )
