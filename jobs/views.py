"""Console pages that are not model lists: the dead-jobs index, the queues page, and the
streamed CSV of a filtered dead-jobs list."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from regsupport.celery import app as celery_app
from regsupport.config import settings as app_settings
from trainees.models import Trainee

from .models import Job
from .selectors import dead_job_summary, jobs_for_trainee, queue_summary

CSV_COLUMNS = [
    "register_id",
    "job_id",
    "job_type",
    "url",
    "trn",
    "date_of_birth",
    "full_name",
    "email",
    "state",
    "provider_name",
    "provider_ukprn",
    "training_route",
    "itt_start_date",
    "itt_end_date",
    "course_min_age",
    "course_max_age",
    "course_subject_one",
    "course_subject_two",
    "course_subject_three",
    "error_message",
    "error_status",
    "error_code",
    "error_title",
    "attempts",
]
_CSV_FIELDS = [
    "trainee_id",
    "id",
    "task_name",
    "trainee__slug",
    "trainee__trn",
    "trainee__date_of_birth",
    "trainee__first_names",
    "trainee__middle_names",
    "trainee__last_name",
    "trainee__email",
    "trainee__state",
    "trainee__provider__name",
    "trainee__provider__ukprn",
    "trainee__training_route",
    "trainee__itt_start_date",
    "trainee__itt_end_date",
    "trainee__course_min_age",
    "trainee__course_max_age",
    "trainee__course_subject_one",
    "trainee__course_subject_two",
    "trainee__course_subject_three",
    "error_message",
    "error_status",
    "error_code",
    "error_title",
    "attempts",
]
CHUNK_ROWS = 2000


class _Lines:
    """csv.writer target that hands back what was written."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def dead_job_csv_rows(jobs):
    """CSV text in chunks, read from the database in chunks: memory stays flat however
    many jobs match."""
    from . import registry

    base_url = str(app_settings.get("base_url")).rstrip("/")
    trainee_path = reverse("admin:trainees_trainee_change", args=[0]).replace("/0/", "/{}/")
    states = dict(Trainee.State.choices)
    routes = dict(Trainee.TrainingRoute.choices)
    labels: dict[str, str] = {}
    out = _Lines()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = jobs.order_by("created_at", "id").values_list(*_CSV_FIELDS)
    for n, row in enumerate(rows.iterator(chunk_size=CHUNK_ROWS), 1):
        (
            trainee_id,
            job_id,
            task_name,
            slug,
            trn,
            dob,
            first,
            middle,
            last,
            email,
            state,
            provider_name,
            ukprn,
            route,
            start,
            end,
            min_age,
            max_age,
            s1,
            s2,
            s3,
            message,
            status,
            code,
            title,
            attempts,
        ) = row
        if task_name not in labels:
            labels[task_name] = registry.label_for(task_name)
        writer.writerow(
            [
                trainee_id,
                job_id,
                labels[task_name],
                base_url + trainee_path.format(trainee_id) if trainee_id else "",
                trn,
                _iso(dob),
                " ".join(p for p in (first, middle, last) if p),
                email,
                states.get(state, ""),
                provider_name,
                ukprn,
                routes.get(route, ""),
                _iso(start),
                _iso(end),
                min_age,
                max_age,
                s1,
                s2,
                s3,
                message,
                status,
                code,
                title,
                attempts,
            ]
        )
        if n % 500 == 0:
            yield out.take()
    yield out.take()


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def dead_jobs_csv_response(jobs, *, label: str) -> StreamingHttpResponse:
    filename = f"{label}_{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(dead_job_csv_rows(jobs), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required("jobs.view_deadjob", raise_exception=True)
def dead_jobs_index(request):
    summary = dead_job_summary()
    list_url = reverse("admin:jobs_deadjob_changelist")
    csv_url = reverse("admin:jobs_deadjob_csv")
    for row in summary:
        row["list_url"] = f"{list_url}?task_name={row['task_name']}"
        row["csv_url"] = f"{csv_url}?task_name={row['task_name']}"
    context = {
        **admin.site.each_context(request),
        "title": "Dead jobs",
        "summary": summary,
        "total": sum(r["count"] for r in summary),
        "total_trainees": Job.objects.dead().unique_trainees(),
    }
    return TemplateResponse(request, "admin/jobs/dead_jobs_index.html", context)


@permission_required("jobs.inspect_queues", raise_exception=True)
def queues(request):
    trainee_id = (request.GET.get("trainee") or "").strip()
    trainee_jobs = None
    if trainee_id.isdigit():
        trainee_jobs = list(jobs_for_trainee(int(trainee_id)).exclude(state=Job.State.SUCCEEDED))
    states = list(Job.WAITING_STATES)
    broker = _broker_lengths()
    summary = queue_summary()
    for queue in summary:
        queue["in_redis"] = broker.get(queue["queue"])
        queue["rows"] = [
            (by_type["label"], [by_type["states"].get(state, 0) for state in states])
            for by_type in queue["types"].values()
        ]
    context = {
        **admin.site.each_context(request),
        "title": "Job queues",
        "queues": summary,
        "broker_lengths": broker,
        "trainee_id": trainee_id,
        "trainee_jobs": trainee_jobs,
        "states": [Job.State(s).label for s in states],
    }
    return TemplateResponse(request, "admin/jobs/queues.html", context)


def _broker_lengths() -> dict[str, int | str]:
    """Messages sitting in Redis per queue: differs from the ledger when Redis lost some
    (the sweeper puts them back) or holds duplicates (dropped when they arrive)."""
    lengths: dict[str, int | str] = {}
    try:
        with celery_app.connection_for_write() as connection:
            client = connection.default_channel.client
            for queue in ("default", "dqt", "apply"):
                lengths[queue] = client.llen(queue)
    except Exception as error:  # noqa: BLE001 - the page still shows the ledger
        return {"error": f"Redis unreachable: {error}"}
    return lengths
