from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from jobs.models import Job
from regsupport.admin_site import ConsoleTool, console_site
from regsupport.admin_tools import AuditedAdmin, Confirmation, ReadOnlyAdminMixin, confirm_action
from regsupport.errors import Refusal

from . import services, views
from .models import Resync, TrnRequest

PROGRESS = ["waiting", "done", "dead", "discarded"]
RESYNC_FIELDS = [
    "created_at",
    "created_by",
    "reason",
    "description",
    "matched",
    "queued",
    "left_out",
    *PROGRESS,
    "progress_bar",
    "dead_jobs",
]


@admin.register(TrnRequest)
class TrnRequestAdmin(AuditedAdmin):
    list_display = ["request_id", "trainee", "state", "created_at", "days_waiting"]
    list_filter = ["state"]
    search_fields = ["=request_id", "=trainee__slug", "=trainee__trn"]
    list_select_related = ["trainee"]
    raw_id_fields = ["trainee"]
    readonly_fields = ["request_id"]


console_site().register_tool(
    ConsoleTool(
        "Pending TRNs",
        "admin:dqt-pending-trns",
        views.VIEW_TRAINEES,
        "Trainees submitted for TRN: days waiting, the stored request, check or re-submit.",
    ),
    urls=[
        path(
            "console/pending-trns/",
            console_site().admin_view(views.pending_trns),
            name="dqt-pending-trns",
        )
    ],
)
console_site().register_tool(
    ConsoleTool(
        "Pending awards",
        "admin:dqt-pending-awards",
        views.VIEW_TRAINEES,
        "Trainees recommended for award: days waiting, the award job, check DQT.",
    ),
    urls=[
        path(
            "console/pending-awards/",
            console_site().admin_view(views.pending_awards),
            name="dqt-pending-awards",
        ),
        path(
            "console/pending-awards/<int:trainee_id>/check/",
            console_site().admin_view(views.pending_award_check),
            name="dqt-pending-award-check",
        ),
    ],
)


@admin.register(Resync)
class ResyncAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The progress of bulk resyncs: one row per run, its page the counts and dead jobs.
    A resync is made from the trainee list's action or the shell, never edited."""

    list_display = ["id", "created_at", "created_by", "description", "queued", *PROGRESS]
    list_select_related = ["created_by"]
    fields = tuple(RESYNC_FIELDS)
    readonly_fields = tuple(RESYNC_FIELDS)

    def _progress(self, obj: Resync) -> services.ResyncProgress:
        # One query per run, shared by its columns.
        if not hasattr(obj, "_progress"):
            obj._progress = services.dqt_resync_progress(obj)  # type: ignore[attr-defined]
        return obj._progress  # type: ignore[attr-defined]

    @admin.display(description="waiting")
    def waiting(self, obj: Resync) -> int:
        return self._progress(obj).waiting

    @admin.display(description="done")
    def done(self, obj: Resync) -> int:
        return self._progress(obj).done

    @admin.display(description="dead")
    def dead(self, obj: Resync) -> int:
        return self._progress(obj).dead

    @admin.display(description="discarded")
    def discarded(self, obj: Resync) -> int:
        return self._progress(obj).discarded

    @admin.display(description="left out")
    def left_out(self, obj: Resync) -> str:
        return "; ".join(f"{count:,} {why}" for why, count in obj.skipped.items()) or "none"

    @admin.display(description="progress")
    def progress_bar(self, obj: Resync) -> str:
        progress = self._progress(obj)
        finished = progress.queued - progress.waiting
        share = 100 * finished // progress.queued if progress.queued else 100
        state = "finished" if progress.finished else "running: reload the page to follow it"
        return format_html(
            '<progress max="{}" value="{}"></progress> {}% ({})',
            progress.queued,
            finished,
            share,
            state,
        )

    @admin.display(description="dead jobs (first 20)")
    def dead_jobs(self, obj: Resync) -> str:
        dead = Job.objects.filter(resync_entry__resync=obj, state=Job.State.DEAD).order_by("pk")
        links = [
            format_html(
                '<a href="{}">job {}</a>', reverse("admin:jobs_job_change", args=[job.pk]), job.pk
            )
            for job in dead[:20]
        ]
        return format_html_join(", ", "{}", ((link,) for link in links)) or "none"


RESYNC_PERMISSION = "dqt.add_resync"


@admin.action(description="Resync with DQT: queue an update for each", permissions=["resync"])
def resync_with_dqt(modeladmin, request, queryset):
    """The trainee list's action: every selected trainee (or, with "select all", every one
    the filter shows), a plan with the counts, a reason, then the progress page."""
    if not request.user.has_perm(RESYNC_PERMISSION):
        raise PermissionDenied("Only developers may resync trainees with DQT.")
    if request.POST.get("select_across") == "1":
        shown = request.GET.urlencode()
        description = f"every trainee the list shows for ?{shown}" if shown else "every trainee"
    else:
        description = f"{queryset.count():,} selected trainee(s)"
    try:
        plan = services.dqt_resync_plan(trainees=queryset)
    except Refusal as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    runs: list[Resync] = []

    def perform(form) -> str:
        run = services.dqt_resync(
            trainees=queryset,
            description=description,
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        runs.append(run)
        return f"Resync {run.pk}: {run.queued:,} DQT update(s) queued."

    response = confirm_action(
        modeladmin,
        request,
        queryset,
        confirmation=Confirmation(
            title=f"Resync {plan.matched:,} trainee(s) with DQT",
            intro=f"Trainees: {description}.",
            changes=plan.lines(),
            warnings=[
                "Each update runs in its trainee's DQT queue, after any unfinished DQT job of "
                "that trainee. The resync's page shows how far it is.",
            ],
            confirm_label="Queue the updates",
        ),
        perform=perform,
    )
    if runs:
        return HttpResponseRedirect(reverse("admin:dqt_resync_change", args=[runs[0].pk]))
    return response
