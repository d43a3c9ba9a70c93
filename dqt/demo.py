"""Dead DQT jobs of every kind the diagnoses know, for `make run`'s demo console, made by
running the real jobs against the fake DQT.

Each case takes a demo trainee, puts Register's side and DQT's side (the fake's records) in
the state that causes the failure in life, and runs the job: it dies with exactly what the
fake, and so the real DQT, answers. The fake's records are then kept in the state file that
`make run`'s fake DQT serves, so a plain *Retry* fails again until the fix is applied.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from jobs import runner
from jobs.models import Job
from providers.models import Provider
from regsupport.config import settings as app_settings
from trainees import services as trainee_services
from trainees.models import Trainee
from trainees.selectors import trainee_state_before_withdrawal

from . import jobs, payloads
from .fake.server import serving
from .fake.state import FakeDqtState
from .models import TrnRequest
from .reference_data import degree_institutions
from .subjects import hecos_code

REASON = "Demo data"
S = Trainee.State
R = Trainee.TrainingRoute
# Routes whose trainees DQT can be sent (not the teacher degree apprenticeship).
SENDABLE = frozenset(route for route in R if payloads.PROGRAMME_TYPES.get(route))
ORDINARY = frozenset(SENDABLE - Trainee.EARLY_YEARS_ROUTES - {R.IQTS, R.ASSESSMENT_ONLY})


@dataclass(frozen=True)
class Case:
    """One way a DQT job dies: the trainee it needs, what to set up, the job to run."""

    what: str
    state: int
    prepare: Callable[[Trainee, FakeDqtState], Job]
    has_trn: bool = True
    routes: frozenset = SENDABLE
    fits: Callable[[Trainee], bool] = lambda trainee: True
    attempts: int = 1
    # What Register does once the job has died.
    after: Callable[[Trainee], None] = lambda trainee: None


def seed_dead_jobs(dqt: FakeDqtState) -> int:
    """Run every case against ``dqt`` (which holds DQT's records of the demo trainees) and
    return how many jobs died. Cases with no fitting trainee are left out."""
    made = 0
    used: set[int] = set()
    with serving(dqt) as url, _pointed_at(url, _api_key(dqt)):
        for case in CASES:
            trainee = _pick(case, used)
            if trainee is None:
                continue
            used.add(trainee.pk)
            job = case.prepare(trainee, dqt)
            for _ in range(case.attempts):
                # The backoff between attempts passes at once (the ledger's own change: no
                # history row, as for any attempt).
                job.run_after = timezone.now()
                job.save_without_historical_record(update_fields=["run_after"])
                runner.run(job.pk)
            case.after(trainee)
            job.refresh_from_db()
            made += job.state == Job.State.DEAD
    return made


def _api_key(dqt: FakeDqtState) -> str:
    """The key the console calls DQT with, so `make run`'s fake knows its TRN requests."""
    key = str(app_settings.get("dqt.api_key", "") or "dev-dqt-key")
    dqt.configure(api_keys=sorted({*dqt.config.api_keys, key}))
    return key


@contextmanager
def _pointed_at(url: str, api_key: str) -> Iterator[None]:
    """The DQT client and jobs talk to ``url`` (integration on) while the block runs."""
    overrides = {
        "SETTINGS__DQT__BASE_URL": url,
        "SETTINGS__DQT__API_KEY": api_key,
        "SETTINGS__FEATURES__INTEGRATE_WITH_DQT": "true",
    }
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    app_settings.reload()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        app_settings.reload()


def _pick(case: Case, used: set[int]) -> Trainee | None:
    candidates: QuerySet[Trainee] = (
        Trainee.objects.kept()
        .select_related("provider")
        .filter(state=case.state, training_route__in=case.routes)
        .exclude(pk__in=used)
        .order_by("pk")
    )
    candidates = candidates.exclude(trn="") if case.has_trn else candidates.filter(trn="")
    return next((trainee for trainee in candidates if case.fits(trainee)), None)


# --- what each case sets up -----------------------------------------------------------------


def _update(trainee: Trainee) -> Job:
    return jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)


def _queued_update(trainee: Trainee) -> Job:
    """The update a service just queued for the trainee."""
    return Job.objects.filter(trainee=trainee, task_name=jobs.UPDATE_TRAINEE).latest("pk")


def _dqt_row(dqt: FakeDqtState, trainee: Trainee, **changes) -> None:
    """Change DQT's one training row of the trainee."""
    teacher = dqt.teacher(trainee.trn) or {}
    rows = teacher.get("initialTeacherTraining") or [{}]
    dqt.put_teacher({"trn": trainee.trn, "initialTeacherTraining": [{**rows[0], **changes}]})


def _server_errors(trainee: Trainee, dqt: FakeDqtState) -> Job:
    dqt.add_fault(path="/v2/teachers/update/", status=500, count=5)
    return _update(trainee)


def _date_of_birth_corrected(trainee: Trainee, dqt: FakeDqtState) -> Job:
    # DQT made the record before Register sent slugs, so it finds the teacher by date of
    # birth, and the provider has since corrected the date on Register.
    dqt.put_teacher({"trn": trainee.trn, "slugId": None})
    _dqt_row(dqt, trainee, slugId=None)
    trainee.date_of_birth = (trainee.date_of_birth or timezone.localdate()) + timedelta(days=1)
    trainee.save_with_reason(f"{REASON}: the provider corrected the date of birth")
    return _update(trainee)


def _inactive_on_dqt(trainee: Trainee, dqt: FakeDqtState) -> Job:
    dqt.put_teacher({"trn": trainee.trn, "active": False})
    return jobs.withdraw_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)


def _award(trainee: Trainee) -> Job:
    return jobs.recommend_for_award.enqueue(trainee=trainee, trainee_id=trainee.pk)


def _no_qts_registration(trainee: Trainee, dqt: FakeDqtState) -> Job:
    dqt.put_teacher({"trn": trainee.trn, "qtsRegistrations": []})
    return _award(trainee)


def _awarded_by_hand_on_dqt(trainee: Trainee, dqt: FakeDqtState) -> Job:
    # The DQT team awarded the teacher through a training row of its own (another id), so
    # the award job finds no training to award: 10005 while DQT holds the award.
    held = trainee.outcome_date or timezone.localdate(trainee.recommended_for_award_at)
    award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
    dqt.put_teacher({"trn": trainee.trn, award_field: held.isoformat()})
    _dqt_row(dqt, trainee, result="Pass", slugId="awarded-by-the-dqt-team")
    return _award(trainee)


def _withdrawn_on_dqt(trainee: Trainee, dqt: FakeDqtState) -> Job:
    _dqt_row(dqt, trainee, result="Withdrawn")
    return _award(trainee)


def _training_at_another_provider(trainee: Trainee, dqt: FakeDqtState) -> Job:
    _dqt_row(dqt, trainee, providerUkprn="10099999", result="InTraining")
    return jobs.withdraw_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)


def _degree_institution_unknown(trainee: Trainee, dqt: FakeDqtState) -> Job:
    providers = set(Provider.objects.values_list("ukprn", flat=True))
    institution = next(
        i for i in degree_institutions().values() if i.ukprn and i.ukprn not in providers
    )
    trainee.degree_institution_uuid = institution.uuid
    trainee.save_with_reason(f"{REASON}: degree added")
    dqt.configure(unknown_ukprns=sorted({*dqt.config.unknown_ukprns, str(institution.ukprn)}))
    return _update(trainee)


RACE_AWARD_DAYS_AGO = 3


def _lost_the_race(trainee: Trainee, dqt: FakeDqtState) -> Job:
    # The award reached DQT before this update (the playbook's race).
    awarded_on = timezone.localdate() - timedelta(days=RACE_AWARD_DAYS_AGO)
    award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
    dqt.put_teacher({"trn": trainee.trn, award_field: awarded_on.isoformat()})
    _dqt_row(dqt, trainee, result="Pass")
    return _update(trainee)


def _awarded_with_dqts_date(trainee: Trainee) -> None:
    """Register takes the award the race's winner brought back, with DQT's date."""
    awarded_on = timezone.localdate() - timedelta(days=RACE_AWARD_DAYS_AGO)
    trainee.refresh_from_db()
    trainee.recommend_for_award(awarded_on)
    trainee.award(jobs.award_moment(awarded_on))
    trainee.save_with_reason(f"{REASON}: awarded with DQT's date")


def _deferred_before_the_trn(trainee: Trainee, dqt: FakeDqtState) -> Job:
    return _update(trainee)


def _trn_never_assigned(trainee: Trainee, dqt: FakeDqtState) -> Job:
    delay = dqt.config.trn_delay_seconds
    dqt.configure(trn_delay_seconds=None)
    register = jobs.register_for_trn.enqueue(trainee=trainee, trainee_id=trainee.pk)
    runner.run(register.pk)
    dqt.configure(trn_delay_seconds=delay)
    poll = Job.objects.filter(trainee=trainee, task_name=jobs.RETRIEVE_TRN).latest("pk")
    submitted = trainee.submitted_for_trn_at or timezone.now()
    deadline = submitted + timedelta(days=jobs.max_poll_days())
    poll.arguments = {**poll.arguments, "timeout_after": deadline.isoformat()}
    poll.save_without_historical_record(update_fields=["arguments"])
    return poll


def _request_dqt_never_had(trainee: Trainee, dqt: FakeDqtState) -> Job:
    request, _ = TrnRequest.objects.get_or_create(trainee=trainee)
    request.state = TrnRequest.State.REQUESTED
    request.save_with_reason(f"{REASON}: TRN requested")
    return jobs.retrieve_trn.enqueue(trainee=trainee, trn_request_id=request.pk)


def _route_without_programme_type(trainee: Trainee, dqt: FakeDqtState) -> Job:
    return _update(trainee)


def _iqts_country_unknown(trainee: Trainee, dqt: FakeDqtState) -> Job:
    trainee.iqts_country = "Atlantis"
    trainee.save_with_reason(f"{REASON}: imported before the country list was checked")
    return _update(trainee)


def _unwithdrawn_to_deferred(trainee: Trainee, dqt: FakeDqtState) -> Job:
    trainee_services.trainee_unwithdraw(
        trainee=trainee, reason=f"{REASON}: withdrawn in error", actor=None
    )
    trainee.refresh_from_db()
    trainee.course_max_age = 16 if trainee.course_max_age != 16 else 18
    trainee_services.trainee_update(
        trainee=trainee, reason=f"{REASON}: age range corrected", actor=None
    )
    return _queued_update(trainee)


def _change_route_and_reenter_dates(trainee: Trainee, route: int) -> Job:
    start, end = trainee.itt_start_date, trainee.itt_end_date
    trainee_services.trainee_change_training_route(
        trainee=trainee, route=route, reason=f"{REASON}: wrong route", actor=None
    )
    trainee.refresh_from_db()
    trainee.itt_start_date, trainee.itt_end_date = start, end
    trainee_services.trainee_update(
        trainee=trainee, reason=f"{REASON}: the provider re-entered the dates", actor=None
    )
    return _queued_update(trainee)


def _early_years_to_postgrad(trainee: Trainee, dqt: FakeDqtState) -> Job:
    return _change_route_and_reenter_dates(trainee, R.PROVIDER_LED_POSTGRAD)


def _route_change_without_qts_registration(trainee: Trainee, dqt: FakeDqtState) -> Job:
    dqt.put_teacher({"trn": trainee.trn, "qtsRegistrations": []})
    new = R.SCHOOL_DIRECT_SALARIED
    if trainee.training_route == new:
        new = R.PROVIDER_LED_POSTGRAD
    return _change_route_and_reenter_dates(trainee, new)


def _subject_unknown_to_dqt(trainee: Trainee, dqt: FakeDqtState) -> Job:
    code = hecos_code(trainee.course_subject_one)
    dqt.configure(unknown_subjects=sorted({*dqt.config.unknown_subjects, str(code)}))
    return _update(trainee)


def _two_trainings_in_progress(trainee: Trainee, dqt: FakeDqtState) -> Job:
    # A record from before Register sent slugs, with a second training DQT never closed.
    teacher = dqt.teacher(trainee.trn) or {}
    row = {**(teacher.get("initialTeacherTraining") or [{}])[0], "slugId": None}
    other = {**row, "providerUkprn": "10099999", "result": "InTraining"}
    dqt.put_teacher({"trn": trainee.trn, "slugId": None, "initialTeacherTraining": [row, other]})
    return _update(trainee)


def _deferred_before_withdrawal(trainee: Trainee) -> bool:
    return trainee_state_before_withdrawal(trainee=trainee).state == S.DEFERRED


# In picking order: cases that need a particular route come first.
CASES = [
    Case(
        "route with no DQT programme type",
        S.TRN_RECEIVED,
        _route_without_programme_type,
        routes=frozenset({R.TEACHER_DEGREE_APPRENTICESHIP}),
    ),
    Case(
        "IQTS country without a code",
        S.TRN_RECEIVED,
        _iqts_country_unknown,
        routes=frozenset({R.IQTS}),
    ),
    Case(
        "early years changed to another route",
        S.TRN_RECEIVED,
        _early_years_to_postgrad,
        routes=frozenset(Trainee.EARLY_YEARS_ROUTES),
    ),
    Case(
        "route change with no QTS registration",
        S.TRN_RECEIVED,
        _route_change_without_qts_registration,
        routes=ORDINARY,
    ),
    Case("subject unknown to DQT", S.TRN_RECEIVED, _subject_unknown_to_dqt, routes=ORDINARY),
    Case("500 five times", S.TRN_RECEIVED, _server_errors, attempts=5),
    Case("date of birth corrected on Register", S.TRN_RECEIVED, _date_of_birth_corrected),
    Case("degree institution unknown to DQT", S.TRN_RECEIVED, _degree_institution_unknown),
    Case(
        "update lost the race with the award",
        S.TRN_RECEIVED,
        _lost_the_race,
        after=_awarded_with_dqts_date,
    ),
    Case("two trainings in progress on DQT", S.TRN_RECEIVED, _two_trainings_in_progress),
    Case("TRN inactive on DQT", S.WITHDRAWN, _inactive_on_dqt),
    Case("training at another provider on DQT", S.WITHDRAWN, _training_at_another_provider),
    Case(
        "unwithdrawn to deferred",
        S.WITHDRAWN,
        _unwithdrawn_to_deferred,
        fits=_deferred_before_withdrawal,
    ),
    Case(
        "no QTS registration on DQT",
        S.RECOMMENDED_FOR_AWARD,
        _no_qts_registration,
        routes=ORDINARY,
    ),
    Case("awarded by hand on DQT", S.RECOMMENDED_FOR_AWARD, _awarded_by_hand_on_dqt),
    Case("withdrawn on DQT", S.RECOMMENDED_FOR_AWARD, _withdrawn_on_dqt),
    Case("deferred before the TRN", S.DEFERRED, _deferred_before_the_trn, has_trn=False),
    Case("TRN never assigned", S.SUBMITTED_FOR_TRN, _trn_never_assigned, has_trn=False),
    Case(
        "TRN request DQT never had",
        S.SUBMITTED_FOR_TRN,
        _request_dqt_never_had,
        has_trn=False,
    ),
]


# --- Pending TRNs: a trainee in each state Register's Pending TRN page shows ----------------


def seed_pending_trns(dqt: FakeDqtState) -> list[Trainee]:
    """Submitted trainees whose TRN request DQT holds: one DQT is still reviewing (polled,
    no TRN), one DQT has since given a TRN that the next poll, an hour away, would fetch
    (*Check for TRN* gets it now), and one whose request failed (*Re-submit for TRN*). Trainees submitted with no request at all are already in the demo."""
    candidates = list(
        Trainee.objects.kept()
        .select_related("provider")
        .filter(state=S.SUBMITTED_FOR_TRN, trn="", dqt_trn_request__isnull=True)
        .filter(training_route__in=ORDINARY)
        .order_by("-pk")[:3]
    )
    if len(candidates) < 3:
        return []
    reviewing, assigned, refused = candidates
    with serving(dqt) as url, _pointed_at(url, _api_key(dqt)):
        delay = dqt.config.trn_delay_seconds
        dqt.configure(trn_delay_seconds=None)
        for trainee, days in ((reviewing, 3), (assigned, 2)):
            # Submitted that many days ago, so the poll is within its deadline.
            trainee.submitted_for_trn_at = timezone.now() - timedelta(days=days)
            trainee.save_with_reason(f"{REASON}: submitted {days} days ago")
            register = jobs.register_for_trn.enqueue(trainee=trainee, trainee_id=trainee.pk)
            runner.run(register.pk)
            poll = Job.objects.filter(trainee=trainee, task_name=jobs.RETRIEVE_TRN).latest("pk")
            runner.run(poll.pk)  # DQT has no TRN yet: polls again later
            request = TrnRequest.objects.get(trainee=trainee)
            request.created_at = timezone.now() - timedelta(days=days)
            request.save_with_reason(f"{REASON}: requested {days} days ago")
        dqt.complete_trn_request(str(TrnRequest.objects.get(trainee=assigned).request_id))
        # The next poll is Register's hour away, even under `make run`'s quick polling.
        poll = Job.objects.filter(trainee=assigned, task_name=jobs.RETRIEVE_TRN).latest("pk")
        poll.run_after = timezone.now() + timedelta(hours=1)
        poll.save_without_historical_record(update_fields=["run_after"])
        dqt.configure(trn_delay_seconds=delay)
        # DQT answered 500 to each of the registration's five attempts (a diagnosis the
        # console knows: speak with DQT, then Re-submit for TRN).
        dqt.add_fault(path="/v2/trn-requests/", method="PUT", status=500, count=5)
        register = jobs.register_for_trn.enqueue(trainee=refused, trainee_id=refused.pk)
        for _ in range(register.max_attempts):
            register.run_after = timezone.now()
            register.save_without_historical_record(update_fields=["run_after"])
            runner.run(register.pk)
    return candidates
