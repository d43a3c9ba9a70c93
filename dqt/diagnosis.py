"""Plain-words diagnoses of dead DQT jobs, each with its next step one click away.

``classify`` reads only the ledger's error columns (cheap: the dead-jobs list calls it for
every row). The job page asks for the ``detailed`` diagnosis, which may look the teacher up
on DQT live to put Register and DQT side by side. Every refusal our own fixes or data can
cause has a kind here; ``docs/dqt.md`` lists them with their buttons.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from django.urls import reverse

from jobs.diagnosis import Diagnosis, DiagnosisAction
from jobs.models import Job
from regsupport.dates import uk_date
from regsupport.fixes import Fix
from trainees.fixes import ChangeTrainingRoute
from trainees.models import Trainee

from . import fixes, jobs, payloads
from .comparison import (
    award_gap,
    compare_with_dqt,
    differences,
    dqt_award_date,
    dqt_team_message,
    dqt_trainings,
    organisation_not_found_message,
)
from .errors import (
    DqtError,
    DqtFixError,
    NoDqtProgrammeType,
    TeacherNotFound,
    UnknownIqtsCountry,
)
from .lookups import retrieve_teacher, training_record
from .reference_data import degree_institution
from .subjects import hecos_code

SERVER_ERROR = "server_error"
UNREACHABLE = "unreachable"
NOT_FOUND = "teacher_not_found"
NO_QTS = "no_qts_record"
NO_INCOMPLETE_ITT = "no_incomplete_itt"
MULTIPLE_ITT = "multiple_incomplete_itt"
ORGANISATION_NOT_FOUND = "organisation_not_found"
SUBJECT_NOT_FOUND = "subject_not_found"
ALREADY_QTS = "already_has_qts"
UNWITHDRAW_TO_DEFERRED = "unwithdraw_to_deferred"
PROGRAMME_TYPE_CHANGE = "programme_type_change"
NO_PROGRAMME_TYPE = "no_programme_type"
UNKNOWN_IQTS_COUNTRY = "unknown_iqts_country"
MISSING_TRN = "missing_trn"
UNKNOWN_TRN_REQUEST = "unknown_trn_request"
POLL_TIMED_OUT = "poll_timed_out"
REPEATED_SERVER_ERRORS = 3
INACTIVE = "No active teacher on DQT"

TITLES = {
    SERVER_ERROR: "DQT server error",
    UNREACHABLE: "DQT could not be reached",
    NOT_FOUND: "DQT cannot find the teacher (404, 10001)",
    NO_QTS: "Teacher has no QTS record (10006)",
    NO_INCOMPLETE_ITT: "Teacher has no incomplete ITT record (10005)",
    MULTIPLE_ITT: "Teacher has multiple incomplete ITT records (10004)",
    ORGANISATION_NOT_FOUND: "Degree organisation not found on DQT",
    SUBJECT_NOT_FOUND: "Subject not found on DQT",
    ALREADY_QTS: "Teacher already has QTS/EYTS date",
    UNWITHDRAW_TO_DEFERRED: "DQT will not take a withdrawn training to deferred",
    PROGRAMME_TYPE_CHANGE: "DQT cannot change the programme type",
    NO_PROGRAMME_TYPE: "No DQT programme type for the training route",
    UNKNOWN_IQTS_COUNTRY: "No DQT country code for the IQTS country",
    MISSING_TRN: "Update without a TRN",
    UNKNOWN_TRN_REQUEST: "DQT does not know the TRN request (404)",
    POLL_TIMED_OUT: "TRN poll timed out",
}

# DQT's messages in a validation answer (any key), first match wins.
FIELD_MESSAGES = [
    ("Teacher already has QTS/EYTS date", ALREADY_QTS),
    ("Result cannot be unwithdrawn to deferred", UNWITHDRAW_TO_DEFERRED),
    ("ProgrammeType cannot be changed", PROGRAMME_TYPE_CHANGE),
    ("Subject not found", SUBJECT_NOT_FOUND),
    ("Teacher has multiple incomplete ITT records", MULTIPLE_ITT),
    ("Teacher has no QTS record", NO_QTS),
    ("Teacher has no incomplete ITT record", NO_INCOMPLETE_ITT),
    ("'Initial Teacher Training Programme Type' must not be empty.", NO_PROGRAMME_TYPE),
]
# DQT's error codes (itt-outcome answers with these, never with field errors).
ERROR_CODES = {10003: ALREADY_QTS, 10004: MULTIPLE_ITT, 10006: NO_QTS, 10005: NO_INCOMPLETE_ITT}
# The titles of our own refusals, made before DQT is called.
LOCAL_TITLES = {
    NoDqtProgrammeType.title: NO_PROGRAMME_TYPE,
    UnknownIqtsCountry.title: UNKNOWN_IQTS_COUNTRY,
}


def _field_messages(job: Job) -> list[tuple[str, str]]:
    fields = job.error_fields or {}
    if not isinstance(fields, dict):
        return []
    return [
        (str(k), str(m)) for k, ms in fields.items() for m in (ms if isinstance(ms, list) else [ms])
    ]


def classify(job: Job) -> str | None:
    """Which known DQT refusal killed this job, from its indexed error columns."""
    if not job.task_name.startswith("dqt."):
        return None
    messages = _field_messages(job)
    if any(key.endswith("providerUkprn") and m == "Organisation not found" for key, m in messages):
        return ORGANISATION_NOT_FOUND
    for message, kind in FIELD_MESSAGES:
        if any(m == message for _, m in messages):
            return kind
    if job.error_status == 404 and job.error_code == 10001:
        return NOT_FOUND
    if job.error_code in ERROR_CODES:
        return ERROR_CODES[job.error_code]
    if job.error_status is not None and (job.error_status >= 500 or job.error_status == 429):
        return SERVER_ERROR
    if job.task_name == jobs.RETRIEVE_TRN and job.error_status == 404:
        return UNKNOWN_TRN_REQUEST
    if job.error_title in LOCAL_TITLES:
        return LOCAL_TITLES[job.error_title]
    message = job.error_message or ""
    if message.startswith("Cannot update trainee on DQT without a trn"):
        return MISSING_TRN
    if job.task_name == jobs.RETRIEVE_TRN and "has timed out after" in message:
        return POLL_TIMED_OUT
    if message.startswith(("DQT did not answer", "Could not reach DQT")):
        return UNREACHABLE
    return None


# The fixes each kind of refusal offers (besides retry and discard): a fix can be applied
# only to a dead job whose kind offers it. The builders below decide from DQT's live record
# which of them to show; the fixes' services check that record again themselves.
OFFERED_FIXES: dict[str, tuple[type[Fix], ...]] = {
    NOT_FOUND: (fixes.FixDateOfBirth,),
    NO_INCOMPLETE_ITT: (fixes.AwardOnRegister,),
    ALREADY_QTS: (fixes.DiscardRace,),
    MISSING_TRN: (fixes.Reregister, fixes.PollAgain),
    UNKNOWN_TRN_REQUEST: (fixes.Reregister,),
    POLL_TIMED_OUT: (fixes.PollAgain,),
}


def refuse_unless_offered(job: Job, fix_name: str) -> None:
    """Refuse a DQT fix for a job whose diagnosis does not offer it (e.g. "Fix date of
    birth" on a job DQT refused for a subject): the fix would change the wrong thing."""
    kind = classify(job)
    offered = OFFERED_FIXES.get(kind, ()) if kind is not None else ()
    if any(fix.name == fix_name for fix in offered):
        return
    diagnosis = f"its diagnosis is “{TITLES[kind]}”" if kind else "it has no diagnosis"
    choices = ", ".join(f"“{fix.label}”" for fix in offered) or "no fix of this kind"
    raise DqtFixError(
        f"This fix does not apply to job {job.pk}: {diagnosis}, which offers {choices}. "
        "Nothing was changed."
    )


def diagnose_dqt_job(job: Job, *, detailed: bool = True) -> Diagnosis | None:
    kind = classify(job)
    if kind is None:
        return None
    if not detailed:
        return Diagnosis(title=TITLES[kind], explanation="")
    trainee = (
        Trainee.objects.select_related("provider").filter(pk=job.trainee_id).first()
        if job.trainee_id is not None
        else None
    )
    if trainee is None:
        return Diagnosis(
            TITLES[kind],
            "The trainee this job was for no longer exists: there is nothing left to send. "
            "Discard the job.",
            actions=[_discard(job)],
        )
    return BUILDERS[kind](job, trainee)


# --- actions and shared facts ------------------------------------------------------------------


def _retry(job: Job, label: str = "Retry") -> DiagnosisAction:
    return DiagnosisAction(label, reverse("admin:jobs_job_retry", args=[job.pk]))


def _discard(job: Job, label: str = "Discard") -> DiagnosisAction:
    return DiagnosisAction(label, reverse("admin:jobs_job_discard", args=[job.pk]), style="danger")


def _fix(
    obj: Any, fix: type[Fix], label: str = "", style: Literal["default", "danger"] = "default"
) -> DiagnosisAction:
    return DiagnosisAction(label or fix.label, fix().url(obj), style=style)


def _trainee_page(trainee: Trainee, label: str = "Open the trainee") -> DiagnosisAction:
    return DiagnosisAction(label, reverse("admin:trainees_trainee_change", args=[trainee.pk]))


def _dqt_record(trainee: Trainee) -> tuple[dict | None, str]:
    """DQT's record of the trainee, or None and why not (never raises: a diagnosis page must
    open even while DQT is down)."""
    if not trainee.trn:
        return None, "The trainee has no TRN, so DQT cannot be asked by TRN."
    try:
        return retrieve_teacher(trainee), ""
    except TeacherNotFound as error:
        return None, f"{INACTIVE}: {error}"
    except DqtError as error:
        return None, f"DQT lookup failed: {error}"


def _side_by_side(trainee: Trainee, record: dict | None, problem: str) -> list[tuple[str, str]]:
    """Register's state and provider beside DQT's training, result and award date."""
    facts = [
        ("Register's state", trainee.get_state_display()),
        (
            "Register's provider and route",
            f"{trainee.provider.name} (UKPRN {trainee.provider.ukprn}), "
            f"{payloads.programme_type(trainee) or 'no DQT programme type'}",
        ),
    ]
    if record is None:
        return [*facts, ("DQT's record", problem)]
    row = training_record(trainee, record) or {}
    facts += [
        ("DQT's ITT result", str(row.get("result") or "no training at Register's provider")),
        ("DQT's trainings", dqt_trainings(record)),
        (f"DQT's {trainee.award_type} date", dqt_award_date(trainee, record) or "—"),
    ]
    if trainee.outcome_date:
        facts.append(("Register's outcome date", uk_date(trainee.outcome_date)))
    return facts


def _for_the_dqt_team(
    job: Job,
    trainee: Trainee,
    kind: str,
    explanation: str,
    *,
    answer: str,
    ask: str,
    looked_up: tuple[dict | None, str] | None = None,
    actions: list[DiagnosisAction] | None = None,
) -> Diagnosis:
    """A refusal only the DQT team can lift: Register beside DQT, and the text to send them."""
    record, problem = looked_up or _dqt_record(trainee)
    return Diagnosis(
        TITLES[kind],
        explanation,
        facts=[
            *_side_by_side(trainee, record, problem),
            ("Text to send to DQT", dqt_team_message(trainee, answer=answer, ask=ask)),
        ],
        actions=actions or [_retry(job), _discard(job)],
    )


# --- the detailed diagnoses --------------------------------------------------------------------


def _server_error(job: Job, trainee: Trainee) -> Diagnosis:
    failures = sum(1 for e in (job.errors or []) if (e.get("status") or 0) >= 500) or 1
    if failures >= REPEATED_SERVER_ERRORS:
        explanation = (
            f"DQT failed on its side {failures} times for this job. Retrying alone is unlikely to "
            "help: speak with DQT about this trainee, then retry."
        )
    else:
        explanation = (
            "DQT had a server error (a fault on their side). These usually pass: retry the job. "
            "If it keeps failing, speak with DQT about the trainee."
        )
    return Diagnosis(
        TITLES[SERVER_ERROR],
        explanation,
        facts=[
            ("Failures with a 5xx status", str(failures)),
            ("Last error", job.error_message[:300]),
        ],
        actions=[_retry(job)],
    )


def _unreachable(job: Job, trainee: Trainee) -> Diagnosis:
    return Diagnosis(
        TITLES[UNREACHABLE],
        "Register could not reach DQT (a timeout or a refused connection). Check that DQT is "
        "up, then retry.",
        facts=[("Last error", job.error_message[:300])],
        actions=[_retry(job)],
    )


def _not_found(job: Job, trainee: Trainee) -> Diagnosis:
    record, problem = _dqt_record(trainee)
    facts = [("Register's date of birth", str(trainee.date_of_birth or "—"))]
    if record is None and problem.startswith(INACTIVE):
        facts.append(("DQT's record", problem))
        explanation = (
            "DQT has no active teacher with this TRN (asked by TRN alone), so no date of birth "
            "can make it match: the TRN is inactive, or merged into another, on DQT's side. "
            "Speak with DQT; retry once they have reactivated it or told you the right TRN."
        )
        return Diagnosis(TITLES[NOT_FOUND], explanation, facts=facts, actions=[_retry(job)])
    if record is not None:
        facts.append(("DQT's date of birth", str(record.get("dateOfBirth") or "—")))
        same = str(record.get("dateOfBirth")) == str(trainee.date_of_birth)
        explanation = "DQT matched no teacher with this TRN and date of birth. " + (
            "The dates of birth agree, so the TRN may be inactive on DQT's side: speak with DQT."
            if same
            else "The dates of birth differ: align them (Register takes DQT's, with your "
            "reason) and the job runs again."
        )
    else:
        facts.append(("DQT's date of birth", problem))
        explanation = (
            "DQT matched no teacher with this TRN and date of birth. Either the date of birth "
            "differs between Register and DQT, or the TRN is inactive on DQT's side. Speak with "
            "DQT to find out which; align the date of birth and retry."
        )
    return Diagnosis(
        TITLES[NOT_FOUND],
        explanation,
        facts=facts,
        actions=[_fix(job, fixes.FixDateOfBirth), _retry(job)],
    )


def _no_qts(job: Job, trainee: Trainee) -> Diagnosis:
    record, problem = _dqt_record(trainee)
    row = (training_record(trainee, record) or {}) if record else {}
    if job.task_name != jobs.UPDATE_TRAINEE:
        needs = "to record the outcome"
    elif row.get("result") == "Withdrawn":
        needs = "to take the withdrawn training back (an unwithdrawal)"
    else:
        needs = "to move the training to another programme type (a route change)"
    return _for_the_dqt_team(
        job,
        trainee,
        NO_QTS,
        f"DQT found the training, but not the QTS registration it needs {needs}: one in "
        "training for this programme (trainee teacher, assessment-only candidate or early-years "
        "trainee), or qualified. That registration is part of DQT's own record, which only the "
        "DQT team can correct: send them the text below, then retry. Retrying before that "
        "fails the same way.",
        answer="Teacher has no QTS record",
        ask="Please add (or restore) this teacher's QTS registration for the training below, "
        "in training for its programme type.",
        looked_up=(record, problem),
    )


def _no_incomplete_itt(job: Job, trainee: Trainee) -> Diagnosis:
    record, problem = _dqt_record(trainee)
    facts = _side_by_side(trainee, record, problem)
    actions = [_retry(job)]
    if job.task_name == jobs.RECOMMEND_FOR_AWARD:
        if record is not None and dqt_award_date(trainee, record):
            explanation = (
                f"DQT already holds the {trainee.award_type} award (under a training the award "
                "did not match), so it had nothing left to award: the trainee is stuck in "
                "recommended for award. Compare DQT's date and provider with Register's below; "
                "if they are this training, award on Register only, with DQT's date."
            )
            actions.insert(0, _fix(job, fixes.AwardOnRegister))
        elif record is not None:
            explanation = "DQT did not award the trainee. " + award_gap(trainee, record)
            actions.append(_discard(job))
        else:
            explanation = (
                "DQT had no training in progress it could award. DQT could not be asked now "
                "whether it already holds the award; open this page again once DQT answers."
            )
    else:
        explanation = (
            "DQT has no training still in progress for this trainee at Register's provider "
            "(see DQT's trainings below). Cross-reference with DQT and check with the provider "
            "what state the trainee should be in; have the wrong side corrected, then retry."
        )
        actions.append(_discard(job))
    return Diagnosis(TITLES[NO_INCOMPLETE_ITT], explanation, facts=facts, actions=actions)


def _multiple_itt(job: Job, trainee: Trainee) -> Diagnosis:
    return _for_the_dqt_team(
        job,
        trainee,
        MULTIPLE_ITT,
        "DQT holds more than one training still in progress for this teacher (listed below), "
        "so it cannot tell which one to change. Only the DQT team can close the one that is "
        "not this training: send them the text below, then retry.",
        answer="Teacher has multiple incomplete ITT records",
        ask="Please close the teacher's incomplete ITT records other than the training below.",
    )


def _organisation_not_found(job: Job, trainee: Trainee) -> Diagnosis:
    institution = degree_institution(trainee.degree_institution_uuid)
    facts = [
        ("Degree institution id", str(trainee.degree_institution_uuid or "—")),
        ("Institution", institution.name if institution else "not in the DfE reference data"),
        (
            "UKPRN (DfE reference data)",
            (institution.ukprn or "none listed") if institution else "—",
        ),
    ]
    return Diagnosis(
        TITLES[ORGANISATION_NOT_FOUND],
        "We send DQT the UKPRN of the trainee's degree institution, and DQT does not know it. "
        "Send DQT the text below so they can add the institution, then retry.",
        facts=facts + [("Text to send to DQT", organisation_not_found_message(trainee))],
        actions=[_retry(job, "Retry (after DQT added it)")],
    )


def _subject_not_found(job: Job, trainee: Trainee) -> Diagnosis:
    names = {
        1: trainee.course_subject_one,
        2: trainee.course_subject_two,
        3: trainee.course_subject_three,
    }
    refused = [
        (key, names.get(int(key[-1])))
        for key, message in _field_messages(job)
        if message == "Subject not found"
        and re.fullmatch(r"initialTeacherTraining\.subject\d", key)
    ]
    facts = [
        (f"Subject {key[-1]} on Register", f"{name or '—'}: code {hecos_code(name) or 'none'}")
        for key, name in refused
    ]
    return Diagnosis(
        TITLES[SUBJECT_NOT_FOUND],
        "DQT does not know the subject code we sent (Register's name for the subject, mapped by "
        "Register's table). If the subject on Register is wrong, have it corrected (the "
        "correction is sent to DQT); if it is right, send DQT the text below so they add the "
        "subject, then retry.",
        facts=[
            *facts,
            (
                "Text to send to DQT",
                dqt_team_message(
                    trainee,
                    answer="Subject not found",
                    ask="Please add these subject codes: "
                    + ", ".join(f"{hecos_code(name)} ({name})" for _, name in refused if name)
                    + ".",
                ),
            ),
        ],
        actions=[_trainee_page(trainee), _retry(job)],
    )


def _already_qts(job: Job, trainee: Trainee) -> Diagnosis:
    record, problem = _dqt_record(trainee)
    if record is None:
        return Diagnosis(
            TITLES[ALREADY_QTS],
            "DQT already holds an award for this teacher, so it refuses the update. Likely the "
            "update lost a race with the award. DQT could not be asked just now to compare the "
            "records: " + problem,
            actions=[_retry(job)],
        )
    comparison = compare_with_dqt(trainee, record)
    facts = [
        (
            c.field,
            f"Register: {c.register_value or '—'} · DQT: {c.dqt_value or '—'}"
            + ("" if c.matches else "  ✗ differs"),
        )
        for c in comparison
    ]
    if not differences(comparison):
        return Diagnosis(
            TITLES[ALREADY_QTS],
            "Register and DQT hold the same details: the update lost the race with the award "
            "and has nothing left to send. Discard it.",
            facts=facts,
            actions=[_fix(job, fixes.DiscardRace, style="danger")],
        )
    return Diagnosis(
        TITLES[ALREADY_QTS],
        "DQT already holds an award, and Register and DQT differ (marked ✗). Speak to DQT, and "
        "maybe the provider, about what needs updating.",
        facts=facts,
        actions=[_discard(job)],
    )


def _unwithdraw_to_deferred(job: Job, trainee: Trainee) -> Diagnosis:
    return _for_the_dqt_team(
        job,
        trainee,
        UNWITHDRAW_TO_DEFERRED,
        "DQT has this training withdrawn, and Register has the trainee deferred (an "
        "unwithdrawal, or a deferral DQT never heard of). DQT will not take a withdrawn "
        "training straight to deferred, and refuses every update of this trainee until that "
        "changes. Check with the provider: if the trainee is deferred, send the DQT team the "
        "text below and retry once they have done it; if they did leave, discard this job.",
        answer="Result cannot be unwithdrawn to deferred",
        ask="Please set the result of the training below to Deferred: it was withdrawn in error.",
    )


def _programme_type_change(job: Job, trainee: Trainee) -> Diagnosis:
    return _for_the_dqt_team(
        job,
        trainee,
        PROGRAMME_TYPE_CHANGE,
        "Register's route is early years and DQT's training is not, or the other way round (a "
        "route change). DQT never changes that, and refuses every update of this trainee "
        "while they disagree. If the new route is wrong, change the route back on Register "
        "(then retry); if it is right, the DQT team must close DQT's training and open one on "
        "the new route: send them the text below, then retry.",
        answer="ProgrammeType cannot be changed",
        ask="The trainee below changed route between early years and another route. Please "
        "close the current ITT record and open one on the new route.",
        actions=[_fix(trainee, ChangeTrainingRoute), _retry(job), _discard(job)],
    )


def _no_programme_type(job: Job, trainee: Trainee) -> Diagnosis:
    if payloads.programme_type(trainee) is not None:
        return Diagnosis(
            TITLES[NO_PROGRAMME_TYPE],
            f"When this job ran the route had no DQT programme type; it is now "
            f"{trainee.get_training_route_display()}, which has one. Retry.",
            actions=[_retry(job)],
        )
    return Diagnosis(
        TITLES[NO_PROGRAMME_TYPE],
        f"DQT's API (v2) has no programme type for the {trainee.get_training_route_display()} "
        "route, and refuses a trainee without one. Register sent none and DQT refused it, so "
        "we do not send it at all: nothing about this trainee can reach DQT through the API. "
        "If the route is wrong, change it on the trainee's page and retry. If it is right, "
        "support asks the DQT team to record the trainee by hand, and discards this job.",
        facts=[("Register's route", trainee.get_training_route_display() or "—")],
        actions=[_fix(trainee, ChangeTrainingRoute), _retry(job), _discard(job)],
    )


def _unknown_iqts_country(job: Job, trainee: Trainee) -> Diagnosis:
    return Diagnosis(
        TITLES[UNKNOWN_IQTS_COUNTRY],
        "The trainee's IQTS country is a name no DQT country code can be found for (data from "
        "before the form checked it). Correct it on the trainee's page to a name on the DfE "
        "country list, then retry.",
        facts=[("IQTS country on Register", trainee.iqts_country or "—")],
        actions=[_trainee_page(trainee, "Correct the IQTS country"), _retry(job)],
    )


def _missing_trn(job: Job, trainee: Trainee) -> Diagnosis:
    return Diagnosis(
        TITLES[MISSING_TRN],
        "We tried to update the trainee on DQT before receiving a TRN. Either DQT does not have "
        "the trainee (an earlier registration failed): re-register and poll; or DQT has them but "
        "our poll timed out: poll again. Both send the update once the TRN arrives.",
        facts=[("TRN request", _trn_request_fact(trainee))],
        actions=[
            _fix(job, fixes.Reregister),
            _fix(job, fixes.PollAgain),
        ],
    )


def _unknown_trn_request(job: Job, trainee: Trainee) -> Diagnosis:
    return Diagnosis(
        TITLES[UNKNOWN_TRN_REQUEST],
        "DQT answered 404 Not Found: it holds no TRN request with our id, so polling can never "
        "bring a TRN. The registration never reached DQT (it failed, or went to another DQT). "
        "Re-register: the same request is sent again, then DQT is polled for the TRN.",
        facts=[("TRN request", _trn_request_fact(trainee))],
        actions=[_fix(job, fixes.Reregister), _discard(job)],
    )


def _poll_timed_out(job: Job, trainee: Trainee) -> Diagnosis:
    from .services import default_new_deadline

    return Diagnosis(
        TITLES[POLL_TIMED_OUT],
        "DQT assigned no TRN before the poll's deadline. Find out from DQT why the TRN is taking "
        "a while; if there is no issue, poll again with a new deadline.",
        facts=[
            ("Submitted for TRN", str(trainee.submitted_for_trn_at or "—")),
            ("Old deadline", str(job.arguments.get("timeout_after", "—"))),
            ("TRN request", _trn_request_fact(trainee)),
        ],
        actions=[_fix(job, fixes.PollAgain, f"Poll again until {uk_date(default_new_deadline())}")],
    )


def _trn_request_fact(trainee: Trainee) -> str:
    request = getattr(trainee, "dqt_trn_request", None)
    if request is None:
        return "none: the trainee was never registered with DQT"
    return f"{request.request_id} ({request.get_state_display()}, {request.days_waiting} days old)"


BUILDERS = {
    SERVER_ERROR: _server_error,
    UNREACHABLE: _unreachable,
    NOT_FOUND: _not_found,
    NO_QTS: _no_qts,
    NO_INCOMPLETE_ITT: _no_incomplete_itt,
    MULTIPLE_ITT: _multiple_itt,
    ORGANISATION_NOT_FOUND: _organisation_not_found,
    SUBJECT_NOT_FOUND: _subject_not_found,
    ALREADY_QTS: _already_qts,
    UNWITHDRAW_TO_DEFERRED: _unwithdraw_to_deferred,
    PROGRAMME_TYPE_CHANGE: _programme_type_change,
    NO_PROGRAMME_TYPE: _no_programme_type,
    UNKNOWN_IQTS_COUNTRY: _unknown_iqts_country,
    MISSING_TRN: _missing_trn,
    UNKNOWN_TRN_REQUEST: _unknown_trn_request,
    POLL_TIMED_OUT: _poll_timed_out,
}
