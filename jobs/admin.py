"""The dead-jobs console and the job ledger in the admin. Thin: every change is a call to
``jobs.services``; refusals (``JobError``, a ``Refusal``) are shown to the agent as error
messages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from providers.models import Provider
from regsupport.admin_site import ConsoleTool, console_site
from regsupport.admin_tools import AuditedAdmin, Confirmation, confirm_action
from regsupport.dates import readable
from regsupport.ids import parse_id, parse_number
from trainees.models import Trainee
from trainees.selectors import trainees_matching

from . import columns, registry, services, views
from .diagnosis import diagnose
from .models import DeadJob, Job
from .selectors import distinct_dead_values, retry_batch, retry_batch_marker

# A blocked job's note names the earlier job it waits for (jobs/ledger.py).
BLOCKER = re.compile(r"job (?P<id>\d+)")


def _argument(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(readable(value))


class DeferredJoinPaginator(Paginator):
    """Pages by id first (an index-only scan, from whichever end of the list is nearer),
    then loads the 100 rows with their trainee and provider."""

    # The admin's changelist always pages a queryset.
    object_list: QuerySet[Any]

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids_in_order = self.object_list.values_list("pk", flat=True)
        if bottom > self.count // 2:
            # Past the middle, the page is nearer the end: read it backwards from the end
            # (the same index, scanned the other way) and turn it round, so no page skips
            # more than half the list (page 900 of 1,000 skips 10,000 ids, not 89,900).
            from_end = ids_in_order.reverse()[self.count - top : self.count - bottom]
            ids = list(from_end)[::-1]
        else:
            ids = list(ids_in_order[bottom:top])
        by_id = {row.pk: row for row in self.load_rows(ids)}
        return Page([by_id[i] for i in ids if i in by_id], number, self)

    def load_rows(self, ids: list[int]) -> Iterable[Any]:
        return self.object_list.model._default_manager.filter(pk__in=ids).select_related(
            "trainee__provider"
        )


class DeadJobChangeList(ChangeList):
    """The dead-jobs list: its rows are ``DeadJobRow``s on every page, the first included
    (a list that fits on one page is not paged by the admin, it keeps the queryset)."""

    def get_results(self, request):
        super().get_results(request)
        if isinstance(self.result_list, QuerySet):
            self.result_list = columns.dead_rows(self.result_list)


class DeadJobPaginator(DeferredJoinPaginator):
    """The dead-jobs list's pages, as ``DeadJobRow``s."""

    def load_rows(self, ids: list[int]) -> Iterable[Any]:
        # page() puts the rows in the ids' order, so the query needs none.
        jobs = self.object_list.model._default_manager.filter(pk__in=ids).order_by()
        return columns.dead_rows(jobs)


class JobTypeFilter(admin.SimpleListFilter):
    title = "job type"
    parameter_name = "task_name"

    def lookups(self, request, model_admin):
        return [(t.name, t.label) for t in registry.all_types()]

    def queryset(self, request, queryset):
        return queryset.filter(task_name=self.value()) if self.value() else queryset


class DeadValueFilter(admin.SimpleListFilter):
    column = ""

    def lookups(self, request, model_admin):
        return [(str(v), str(v)) for v in distinct_dead_values(self.column)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # A value that is not a number matches no job, as a number no job has would.
        if (value := parse_number(self.value())) is None:
            return queryset.none()
        return queryset.filter(**{self.column: value})


class ErrorStatusFilter(DeadValueFilter):
    title = "error status"
    parameter_name = "error_status"
    column = "error_status"


class ErrorCodeFilter(DeadValueFilter):
    title = "error code"
    parameter_name = "error_code"
    column = "error_code"


class ProviderFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Provider.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if (provider_id := parse_id(self.value())) is None:
            return queryset.none()
        # With the (provider_id, id) index on trainees and (trainee, age) on dead jobs,
        # this is two index-only scans and a small sort.
        return queryset.filter(
            trainee_id__in=Trainee.objects.filter(provider_id=provider_id).values("pk")
        )


class RetryBatchFilter(admin.SimpleListFilter):
    """The jobs one bulk retry sent back (where *Retry selected* leads); offered only when
    the URL names a retry."""

    title = "retried together"
    parameter_name = "retried"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, "These jobs")] if value else []

    def queryset(self, request, queryset):
        if (value := self.value()) is None:
            return queryset
        return queryset.filter(pk__in=retry_batch(value).values("pk"))


class DaysWaitingFilter(admin.SimpleListFilter):
    title = "days waiting"
    parameter_name = "days"
    BUCKETS = {"0-1": (0, 1), "2-7": (2, 7), "8-30": (8, 30), "31+": (31, None)}

    def lookups(self, request, model_admin):
        return [(key, f"{key} days") for key in self.BUCKETS]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None or value not in self.BUCKETS:
            return queryset
        low, high = self.BUCKETS[value]
        today = timezone.localdate()
        start = timezone.make_aware(
            datetime.combine(today - timedelta(days=low - 1), datetime.min.time())
        )
        queryset = queryset.filter(created_at__lt=start)
        if high is not None:
            end = timezone.make_aware(
                datetime.combine(today - timedelta(days=high), datetime.min.time())
            )
            queryset = queryset.filter(created_at__gte=end)
        return queryset


class JobPageMixin(AuditedAdmin):
    """The job page: arguments, every attempt with its error, the trainee, the diagnosis,
    and Retry / Discard buttons leading to a confirmation page."""

    change_form_template = "admin/jobs/job_change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("jobs.retry_job")

    def has_discard_permission(self, request):
        return request.user.has_perm("jobs.discard_job")

    @admin.display(description="job type", ordering="task_name")
    def job_type(self, job):
        return job.type_label

    @admin.display(description="trainee", ordering="trainee_id")
    def trainee_link(self, job):
        if not job.trainee_id:
            return "—"
        url = reverse("admin:trainees_trainee_change", args=[job.trainee_id])
        return format_html('<a href="{}">{}</a>', url, job.trainee.full_name or job.trainee_id)

    @admin.display(description="note")
    def note_display(self, job):
        """The note, with the job a blocked job waits for as a link to it."""
        if not job.note:
            return "—"
        match = BLOCKER.search(job.note)
        if match is None:
            return job.note
        url = reverse("admin:jobs_job_change", args=[match["id"]])
        return format_html(
            '{}<a href="{}">job {}</a>{}',
            job.note[: match.start()],
            url,
            match["id"],
            job.note[match.end() :],
        )

    @admin.display(description="state")
    def state_display(self, job):
        if job.is_running:
            return f"Running (a worker has it; the ledger says {job.get_state_display().lower()})"
        return job.get_state_display()

    @admin.display(description="arguments")
    def arguments_display(self, job):
        if not isinstance(job.arguments, dict) or not job.arguments:
            return format_html("<pre>{}</pre>", json.dumps(job.arguments))
        return format_html(
            '<table class="job-arguments">{}</table>',
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                (
                    (name.replace("_", " ").capitalize(), _argument(value))
                    for name, value in sorted(job.arguments.items())
                ),
            ),
        )

    @admin.display(description="attempts with errors")
    def attempts_display(self, job):
        if not job.errors:
            return "No failed attempts."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
            (
                (
                    e.get("attempt"),
                    readable(e.get("at")),
                    e.get("status") or "—",
                    e.get("code") or "—",
                    e.get("title") or "—",
                    e.get("message"),
                )
                for e in job.errors
            ),
        )
        return format_html(
            '<table class="job-attempts"><thead><tr><th>Attempt</th><th>When</th>'
            "<th>Status</th><th>Code</th><th>Title</th><th>Message</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:pk>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="{}_{}_retry".format(*info),
            ),
            path(
                "<int:pk>/discard/",
                self.admin_site.admin_view(self.discard_view),
                name="{}_{}_discard".format(*info),
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        job = self.get_object(request, object_id)
        if job is not None:
            info = self.opts.app_label, self.opts.model_name
            buttons = []
            if job.state == Job.State.DEAD and self.has_retry_permission(request):
                buttons.append(
                    {
                        "label": "Retry",
                        "css_class": "job-retry",
                        "url": reverse("admin:{}_{}_retry".format(*info), args=[job.pk]),
                    }
                )
            if (
                job.state not in (Job.State.DISCARDED, Job.State.SUCCEEDED)
                and not job.is_running
                and self.has_discard_permission(request)
            ):
                buttons.append(
                    {
                        "label": "Discard",
                        "css_class": "job-discard",
                        "url": reverse("admin:{}_{}_discard".format(*info), args=[job.pk]),
                    }
                )
            extra_context["object_buttons"] = buttons
            extra_context["diagnosis"] = diagnose(job)
            extra_context["title"] = str(job)
        return super().change_view(request, object_id, form_url, extra_context)

    def _one(self, request, pk, *, permission, title, changes, perform):
        if not permission(request):
            raise PermissionDenied
        job = get_object_or_404(Job, pk=pk)
        response = confirm_action(
            self,
            request,
            Job.objects.filter(pk=pk),
            confirmation=Confirmation(title=title, changes=changes, objects=[job]),
            perform=lambda form: perform(job, form),
            form_action=request.get_full_path(),
        )
        if response is not None:
            return response
        # The job may have left this list (a retried job is no longer dead): show it where
        # every job is.
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[pk]))

    def retry_view(self, request, pk):
        def perform(job, form):
            services.job_retry(job=job, actor=request.user, reason=form.cleaned_data["reason"])
            return f"Job {job.pk} will be retried imminently."

        return self._one(
            request,
            pk,
            permission=self.has_retry_permission,
            title="Retry this job?",
            changes=["The job goes back in its queue and runs again."],
            perform=perform,
        )

    def discard_view(self, request, pk):
        def perform(job, form):
            services.job_discard(job=job, actor=request.user, reason=form.cleaned_data["reason"])
            return f"Job {job.pk} discarded. It stays in the ledger with your reason."

        return self._one(
            request,
            pk,
            permission=self.has_discard_permission,
            title="Discard this job?",
            changes=[
                "The job will never run again; it is kept, marked discarded, "
                "with your reason in its history."
            ],
            perform=perform,
        )


@admin.register(DeadJob)
class DeadJobAdmin(JobPageMixin, AuditedAdmin):
    # Each column's header and sort key come from its declaration; sortable_by is left
    # unset, so a column sorts exactly when it declares an ordering.
    list_display = columns.LIST_COLUMNS
    list_filter = [
        JobTypeFilter,
        ErrorStatusFilter,
        ErrorCodeFilter,
        ProviderFilter,
        DaysWaitingFilter,
    ]
    search_fields = ["error_message"]  # shows the box; the search itself is below
    search_help_text = (
        "Trainee id, slug, TRN or email, or the start of the trainee's names "
        '("Ada Love"); otherwise text in the error.'
    )
    list_per_page = 100
    show_full_result_count = False
    paginator = DeadJobPaginator
    ordering = ["created_at", "id"]
    actions = ["retry_selected", "discard_selected"]
    change_list_template = "admin/jobs/deadjob_change_list.html"
    readonly_fields = [
        "job_type",
        "state_display",
        "queue",
        "trainee_link",
        "arguments_display",
        "attempts",
        "max_attempts",
        "created_at",
        "enqueued_at",
        "started_at",
        "finished_at",
        "error_status",
        "error_code",
        "error_title",
        "error_fields",
        "error_message",
        "attempts_display",
        "note_display",
        "discarded_at",
        "discard_reason",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(state=Job.State.DEAD)
            .select_related("trainee__provider")
        )

    def get_changelist(self, request, **kwargs):
        return DeadJobChangeList

    # simple-history records Job, not this proxy of it: a dead job's history is its job's.
    def history_view(self, request, object_id, extra_context=None):
        if parse_id(unquote(object_id)) is None:
            raise Http404(f"No job with id {object_id}.")
        return HttpResponseRedirect(reverse("admin:jobs_job_history", args=[object_id]))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if parse_id(unquote(object_id)) is None or parse_id(unquote(version_id)) is None:
            raise Http404(f"No job with id {object_id}.")
        return HttpResponseRedirect(
            reverse("admin:jobs_job_simple_history", args=[object_id, version_id])
        )

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if trainee_ids := trainees_matching(term):
            by_trainee = queryset.filter(trainee_id__in=trainee_ids)
            # Words that start a trainee's name may also be error text ("Teacher").
            if by_trainee.exists():
                return by_trainee, False
        return queryset.filter(error_message__icontains=term), False

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        query = request.GET.copy()
        query.pop("p", None)
        query.pop("o", None)
        extra_context["csv_url"] = reverse("admin:jobs_deadjob_csv") + (
            "?" + query.urlencode() if query else ""
        )
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            changelist = context["cl"]
            context["dead_headers"] = list(admin_list.result_headers(changelist))
            context["dead_rows"] = columns.rows_html(changelist.result_list)
        return response

    def get_urls(self):
        return [
            path("csv/", self.admin_site.admin_view(self.csv_view), name="jobs_deadjob_csv"),
        ] + super().get_urls()

    def filtered_queryset(self, request):
        """The jobs the list shows for this request's filters and search (all pages)."""
        changelist: ChangeList = self.get_changelist_instance(request)
        return changelist.get_queryset(request)

    def csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        jobs = self.filtered_queryset(request)
        task_name = request.GET.get("task_name")
        label = registry.label_for(task_name) if task_name else "all types"
        return views.dead_jobs_csv_response(jobs, label=label)

    def _confirm_count_intro(self, request, queryset):
        if request.POST.get("select_across") == "1":
            return "You are acting on every dead job matching the current filter, on every page:"
        return "You are acting on the jobs you ticked."

    def _confirm_filters(self, request) -> list[str]:
        """The list's filter and search, a line each, for a bulk confirmation page."""
        if request.POST.get("select_across") != "1":
            return []
        lines = []
        params = request.GET.copy()
        for filter_class in self.list_filter:
            spec = filter_class(request, params.copy(), self.model, self)
            if (value := spec.value()) is not None:
                shown = dict(spec.lookup_choices).get(value, value)
                lines.append(f"{str(spec.title).capitalize()}: {shown}")
        if term := request.GET.get("q", "").strip():
            lines.append(f"Search: {term}")
        return lines or ["No filter: all dead jobs"]

    @admin.action(description="Retry selected dead jobs", permissions=["retry"])
    def retry_selected(self, request, queryset):
        retried: list[str] = []

        def perform(form):
            reason = form.cleaned_data["reason"]
            count = queryset.retry(actor=request.user, reason=reason)
            retried.append(retry_batch_marker(actor=request.user, reason=reason) or "")
            return (
                f"{count} jobs will be retried imminently, oldest first. Below: those jobs "
                "and their states now (reload to follow them)."
            )

        response = confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title="Retry dead jobs?",
                intro=self._confirm_count_intro(request, queryset),
                filters=self._confirm_filters(request),
                changes=[
                    "Each job goes back in its queue, oldest first, so a trainee's "
                    "earlier jobs run before later ones."
                ],
            ),
            perform=perform,
        )
        if response is None and retried and retried[0]:
            # The retried jobs have left this list (no longer dead): show them where every
            # job is, with their new states.
            url = reverse("admin:jobs_job_changelist")
            return HttpResponseRedirect(
                f"{url}?{urlencode({RetryBatchFilter.parameter_name: retried[0]})}"
            )
        return response

    @admin.action(description="Discard selected jobs", permissions=["discard"])
    def discard_selected(self, request, queryset):
        def perform(form):
            discarded = queryset.discard(actor=request.user, reason=form.cleaned_data["reason"])
            return discarded.describe()

        return confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title="Discard dead jobs?",
                intro=self._confirm_count_intro(request, queryset),
                filters=self._confirm_filters(request),
                changes=[
                    "The jobs will never run again; each is kept, marked discarded, "
                    "with your reason in its history."
                ],
            ),
            perform=perform,
        )


@admin.register(Job)
class JobAdmin(JobPageMixin, AuditedAdmin):
    """Every job in the ledger, whatever its state (developers look here for the rest)."""

    list_display = [
        "id",
        "job_type",
        "trainee_link",
        "queue",
        "state",
        "attempts",
        "run_after",
        "created_at",
        "error_status",
        "note_display",
    ]
    list_filter = ["state", "queue", JobTypeFilter, RetryBatchFilter]
    list_per_page = 100
    show_full_result_count = False
    paginator = DeferredJoinPaginator
    search_fields = ["=trainee__id", "=id"]
    readonly_fields = DeadJobAdmin.readonly_fields
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False


console_site().register_tool(
    ConsoleTool(
        "Dead jobs",
        "admin:jobs-dead-index",
        "jobs.view_deadjob",
        "Failed background jobs by type: filter, download, retry, discard.",
    ),
    urls=[
        path(
            "console/dead-jobs/",
            console_site().admin_view(views.dead_jobs_index),
            name="jobs-dead-index",
        )
    ],
)
console_site().register_tool(
    ConsoleTool(
        "Job queues",
        "admin:jobs-queues",
        "jobs.inspect_queues",
        "Jobs waiting in each queue, by type; find a trainee's jobs.",
    ),
    urls=[path("console/queues/", console_site().admin_view(views.queues), name="jobs-queues")],
)
