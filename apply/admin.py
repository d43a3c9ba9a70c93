"""The Apply part of the console: Apply applications (with the playbook's re-import and the
duplicates page), the import runs that follow the jobs, Publish's courses and the sync
requests. Every change goes through ``apply.services``."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from regsupport.admin_site import ConsoleTool, console_site
from regsupport.admin_tools import (
    AuditedAdmin,
    Confirmation,
    ConfirmForm,
    ReadOnlyAdminMixin,
    confirm_action,
    page_context,
)
from regsupport.csv_safety import safe_cell
from regsupport.errors import Refusal
from regsupport.fix_admin import FixesAdminMixin, require_playbook_permission
from trainees.models import ApplyApplication, Trainee

from . import services
from .creating import find_duplicates
from .importing import create_year
from .models import ApplyApplicationSyncRequest, Course, ImportRun
from .selectors import run_progress


def _trainee_link(trainee: Trainee | None) -> str:
    if trainee is None:
        return "—"
    url = reverse("admin:trainees_trainee_change", args=[trainee.pk])
    return format_html('<a href="{}">{}</a>', url, trainee.full_name or trainee.pk)


# An application's columns on the list, and the top of its page.
SUMMARY_FIELDS = (
    "apply_id",
    "candidate_name",
    "accredited_body_code",
    "recruitment_cycle_year",
    "state",
    "trainee_link",
)


@admin.register(ApplyApplication)
class ApplyApplicationAdmin(FixesAdminMixin, AuditedAdmin):
    list_display = [*SUMMARY_FIELDS, "updated_at"]
    list_filter = ["state", "recruitment_cycle_year", "accredited_body_code"]
    search_fields = ["=apply_id", "=accredited_body_code"]
    actions = ["reimport_from_apply", "download_apply_ids"]
    list_select_related = ["trainee"]
    readonly_fields = ["candidate_name", "trainee_link", "created_at", "updated_at"]
    fields = [
        *SUMMARY_FIELDS,
        "invalid_data",
        "application",
        ("created_at", "updated_at"),
    ]

    @admin.display(description="candidate")
    def candidate_name(self, obj: ApplyApplication) -> str:
        return obj.candidate_full_name or "—"

    @admin.display(description="trainee")
    def trainee_link(self, obj: ApplyApplication) -> str:
        try:
            return _trainee_link(obj.trainee)
        except Trainee.DoesNotExist:
            return "—"

    def get_urls(self):
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="apply_duplicate_applications",
            ),
        ] + super().get_urls()

    def duplicates_view(self, request):
        """Register's "Duplicate Apply applications": the year's applications held back as
        duplicates, newest first, each beside the trainee it duplicates."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        year = request.GET.get("year") or create_year()
        applications = ApplyApplication.objects.filter(
            state=ApplyApplication.State.NON_IMPORTABLE_DUPLICATE, recruitment_cycle_year=year
        ).order_by("-created_at")[:200]
        rows = []
        for application in applications:
            try:
                duplicates = find_duplicates(application)
            except Exception:  # noqa: BLE001 - e.g. its provider gone since: show the row anyway
                duplicates = []
            rows.append({"application": application, "duplicates": duplicates})
        context = page_context(self, request, "Duplicate Apply applications", rows=rows, year=year)
        return TemplateResponse(request, "admin/apply/duplicates.html", context)

    @admin.action(description="Download apply ids (.csv)")
    def download_apply_ids(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="apply_ids.csv"'
        writer = csv.writer(response)
        writer.writerow(["apply_id", "accredited_body_code", "recruitment_cycle_year", "state"])
        for application in queryset.order_by("apply_id"):
            row = [
                application.apply_id,
                application.accredited_body_code,
                application.recruitment_cycle_year,
                application.get_state_display(),
            ]
            writer.writerow([safe_cell(value) for value in row])
        return response

    @admin.action(
        description="Re-import from Apply (delete and import again)",
        permissions=["run_playbook_fixes"],
    )
    def reimport_from_apply(self, request, queryset):
        """Playbook "Resolving incorrect provider_type on Publish", steps 2 to 5, for the
        group the list is filtered to: one confirmation, then the run page."""
        require_playbook_permission(request)
        groups = list(
            queryset.values_list("accredited_body_code", "recruitment_cycle_year", "state")
            .distinct()
            .order_by()
        )
        if len(groups) != 1:
            self.message_user(
                request,
                "Select applications of one accredited body, one cycle year and one state: "
                "filter the list by all three first. Nothing was changed.",
                messages.ERROR,
            )
            return None
        code, year, state = groups[0]
        try:
            plan = services.apply_reimport_plan(
                accredited_body_code=code, recruitment_cycle_year=year, state=state
            )
        except Refusal as error:
            self.message_user(request, f"{error} Nothing was changed.", messages.ERROR)
            return None
        selected = queryset.count()
        if selected != len(plan.applications):
            self.message_user(
                request,
                f"The playbook re-imports every application for {plan.label} "
                f"({len(plan.applications)}), but {selected} are selected. Filter by accredited "
                "body code, cycle year and state and select all of them. Nothing was changed.",
                messages.ERROR,
            )
            return None
        ids = ", ".join(str(i) for i in plan.apply_ids)
        touch = (
            f"Touch the {len(plan.apply_ids)} application choices in Apply, so the import "
            "returns them again."
            if plan.can_touch
            else "Apply cannot be touched from here: after confirming, give the apply ids to "
            "the Apply team (Download apply ids (.csv)); the run page then starts the imports "
            "once they say the choices are touched."
        )
        started: list[ImportRun] = []

        def perform(form):
            started.append(
                services.apply_reimport(
                    accredited_body_code=code,
                    recruitment_cycle_year=year,
                    state=state,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            )
            return (
                f"Re-import of {plan.label} started: {len(plan.apply_ids)} application(s) deleted."
            )

        response = confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title=f"Re-import Apply applications for {plan.label}",
                intro="Playbook: resolving an incorrect provider type on Publish. Correct the "
                "provider type on Publish first; this re-imports the applications it held back.",
                changes=[
                    touch,
                    f"Delete {len(plan.apply_ids)} Apply application(s) (kept in their history): {ids}",
                    "Start import_applications_from_apply, then create_trainees_from_apply, for "
                    f"{plan.recruitment_cycle_year}, and follow them on the run page.",
                ],
                objects=[f"{a} ({a.candidate_full_name or 'no name'})" for a in plan.applications],
                confirm_label="Delete and re-import",
            ),
            perform=perform,
        )
        if started:
            return HttpResponseRedirect(
                reverse("admin:apply_importrun_change", args=[started[0].pk])
            )
        return response


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each run's page follows its jobs until they end (refreshing itself meanwhile)."""

    list_display = ["__str__", "created_at", "started_by", "started_at"]
    change_list_template = "admin/apply/importrun/change_list.html"

    def get_urls(self):
        return [
            path(
                "start/",
                self.admin_site.admin_view(self.start_imports_view),
                name="apply_importrun_start_imports",
            ),
            path(
                "<int:run_id>/start/",
                self.admin_site.admin_view(self.start_run_view),
                name="apply_importrun_start",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=object_id if str(object_id).isdigit() else 0)
        progress = run_progress(run)
        context = page_context(
            self,
            request,
            str(run),
            run=run,
            progress=progress,
            refresh_seconds=None if progress.ended or progress.waiting_for_apply_team else 2,
        )
        return TemplateResponse(request, "admin/apply/importrun/run.html", context)

    def start_run_view(self, request, run_id: int):
        """The Apply team has touched the choices: start the waiting run's imports."""
        require_playbook_permission(request)
        run = get_object_or_404(ImportRun, pk=run_id)
        if request.method == "POST":
            try:
                services.apply_run_start(run=run, actor=request.user)
            except Refusal as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, "Imports started.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:apply_importrun_change", args=[run.pk]))

    def start_imports_view(self, request):
        """Both daily jobs now, for one year, with a reason."""
        require_playbook_permission(request)
        form = ConfirmForm(request.POST or None)
        year = request.POST.get("year") or request.GET.get("year") or create_year()
        if request.method == "POST" and form.is_valid():
            try:
                run = services.apply_imports_start(
                    recruitment_cycle_year=year,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except Refusal as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                return HttpResponseRedirect(reverse("admin:apply_importrun_change", args=[run.pk]))
        context = page_context(self, request, "Start the Apply imports", form=form, year=year)
        return TemplateResponse(request, "admin/apply/importrun/start.html", context)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "accredited_body_code",
        "route",
        "level",
        "recruitment_cycle_year",
    ]
    list_filter = ["accredited_body_code", "recruitment_cycle_year"]
    search_fields = ["=uuid", "=code", "name"]


@admin.register(ApplyApplicationSyncRequest)
class SyncRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "recruitment_cycle_year", "successful", "response_code"]
    list_filter = ["recruitment_cycle_year", "successful"]


console_site().register_tool(
    ConsoleTool(
        "Apply imports",
        "admin:apply_importrun_changelist",
        "apply.view_importrun",
        "Start the Apply imports and follow each run, re-imports included.",
    )
)
console_site().register_tool(
    ConsoleTool(
        "Duplicate Apply applications",
        "admin:apply_duplicate_applications",
        "trainees.view_applyapplication",
        "Applications not imported because the trainee already exists.",
    )
)
