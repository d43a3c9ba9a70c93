"""Console pages that are not model lists: the dead-jobs index, the queues page, and the
streamed CSV of a filtered dead-jobs list."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.db import connection
from django.db.models import Count, F
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from kombu.transport.redis import Channel as RedisChannel

from regsupport.celery import app as celery_app
from regsupport.config import settings as app_settings
from trainees.models import Trainee

from . import ledger
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


def dead_job_csv_chunks(jobs):
    """The CSV, written by PostgreSQL (COPY ... TO STDOUT, CSV format) and passed through in
    the chunks it arrives in: no Python object per row, so 100,000 rows take about a
    second and memory stays flat. PostgreSQL's CSV quoting survives any CSV reader."""
    from . import registry

    base_url = str(app_settings.get("base_url")).rstrip("/")
    trainee_url = base_url + reverse("admin:trainees_trainee_change", args=[0])
    before, after = trainee_url.split("/0/", 1)
    labels = {t.name: t.label for t in registry.all_types()}
    columns = jobs.order_by("created_at", "id").annotate(
        **{f"c{n}": F(name) for n, name in enumerate(_CSV_FIELDS)}
    )
    inner, inner_params = columns.values_list(
        *[f"c{n}" for n in range(len(_CSV_FIELDS))]
    ).query.sql_with_params()
    c = {name: f"c{n}" for n, name in enumerate(_CSV_FIELDS)}
    select = f"""
        SELECT {c["trainee_id"]} AS register_id, {c["id"]} AS job_id,
               coalesce(%(labels)s::jsonb ->> {c["task_name"]}, {c["task_name"]}) AS job_type,
               CASE WHEN {c["trainee_id"]} IS NULL THEN ''
                    ELSE %(before)s || '/' || {c["trainee_id"]} || '/' || %(after)s END AS url,
               {c["trainee__trn"]} AS trn, {c["trainee__date_of_birth"]} AS date_of_birth,
               concat_ws(' ', nullif({c["trainee__first_names"]}, ''),
                         nullif({c["trainee__middle_names"]}, ''),
                         nullif({c["trainee__last_name"]}, '')) AS full_name,
               {c["trainee__email"]} AS email,
               %(states)s::jsonb ->> {c["trainee__state"]}::text AS state,
               {c["trainee__provider__name"]} AS provider_name,
               {c["trainee__provider__ukprn"]} AS provider_ukprn,
               %(routes)s::jsonb ->> {c["trainee__training_route"]}::text AS training_route,
               {c["trainee__itt_start_date"]} AS itt_start_date,
               {c["trainee__itt_end_date"]} AS itt_end_date,
               {c["trainee__course_min_age"]} AS course_min_age,
               {c["trainee__course_max_age"]} AS course_max_age,
               {c["trainee__course_subject_one"]} AS course_subject_one,
               {c["trainee__course_subject_two"]} AS course_subject_two,
               {c["trainee__course_subject_three"]} AS course_subject_three,
               {c["error_message"]} AS error_message, {c["error_status"]} AS error_status,
               {c["error_code"]} AS error_code, {c["error_title"]} AS error_title,
               {c["attempts"]} AS attempts
        FROM ({inner}) AS dead"""
    # The inner query's own placeholders are positional; name ours to keep them apart.
    named = {
        "labels": json.dumps(labels),
        "before": before,
        "after": after,
        "states": json.dumps({str(k): str(v) for k, v in Trainee.State.choices}),
        "routes": json.dumps({str(k): str(v) for k, v in Trainee.TrainingRoute.choices}),
    }
    statement, params = _merge_params(select, named, inner_params)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER true)", params
        ) as copy:
            for chunk in copy:
                yield bytes(chunk)


def _merge_params(sql: str, named: dict, positional) -> tuple[str, list]:
    """Turn our %(name)s placeholders and the inner query's %s into one positional list,
    in order of appearance."""
    import re

    params: list = []
    positional = list(positional)
    pieces = re.split(r"(%\(\w+\)s|%s)", sql)
    out = []
    for piece in pieces:
        if piece == "%s":
            params.append(positional.pop(0))
            out.append("%s")
        elif piece.startswith("%(") and piece.endswith(")s"):
            params.append(named[piece[2:-2]])
            out.append("%s")
        else:
            out.append(piece)
    return "".join(out), params


def dead_jobs_csv_response(jobs, *, label: str) -> StreamingHttpResponse:
    filename = f"{label}_{timezone.localdate().isoformat()}.csv"
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
    trainee_jobs = None
    states = list(Job.WAITING_STATES)
    # Running jobs keep their waiting state in the ledger; a worker's lock tells them apart.
    running_ids = sorted(ledger.running_job_ids())
    running = dict(
        Job.objects.filter(pk__in=running_ids, state__in=states)
        .order_by()
        .values_list("queue")
        .annotate(n=Count("id"))
    )
    if trainee_id.isdigit():
        trainee_jobs = list(jobs_for_trainee(int(trainee_id)).exclude(state=Job.State.SUCCEEDED))
        for job in trainee_jobs:
            job.state_label = (
                "Running"
                if job.state in states and job.pk in running_ids
                else job.get_state_display()
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
