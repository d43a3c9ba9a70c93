"""Dead DQT jobs of every kind the playbook knows, for `make run`'s demo console.

Each dead job is a real ledger row left as a failed attempt leaves it (error columns and
the error text DQT or the job would have produced), on a demo trainee whose state fits.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from jobs import registry as job_types
from jobs.models import Job
from trainees.models import Trainee

from . import jobs
from .errors import DqtHttpError
from .reference_data import degree_institutions

REASON = "Demo data"


# The headers DQT answers an error with (its Program.cs adds the last three).
DQT_ERROR_HEADERS = {
    "Content-Type": "application/problem+json; charset=utf-8",
    "Date": "Fri, 20 Nov 2026 10:00:00 GMT",
    "X-Frame-Options": "deny",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "0",
}


def _message(status: int, body: dict) -> str:
    """The error text a failed call leaves, as the client writes it."""
    text = json.dumps(body, separators=(",", ":"))
    return str(DqtHttpError(status=status, body=text, headers=DQT_ERROR_HEADERS))


def _problem(status: int, title: str, code: int | None = None) -> tuple[str, dict]:
    body: dict = {"title": title, "status": status}
    if code is not None:
        body["errorCode"] = code
    return _message(status, body), body


def _validation(field: str, message: str) -> tuple[str, dict]:
    body = {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {field: [message]},
    }
    return _message(400, body), body


def _kinds():
    server, _ = _problem(500, "Internal Server Error")
    not_found, _ = _problem(404, "Teacher with specified TRN not found", 10001)
    no_qts, _ = _problem(400, "Teacher has no QTS record", 10006)
    no_itt, _ = _problem(400, "Teacher has no incomplete ITT record", 10005)
    org, org_body = _validation("qualification.providerUkprn", "Organisation not found")
    qts, qts_body = _validation(
        "initialTeacherTraining.programmeType", "Teacher already has QTS/EYTS date"
    )
    S = Trainee.State
    return [
        # (job type, trainee state, needs TRN, status, code, title, fields, message, attempts)
        (
            jobs.UPDATE_TRAINEE,
            S.TRN_RECEIVED,
            True,
            500,
            None,
            "Internal Server Error",
            None,
            server,
            5,
        ),
        (
            jobs.UPDATE_TRAINEE,
            S.TRN_RECEIVED,
            True,
            500,
            None,
            "Internal Server Error",
            None,
            server,
            1,
        ),
        (
            jobs.UPDATE_TRAINEE,
            S.TRN_RECEIVED,
            True,
            404,
            10001,
            "Teacher with specified TRN not found",
            None,
            not_found,
            1,
        ),
        (
            jobs.WITHDRAW_TRAINEE,
            S.WITHDRAWN,
            True,
            404,
            10001,
            "Teacher with specified TRN not found",
            None,
            not_found,
            1,
        ),
        (
            jobs.RECOMMEND_FOR_AWARD,
            S.RECOMMENDED_FOR_AWARD,
            True,
            400,
            10006,
            "Teacher has no QTS record",
            None,
            no_qts,
            1,
        ),
        (
            jobs.RECOMMEND_FOR_AWARD,
            S.RECOMMENDED_FOR_AWARD,
            True,
            400,
            10005,
            "Teacher has no incomplete ITT record",
            None,
            no_itt,
            1,
        ),
        (
            jobs.WITHDRAW_TRAINEE,
            S.WITHDRAWN,
            True,
            400,
            10005,
            "Teacher has no incomplete ITT record",
            None,
            no_itt,
            1,
        ),
        (
            jobs.UPDATE_TRAINEE,
            S.TRN_RECEIVED,
            True,
            400,
            None,
            "qualification.providerUkprn: Organisation not found",
            org_body["errors"],
            org,
            1,
        ),
        (
            jobs.UPDATE_TRAINEE,
            S.AWARDED,
            True,
            400,
            None,
            "initialTeacherTraining.programmeType: Teacher already has QTS/EYTS date",
            qts_body["errors"],
            qts,
            1,
        ),
        (
            jobs.UPDATE_TRAINEE,
            S.DEFERRED,
            False,
            None,
            None,
            "Cannot update trainee on DQT without a TRN",
            None,
            "MISSING_TRN",
            1,
        ),
        (
            jobs.RETRIEVE_TRN,
            S.SUBMITTED_FOR_TRN,
            False,
            None,
            None,
            "TRN poll timed out",
            None,
            "TIMED_OUT",
            1,
        ),
    ]


def seed_dead_jobs() -> int:
    """One or more dead jobs per known error; returns how many were made."""
    from .models import TrnRequest

    used: set[int] = set()
    made = 0
    now = timezone.now()
    unknown_to_dqt = next((i for i in degree_institutions().values() if i.ukprn), None)
    for index, (
        task,
        state,
        needs_trn,
        status,
        code,
        title,
        fields,
        message,
        attempts,
    ) in enumerate(_kinds()):
        candidates = Trainee.objects.kept().filter(state=state).exclude(pk__in=used)
        candidates = candidates.exclude(trn="") if needs_trn else candidates.filter(trn="")
        trainee = candidates.order_by("pk").first()
        if trainee is None:
            continue
        used.add(trainee.pk)
        arguments: dict = {"trainee_id": trainee.pk}
        if message == "MISSING_TRN":
            message = f"Cannot update trainee on DQT without a trn (id: {trainee.pk})\nslug: {trainee.slug}"
        if task == jobs.RETRIEVE_TRN:
            request, _ = TrnRequest.objects.get_or_create(trainee=trainee)
            deadline = (trainee.submitted_for_trn_at or now) + timedelta(days=jobs.max_poll_days())
            arguments = {"trn_request_id": request.pk, "timeout_after": deadline.isoformat()}
            message = f"Dqt::RetrieveTrnJob for Trainee id: {trainee.pk} has timed out after 4 days"
        if code == 10001 and task == jobs.UPDATE_TRAINEE:
            # The classic cause: Register's date of birth was corrected after DQT had it.
            trainee.date_of_birth = trainee.date_of_birth + timedelta(days=1)
            trainee.save_with_reason("Demo data: the provider corrected the date of birth")
        if fields and "qualification.providerUkprn" in fields and unknown_to_dqt:
            trainee.degree_institution_uuid = unknown_to_dqt.uuid
            trainee.save_with_reason(REASON)
        created = now - timedelta(days=1 + index * 3)
        errors = [
            {
                "attempt": n,
                "at": (created + timedelta(minutes=n)).isoformat(),
                "status": status,
                "code": code,
                "title": title,
                "message": message,
            }
            for n in range(1, attempts + 1)
        ]
        Job.objects.create(
            task_name=task,
            arguments=arguments,
            trainee=trainee,
            queue="dqt",
            state=Job.State.DEAD,
            attempts=attempts,
            max_attempts=job_types.get(task).max_attempts,
            created_at=created,
            enqueued_at=created,
            started_at=created,
            finished_at=created + timedelta(minutes=attempts),
            error_status=status,
            error_code=code,
            error_title=title,
            error_fields=fields,
            error_message=message,
            errors=errors,
        )
        made += 1
    return made
