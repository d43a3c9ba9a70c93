"""Reads of DQT for console pages: what DQT holds for a trainee, asked live.

Register's Admin tab shows DQT's record of a trainee with a TRN, or "Data not available"
when DQT fails (``app/components/trainee_admin/view.rb`` and
``app/components/dqt_data_summary/view.rb`` in DFE-Digital/register-trainee-teachers). The
trainee page here does the same, beside Register's values, with a short timeout so a slow
DQT delays the page by seconds at most, and says why when DQT cannot be asked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from django.db.models import F, QuerySet
from django.utils import timezone

from jobs.models import Job
from regsupport.config import settings as app_settings
from regsupport.dates import readable
from trainees.models import Trainee

from . import jobs
from .client import DqtClient
from .comparison import FieldComparison, compare_with_dqt, dqt_award_date
from .errors import DqtError
from .lookups import retrieve_teacher, training_record

# DQT's own sections, shown after the general rows (as Register's DqtDataSummary does).
TRAININGS = "initialTeacherTraining"
LEFT_OUT = (TRAININGS, "earlyYearsStatus")


@dataclass
class DqtCard:
    """What the trainee page shows of DQT. ``message`` says why there is nothing else."""

    asked: bool
    message: str = ""
    asked_at: Any = None
    comparisons: list[FieldComparison] = field(default_factory=list)
    record: list[tuple[str, str]] = field(default_factory=list)
    trainings: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(not row.matches for row in self.comparisons)


def console_timeout() -> float:
    return float(app_settings.get("dqt.console_timeout_seconds", 3))


def console_client() -> DqtClient:
    """A client for a console page: it gives up after ``dqt.console_timeout_seconds``, also
    when waiting for its turn under the rate limit."""
    timeout = console_timeout()
    return DqtClient(timeout=timeout, max_rate_wait=timeout)


def trainee_dqt_card(trainee: Trainee) -> DqtCard | None:
    """DQT's record of ``trainee``, asked now; None when the trainee has no TRN (DQT can
    only be asked by TRN). Never raises for DQT's sake: a failure is the card's message."""
    if not trainee.trn:
        return None
    if not jobs.integration_enabled():
        return DqtCard(
            asked=False,
            message="DQT integration is off (features.integrate_with_dqt): DQT was not asked.",
        )
    try:
        record = retrieve_teacher(trainee, client=console_client())
    except (DqtError, requests.RequestException) as error:
        return DqtCard(asked=True, asked_at=timezone.now(), message=f"DQT could not say: {error}")
    return DqtCard(
        asked=True,
        asked_at=timezone.now(),
        comparisons=[
            row._replace(
                register_value=readable(row.register_value), dqt_value=readable(row.dqt_value)
            )
            for row in compare_with_dqt(trainee, record)
        ],
        record=_rows({k: v for k, v in record.items() if k not in LEFT_OUT}),
        trainings=[_rows(row) for row in record.get(TRAININGS) or [] if isinstance(row, dict)],
    )


def _rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, _text(value)) for key, value in data.items()]


def _text(value: Any) -> str:
    """DQT's value as one line: nested objects as ``key: value`` pairs, blanks as "-"."""
    if value in (None, "", [], {}):
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return "; ".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(readable(value))


# --- Register's Pending TRNs and Pending awards pages ------------------------------------------
# app/controllers/system_admin/pending_trns_controller.rb, pending_awards_controller.rb and
# their views in DFE-Digital/register-trainee-teachers: the same trainees, sorts and columns.

PENDING_SORTS = {"days_waiting": "Days waiting", "register": "Register"}
AWARD_SORTS = {"days_waiting": "Days waiting", "trn": "TRN", "register": "Register"}


@dataclass
class PendingRow:
    trainee: Trainee
    days_waiting: int | None
    job: Job | None

    @property
    def job_moment(self) -> tuple[str, datetime | None]:
        """Register's "Last run/Next scheduled": when a waiting job runs next, else when
        the job last ran."""
        job = self.job
        if job is None:
            return "", None
        if job.state in (Job.State.SCHEDULED, Job.State.RETRYING) and job.run_after:
            return "next", job.run_after
        return "last", job.started_at or job.created_at


def _latest_jobs(trainee_ids: list[int], task_names: tuple[str, ...]) -> dict[int, Job]:
    """Each trainee's newest job of these types, in one query (PostgreSQL's DISTINCT ON)."""
    rows = (
        Job.objects.filter(trainee_id__in=trainee_ids, task_name__in=task_names)
        .order_by("trainee_id", "-id")
        .distinct("trainee_id")
    )
    return {job.trainee_id: job for job in rows if job.trainee_id is not None}


def _days(since: datetime | None) -> int | None:
    return (timezone.localdate() - timezone.localdate(since)).days if since else None


def pending_trns(sort: str = "days_waiting") -> QuerySet[Trainee]:
    """Kept trainees submitted for TRN. As in Register, days waiting count from the TRN
    request, and those waiting longest come first; trainees without a request (DQT was
    never asked) count as 0 days and come last. ``register``: by id."""
    trainees = (
        Trainee.objects.kept()
        .filter(state=Trainee.State.SUBMITTED_FOR_TRN)
        .select_related("dqt_trn_request", "provider")
    )
    if sort == "register":
        return trainees.order_by("pk")
    return trainees.order_by(F("dqt_trn_request__created_at").asc(nulls_last=True), "pk")


def pending_trn_rows(trainees: list[Trainee]) -> list[PendingRow]:
    latest = _latest_jobs([t.pk for t in trainees], (jobs.REGISTER_FOR_TRN, jobs.RETRIEVE_TRN))
    return [PendingRow(t, _request_days(t), latest.get(t.pk)) for t in trainees]


def _request_days(trainee: Trainee) -> int | None:
    request = getattr(trainee, "dqt_trn_request", None)
    return _days(request.created_at) if request is not None else None


def pending_awards(sort: str = "days_waiting") -> QuerySet[Trainee]:
    """Kept trainees recommended for award, whom DQT has not (to Register's knowledge) awarded."""
    trainees = Trainee.objects.kept().filter(state=Trainee.State.RECOMMENDED_FOR_AWARD)
    orders = {"trn": ("trn", "pk"), "register": ("pk",)}
    return trainees.order_by(
        *orders.get(sort, (F("recommended_for_award_at").asc(nulls_last=True), "pk"))
    )


def pending_award_rows(trainees: list[Trainee]) -> list[PendingRow]:
    latest = _latest_jobs([t.pk for t in trainees], (jobs.RECOMMEND_FOR_AWARD,))
    return [PendingRow(t, _days(t.recommended_for_award_at), latest.get(t.pk)) for t in trainees]


def formatted_trn_response(response: Any) -> str:
    """The stored TRN request as Register's ``formatted_dqt_trn_response`` shows it: pretty
    JSON, and a failed request's ``status: …, body: …, headers: …`` text taken apart."""
    if response is None:
        return ""
    if isinstance(response, dict) and isinstance(response.get("error"), str):
        text = response["error"]
        status = re.search(r"(?<=status: )\d+", text)
        body = re.search(r"(?<=body: ).*?(?=, headers:)", text, re.S)
        headers = re.search(r"(?<=headers: ).*$", text, re.S)
        response = {
            "error": {
                "status": int(status.group()) if status else None,
                "body": _json_or_text(body.group() if body else ""),
                "headers": _json_or_text((headers.group() if headers else "").replace("=>", ":")),
            }
        }
    return json.dumps(response, indent=2, ensure_ascii=False)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


AWARD_HELD, AWARD_NOT_YET, AWARD_UNKNOWN = "held", "not yet", "unknown"


def award_check(trainee: Trainee) -> tuple[str, str]:
    """The Pending awards page's *Check*: whether DQT holds the trainee's award, asked now.
    Returns ``AWARD_HELD``, ``AWARD_NOT_YET`` or ``AWARD_UNKNOWN`` (DQT could not be
    asked) and what to tell the agent; never raises for DQT's sake."""
    name = trainee.full_name
    if not trainee.trn:
        return AWARD_UNKNOWN, f"{name} has no TRN: DQT cannot be asked."
    if not jobs.integration_enabled():
        return (
            AWARD_UNKNOWN,
            "DQT integration is off (features.integrate_with_dqt): DQT was not asked.",
        )
    try:
        record = retrieve_teacher(trainee, client=console_client())
    except (DqtError, requests.RequestException) as error:
        return AWARD_UNKNOWN, f"API error: {error}"
    held = dqt_award_date(trainee, record)
    job = _latest_jobs([trainee.pk], (jobs.RECOMMEND_FOR_AWARD,)).get(trainee.pk)
    job_text = (
        f"Register's award job #{job.pk} is {job.get_state_display().lower()}"
        if job
        else "Register has no award job for this trainee"
    )
    if held:
        return AWARD_HELD, (
            f"DQT holds the {trainee.award_type} award of {name}, dated {held}, but Register "
            f"does not yet: {job_text}. Open the job; a dead one offers Award on Register only."
        )
    row = training_record(trainee, record)
    result = (row or {}).get("result") or "no training at Register's provider"
    return AWARD_NOT_YET, f"DQT has not awarded {name} yet (DQT's training: {result}). {job_text}."
