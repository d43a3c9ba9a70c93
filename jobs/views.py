"""Console pages that are not model lists: the dead-jobs index, the queues page, and the
streamed CSV of a filtered dead-jobs list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from kombu.transport.redis import Channel as RedisChannel

from regsupport.celery import app as celery_app
from trainees.selectors import trainees_matching

from . import columns, ledger
from .models import Job
from .selectors import dead_job_summary, queue_summary

# A name can match many trainees: the queues page lists the jobs of the first few.
TRAINEES_SHOWN = 20


def dead_job_csv_chunks(jobs):
    """The CSV, oldest job first, written by PostgreSQL (COPY ... TO STDOUT, CSV format) and
    passed through in the chunks it arrives in: no Python object per row, so memory stays
    flat however long the list. PostgreSQL's CSV quoting survives any CSV reader, and text
    cells that a spreadsheet would run as a formula are neutralised in the query."""
    yield columns.csv_header()
    try:
        query, params = columns.csv_values(
            jobs.order_by("created_at", "id")
        ).query.sql_with_params()
    except EmptyResultSet:
        return  # a filter no job can match (a value no column can hold): no SQL to run
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for chunk in copy:
                yield bytes(chunk)


def dead_jobs_csv_response(jobs, *, label: str) -> StreamingHttpResponse:
    # No spaces: a file name a shell, a mail client or a ticket system takes as it is.
    filename = f"dead-jobs_{slugify(label)}_{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(dead_job_csv_chunks(jobs), content_type="text/csv")
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
    trainee_jobs: list[Any] | None = None
    states = list(Job.WAITING_STATES)
    # Running jobs keep their waiting state in the ledger; a worker's lock tells them apart.
    running_ids = sorted(ledger.running_job_ids())
    running = dict(
        Job.objects.filter(pk__in=running_ids, state__in=states)
        .order_by()
        .values_list("queue")
        .annotate(n=Count("id"))
    )
    trainee_error = ""
    if trainee_id:
        matched = trainees_matching(trainee_id, limit=TRAINEES_SHOWN)
        trainee_jobs = list(
            Job.objects.filter(trainee_id__in=matched)
            .exclude(state=Job.State.SUCCEEDED)
            .select_related("trainee")
            .order_by("trainee_id", "id")
        )
        for job in trainee_jobs:
            job.state_label = (
                "Running"
                if job.state in states and job.pk in running_ids
                else job.get_state_display()
            )
        if not matched:
            trainee_jobs = None
            trainee_error = (
                f"No trainee matches '{trainee_id}': give a trainee id, slug, TRN or email, "
                "or the start of their names."
            )
    broker = _broker_lengths()
    summary = queue_summary()
    for queue in summary:
        queue["in_redis"] = broker.get(queue["queue"])
        queue["running"] = running.get(queue["queue"], 0)
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
        "trainee_error": trainee_error,
        "states": [Job.State(s).label for s in states],
    }
    return TemplateResponse(request, "admin/jobs/queues.html", context)


def _broker_lengths() -> dict[str, int | str]:
    """Messages sitting in Redis per queue: differs from the ledger when Redis lost some
    (the sweeper puts them back) or holds duplicates (dropped when they arrive)."""
    lengths: dict[str, int | str] = {}
    try:
        with celery_app.connection_for_write() as connection:
            channel = connection.default_channel
            if not isinstance(channel, RedisChannel):
                raise TypeError("The Celery broker is not Redis.")
            client = channel.client
            for queue in settings.JOBS_QUEUES:
                lengths[queue] = client.llen(queue)
    except Exception as error:  # noqa: BLE001 - the page still shows the ledger
        return {"error": f"Redis unreachable: {error}"}
    return lengths
