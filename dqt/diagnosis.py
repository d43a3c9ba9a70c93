"""Plain-words diagnoses of dead DQT jobs, with the playbook's fix one click away.

``classify`` reads only the ledger's error columns (cheap: the dead-jobs list calls it for
every row). The job page asks for the ``detailed`` diagnosis, which may look the teacher up
on DQT live to put Register and DQT side by side.
"""

from __future__ import annotations

from typing import Literal

from django.urls import reverse

from jobs.diagnosis import Diagnosis, DiagnosisAction
from jobs.models import Job
from regsupport.fixes import Fix
from trainees.models import Trainee

from . import fixes, jobs
from .comparison import compare_with_dqt, differences, organisation_not_found_message
from .errors import DqtError
from .lookups import retrieve_teacher, training_record
from .reference_data import degree_institution

SERVER_ERROR = "server_error"
UNREACHABLE = "unreachable"
NOT_FOUND = "teacher_not_found"
NO_QTS = "no_qts_record"
NO_INCOMPLETE_ITT = "no_incomplete_itt"
ORGANISATION_NOT_FOUND = "organisation_not_found"
ALREADY_QTS = "already_has_qts"
MISSING_TRN = "missing_trn"
POLL_TIMED_OUT = "poll_timed_out"
REPEATED_SERVER_ERRORS = 3

TITLES = {
    SERVER_ERROR: "DQT server error",
    UNREACHABLE: "DQT could not be reached",
    NOT_FOUND: "DQT cannot find the teacher (404, 10001)",
    NO_QTS: "Teacher has no QTS record (400, 10006)",
    NO_INCOMPLETE_ITT: "Teacher has no incomplete ITT record (400, 10005)",
    ORGANISATION_NOT_FOUND: "Degree organisation not found on DQT",
    ALREADY_QTS: "Teacher already has QTS/EYTS date",
    MISSING_TRN: "Update without a TRN",
    POLL_TIMED_OUT: "TRN poll timed out",
}


def _field_messages(job: Job) -> list[tuple[str, str]]:
    fields = job.error_fields or {}
    if not isinstance(fields, dict):
        return []
    return [
        (str(k), str(m)) for k, ms in fields.items() for m in (ms if isinstance(ms, list) else [ms])
    ]


def classify(job: Job) -> str | None:
    """Which known DQT error killed this job, from its indexed error columns."""
    if not job.task_name.startswith("dqt."):
        return None
    messages = _field_messages(job)
    if any(
        key.endswith("providerUkprn") and msg == "Organisation not found" for key, msg in messages
    ):
        return ORGANISATION_NOT_FOUND
    if (
        any(msg == "Teacher already has QTS/EYTS date" for _, msg in messages)
        or job.error_code == 10003
    ):
        return ALREADY_QTS
    if job.error_status == 404 and job.error_code == 10001:
        return NOT_FOUND
    if job.error_status == 400 and job.error_code == 10006:
        return NO_QTS
    if job.error_status == 400 and job.error_code == 10005:
        return NO_INCOMPLETE_ITT
    if job.error_status is not None and (job.error_status >= 500 or job.error_status == 429):
        return SERVER_ERROR
    message = job.error_message or ""
    if message.startswith("Cannot update trainee on DQT without a trn"):
        return MISSING_TRN
    if job.task_name == jobs.RETRIEVE_TRN and "has timed out after" in message:
        return POLL_TIMED_OUT
    if message.startswith(("DQT did not answer", "Could not reach DQT")):
        return UNREACHABLE
    return None


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
    return BUILDERS[kind](job, trainee)


# --- the detailed diagnoses --------------------------------------------------------------------


def _retry(job: Job, label: str = "Retry") -> DiagnosisAction:
    return DiagnosisAction(label, reverse("admin:jobs_job_retry", args=[job.pk]))


def _discard(job: Job, label: str = "Discard") -> DiagnosisAction:
    return DiagnosisAction(label, reverse("admin:jobs_job_discard", args=[job.pk]), style="danger")


def _fix(
    job: Job, fix: type[Fix], label: str = "", style: Literal["default", "danger"] = "default"
) -> DiagnosisAction:
    return DiagnosisAction(label or fix.label, fix().url(job), style=style)


def _dqt_record(trainee: Trainee | None) -> tuple[dict | None, str]:
    """DQT's record of the trainee, or None and why not (never raises: a diagnosis page must
    open even while DQT is down)."""
    if trainee is None:
        return None, "The trainee no longer exists."
    if not trainee.trn:
        return None, "The trainee has no TRN, so DQT cannot be asked by TRN."
    try:
        return retrieve_teacher(trainee), ""
    except DqtError as error:
        return None, f"DQT lookup failed: {error}"


def _server_error(job: Job, trainee) -> Diagnosis:
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


def _unreachable(job: Job, trainee) -> Diagnosis:
    return Diagnosis(
        TITLES[UNREACHABLE],
        "Register could not reach DQT (a timeout or a refused connection). Check that DQT is "
        "up, then retry.",
        facts=[("Last error", job.error_message[:300])],
        actions=[_retry(job)],
    )


def _not_found(job: Job, trainee) -> Diagnosis:
    record, problem = _dqt_record(trainee)
    facts = [("Register's date of birth", str(trainee.date_of_birth) if trainee else "—")]
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


def _states(job: Job, trainee) -> tuple[list[tuple[str, str]], dict | None]:
    record, problem = _dqt_record(trainee)
    facts = [("Register's state", trainee.get_state_display() if trainee else "—")]
    if record is None:
        facts.append(("DQT's record", problem))
        return facts, None
    row = training_record(trainee, record) or {}
    award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
    facts += [
        ("DQT's ITT result", str(row.get("result") or "no matching ITT record")),
        (f"DQT's {trainee.award_type} date", str(record.get(award_field) or "—")),
    ]
    return facts, record


def _no_qts(job: Job, trainee) -> Diagnosis:
    facts, _ = _states(job, trainee)
    return Diagnosis(
        TITLES[NO_QTS],
        "Register and DQT disagree about this trainee's state (seen when a trainee was withdrawn "
        "on DQT and awarded on Register). Check with the support team for existing comms, and "
        "with the provider what the state should be; then correct one side and retry.",
        facts=facts,
        actions=[_retry(job), _discard(job)],
    )


def _no_incomplete_itt(job: Job, trainee) -> Diagnosis:
    facts, record = _states(job, trainee)
    actions = [_retry(job)]
    if job.task_name == jobs.RECOMMEND_FOR_AWARD:
        explanation = (
            "DQT has no training still in progress for this trainee, so it cannot award it: "
            "the trainee may be stuck in recommended for award. If DQT's details match "
            "Register's (trainee details, the provider), award on Register only — no DQT call. "
            "If in any doubt, check with the provider."
        )
        actions.insert(0, _fix(job, fixes.AwardOnRegister))
    else:
        explanation = (
            "DQT has no training still in progress for this trainee. Cross-reference with DQT "
            "and check with the provider what state the trainee should be in."
        )
    return Diagnosis(TITLES[NO_INCOMPLETE_ITT], explanation, facts=facts, actions=actions)


def _organisation_not_found(job: Job, trainee) -> Diagnosis:
    institution = degree_institution(trainee.degree_institution_uuid) if trainee else None
    facts = [
        ("Degree institution id", str(trainee.degree_institution_uuid or "—") if trainee else "—"),
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
        facts=facts
        + [("Text to send to DQT", organisation_not_found_message(trainee) if trainee else "—")],
        actions=[_retry(job, "Retry (after DQT added it)")],
    )


def _already_qts(job: Job, trainee) -> Diagnosis:
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


def _missing_trn(job: Job, trainee) -> Diagnosis:
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


def _poll_timed_out(job: Job, trainee) -> Diagnosis:
    from .services import default_new_deadline

    return Diagnosis(
        TITLES[POLL_TIMED_OUT],
        "DQT assigned no TRN before the poll's deadline. Find out from DQT why the TRN is taking "
        "a while; if there is no issue, poll again with a new deadline.",
        facts=[
            ("Submitted for TRN", str(trainee.submitted_for_trn_at or "—") if trainee else "—"),
            ("Old deadline", str(job.arguments.get("timeout_after", "—"))),
            ("TRN request", _trn_request_fact(trainee)),
        ],
        actions=[
            _fix(job, fixes.PollAgain, f"Poll again until {default_new_deadline():%-d %b %Y}")
        ],
    )


def _trn_request_fact(trainee) -> str:
    request = getattr(trainee, "dqt_trn_request", None) if trainee else None
    if request is None:
        return "none: the trainee was never registered with DQT"
    return f"{request.request_id} ({request.get_state_display()}, {request.days_waiting} days old)"


BUILDERS = {
    SERVER_ERROR: _server_error,
    UNREACHABLE: _unreachable,
    NOT_FOUND: _not_found,
    NO_QTS: _no_qts,
    NO_INCOMPLETE_ITT: _no_incomplete_itt,
    ORGANISATION_NOT_FOUND: _organisation_not_found,
    ALREADY_QTS: _already_qts,
    MISSING_TRN: _missing_trn,
    POLL_TIMED_OUT: _poll_timed_out,
}
