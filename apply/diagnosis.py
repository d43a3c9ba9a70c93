"""Plain-words diagnoses of failed Apply jobs for the dead-jobs console: Apply refused our
token, failed on its side, did not answer, or sent an application we could not read; or
the application's course is not in Register."""

from __future__ import annotations

from django.urls import reverse

from jobs.diagnosis import Diagnosis, DiagnosisAction
from jobs.models import Job
from trainees.models import ApplyApplication

UNAUTHORISED = "unauthorised"
SERVER_ERROR = "server_error"
UNREACHABLE = "unreachable"
REFUSED_QUERY = "refused_query"
MALFORMED = "malformed_application"
MISSING_COURSE = "missing_course"
NO_PROVIDER = "no_provider"

TITLES = {
    UNAUTHORISED: "Apply refused our API token (401)",
    SERVER_ERROR: "Apply server error",
    UNREACHABLE: "Apply did not answer",
    REFUSED_QUERY: "Apply refused the query (422)",
    MALFORMED: "Apply sent an application we cannot read",
    MISSING_COURSE: "The application's course is not in Register",
    NO_PROVIDER: "No provider has the application's body code",
}


def classify(job: Job) -> str | None:
    if not job.task_name.startswith("apply."):
        return None
    if job.error_status == 401:
        return UNAUTHORISED
    if job.error_status == 422:
        return REFUSED_QUERY
    if job.error_status is not None and (job.error_status >= 500 or job.error_status == 429):
        return SERVER_ERROR
    return {
        "Apply timed out": UNREACHABLE,
        "Apply unreachable": UNREACHABLE,
        "Malformed Apply application": MALFORMED,
        "Course not found": MISSING_COURSE,
        "No provider for the body code": NO_PROVIDER,
    }.get(job.error_title or "")


def diagnose_apply_job(job: Job, *, detailed: bool = True) -> Diagnosis | None:
    kind = classify(job)
    if kind is None:
        return None
    if not detailed:
        return Diagnosis(title=TITLES[kind], explanation="")
    retry = DiagnosisAction("Retry", reverse("admin:jobs_job_retry", args=[job.pk]))
    discard = DiagnosisAction(
        "Discard", reverse("admin:jobs_job_discard", args=[job.pk]), style="danger"
    )
    last_error = ("Last error", (job.error_message or "")[:300])
    application = _application_of(job)
    facts = [last_error]
    actions = [retry, discard]
    if application is not None:
        facts.insert(
            0, ("Apply application", f"{application.apply_id} ({application.get_state_display()})")
        )
        actions.insert(
            0,
            DiagnosisAction(
                "Open the application",
                reverse("admin:trainees_applyapplication_change", args=[application.pk]),
            ),
        )
    explanation = {
        UNAUTHORISED: "Apply did not accept the token in recruits_api.auth_token: it is wrong, "
        "expired or was rotated. Ask the Apply team for the current token, set it (environment "
        "variable SETTINGS__RECRUITS_API__AUTH_TOKEN, see the settings page), then retry.",
        SERVER_ERROR: "Apply failed on its side. These usually pass: the job retried by itself "
        "and ran out of attempts. Retry it; if it keeps failing, speak with the Apply team.",
        UNREACHABLE: "Register could not reach Apply, or Apply did not answer within "
        "recruits_api.timeout_seconds. Check that Apply is up, then retry.",
        REFUSED_QUERY: "Apply refused the query, usually a recruitment cycle year it no longer "
        "offers to Register. Check apply_applications.import.recruitment_cycle_years on the "
        "settings page; retry once it is right, or discard.",
        MALFORMED: "Apply sent this application without the details Register needs (its course). "
        "It is kept, with the problem in its invalid data, so nothing is lost; no trainee is "
        "made from it. Ask the Apply team to correct it; once corrected and touched, the next "
        "import reads it again. Discard this job.",
        MISSING_COURSE: "The application names a course Register does not have (courses come "
        "from Publish). Once the course is imported, retry: the trainee is then created.",
        NO_PROVIDER: "No provider in Register has the application's accredited body code. Add or "
        "correct the provider's code, then retry.",
    }[kind]
    if kind == MALFORMED:
        actions = [a for a in actions if a.label != "Retry"]
    return Diagnosis(TITLES[kind], explanation, facts=facts, actions=actions)


def _application_of(job: Job) -> ApplyApplication | None:
    arguments = job.arguments or {}
    if "application_id" in arguments:
        return ApplyApplication.objects.filter(pk=arguments["application_id"]).first()
    data = arguments.get("application_data")
    if isinstance(data, dict) and str(data.get("id", "")).isdigit():
        return ApplyApplication.objects.filter(apply_id=int(data["id"])).first()
    return None
