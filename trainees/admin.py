"""Trainee admin. Playbook fixes are buttons on the trainee page and list actions; each
shows a confirmation page built from the service's ``*_plan`` and then calls the service."""

import csv

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from regsupport.admin_tools import (
    REASON_FIELD,
    AuditedAdmin,
    Confirmation,
    ConfirmForm,
    DiscardedFilter,
)
from regsupport.admin_tools import confirm_action as _confirm_action

from . import services
from .errors import TraineeError
from .models import ApplyApplication, Trainee, WithdrawalReason
from .permissions import (
    PlaybookFixesAdminMixin,
    can_run_playbook_fixes,
    require_playbook_permission,
)

FIX_ERRORS = (TraineeError,)
DUPLICATES_SALT = "trainees.remove_duplicates"
DUPLICATES_MAX_AGE = 60 * 60
DUPLICATES_MAX_BYTES = 5 * 1024 * 1024


def confirm_action(*args, **kwargs):
    kwargs.setdefault("error_types", FIX_ERRORS)
    return _confirm_action(*args, **kwargs)


class RouteChoiceForm(forms.Form):
    route = forms.TypedChoiceField(
        label="New training route", choices=Trainee.TrainingRoute.choices, coerce=int
    )


class DuplicatesUploadForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV file",
        help_text="Header trainee_id,email (id,email is accepted for old files); one trainee "
        "to keep per email.",
    )
    reason = ConfirmForm.base_fields["reason"]


@admin.register(Trainee)
class TraineeAdmin(PlaybookFixesAdminMixin, AuditedAdmin):
    list_display = [
        "full_name",
        "slug",
        "trn",
        "date_of_birth",
        "state",
        "training_route",
        "provider",
        "updated_at",
    ]
    list_filter = ["state", "training_route", "provider", DiscardedFilter]
    search_fields = ["=id", "=slug", "=trn", "=email", "^last_name", "^first_names"]
    search_help_text = (
        "Search by trainee id, slug, TRN, email, or the start of a first or last name."
    )
    list_select_related = ["provider"]
    # The state and its timestamps change only through transitions and playbook fixes, which
    # check the rules and tell DQT; the form cannot set them.
    readonly_fields = [
        "slug",
        "state",
        "submitted_for_trn_at",
        "recommended_for_award_at",
        "awarded_at",
        "withdraw_date",
        "withdrawal_reasons",
        "discarded_at",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["provider", "lead_partner"]
    raw_id_fields = ["apply_application"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["slug", "trn", "state", "provider", "lead_partner"]}),
        (
            "Personal details",
            {
                "fields": [
                    "first_names",
                    "middle_names",
                    "last_name",
                    "date_of_birth",
                    "sex",
                    "email",
                ]
            },
        ),
        (
            "Course details",
            {
                "fields": [
                    "training_route",
                    "course_uuid",
                    "course_education_phase",
                    "course_subject_one",
                    "course_subject_two",
                    "course_subject_three",
                    ("course_min_age", "course_max_age"),
                    ("itt_start_date", "itt_end_date"),
                    "study_mode",
                    "degree_institution_uuid",
                ]
            },
        ),
        (
            "Funding and placements",
            {
                "classes": ["collapse"],
                "fields": [
                    "training_initiative",
                    "applying_for_bursary",
                    "applying_for_scholarship",
                    "applying_for_grant",
                    "bursary_tier",
                    "placement_detail",
                    "progress",
                ],
            },
        ),
        (
            "Workflow",
            {
                "fields": [
                    "submitted_for_trn_at",
                    "recommended_for_award_at",
                    "awarded_at",
                    "withdraw_date",
                    "withdrawal_reasons",
                    "withdraw_reasons_details",
                    "withdraw_reasons_dfe_details",
                    "discarded_at",
                    "apply_application",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    change_list_template = "admin/trainees/trainee/change_list.html"
    actions = ["unwithdraw_selected", "revert_award_selected", "change_training_route_selected"]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    # --- pages -----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/unwithdraw/",
                view(self.unwithdraw_view),
                name="trainees_trainee_unwithdraw",
            ),
            path(
                "<path:object_id>/change-training-route/",
                view(self.change_training_route_view),
                name="trainees_trainee_change_training_route",
            ),
            path(
                "<path:object_id>/revert-award/",
                view(self.revert_award_view),
                name="trainees_trainee_revert_award",
            ),
            path(
                "remove-duplicates/",
                view(self.remove_duplicates_view),
                name="trainees_trainee_remove_duplicates",
            ),
        ] + super().get_urls()

    FIX_BUTTONS = {
        "unwithdraw": ("Unwithdraw", "admin:trainees_trainee_unwithdraw"),
        "change_training_route": (
            "Change training route",
            "admin:trainees_trainee_change_training_route",
        ),
        "revert_award": ("Undo award", "admin:trainees_trainee_revert_award"),
    }

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # An edit goes through the service, which records the reason and tells DQT about
        # the fields it holds.
        reason = form.cleaned_data[REASON_FIELD]
        services.trainee_update(trainee=obj, reason=reason, actor=request.user)
        request._change_reason = reason

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and can_run_playbook_fixes(request.user):
            extra_context["object_buttons"] = [
                {"label": label, "url": reverse(url_name, args=[obj.pk])}
                for event in services.trainee_available_fixes(trainee=obj)
                for label, url_name in [self.FIX_BUTTONS[event]]
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_run_playbook_fixes"] = can_run_playbook_fixes(request.user)
        return super().changelist_view(request, extra_context)

    def _fix_target(self, request, object_id):
        require_playbook_permission(request)
        trainee = self.get_object(request, object_id)
        if trainee is None:
            self.message_user(request, f"No trainee with id {object_id}.", messages.ERROR)
        return trainee

    def _back_to(self, trainee):
        return HttpResponseRedirect(reverse("admin:trainees_trainee_change", args=[trainee.pk]))

    def _object_fix(self, request, trainee, *, plan, title, intro, perform, confirm_label):
        """A button's confirmation page: the plan's changes, then the service."""
        try:
            fix_plan = plan()
        except TraineeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back_to(trainee)
        response = confirm_action(
            self,
            request,
            Trainee.objects.filter(pk=trainee.pk),
            confirmation=Confirmation(
                title=title,
                intro=intro,
                changes=fix_plan.lines(),
                warnings=fix_plan.notes,
                confirm_label=confirm_label,
            ),
            perform=perform,
        )
        return response or self._back_to(trainee)

    def unwithdraw_view(self, request, object_id):
        trainee = self._fix_target(request, object_id)
        if trainee is None:
            return HttpResponseRedirect(reverse("admin:trainees_trainee_changelist"))

        def perform(form):
            done = services.trainee_unwithdraw(
                trainee=trainee, reason=form.cleaned_data["reason"], actor=request.user
            )
            return f"Withdrawal undone: {done.full_name} is {done.get_state_display()} again."

        return self._object_fix(
            request,
            trainee,
            plan=lambda: services.trainee_unwithdraw_plan(trainee=trainee),
            title=f"Unwithdraw {trainee.full_name}",
            intro="Undo a withdrawal made in error.",
            perform=perform,
            confirm_label="Unwithdraw",
        )

    def revert_award_view(self, request, object_id):
        trainee = self._fix_target(request, object_id)
        if trainee is None:
            return HttpResponseRedirect(reverse("admin:trainees_trainee_changelist"))

        def perform(form):
            done = services.trainee_revert_award(
                trainee=trainee, reason=form.cleaned_data["reason"], actor=request.user
            )
            return (
                f"Award undone: {done.full_name} is {done.get_state_display()}. "
                "Remember to ask DQT to correct their record."
            )

        return self._object_fix(
            request,
            trainee,
            plan=lambda: services.trainee_revert_award_plan(trainee=trainee),
            title=f"Undo the award of {trainee.full_name}",
            intro="For a trainee recommended for award or awarded in error.",
            perform=perform,
            confirm_label="Undo award",
        )

    def change_training_route_view(self, request, object_id):
        trainee = self._fix_target(request, object_id)
        if trainee is None:
            return HttpResponseRedirect(reverse("admin:trainees_trainee_changelist"))
        if not request.GET.get("route"):
            return self._choose_route(request, trainee)
        route = request.GET["route"]

        def perform(form):
            done = services.trainee_change_training_route(
                trainee=trainee, route=route, reason=form.cleaned_data["reason"], actor=request.user
            )
            return (
                f"Training route of {done.full_name} changed to "
                f"{done.get_training_route_display()}. Ask the provider to re-enter the "
                "cleared details."
            )

        return self._object_fix(
            request,
            trainee,
            plan=lambda: services.trainee_change_training_route_plan(trainee=trainee, route=route),
            title=f"Change the training route of {trainee.full_name}",
            intro=(
                f"From {trainee.get_training_route_display() or 'no route'} to "
                f"{dict(Trainee.TrainingRoute.choices).get(_int(route), route)}."
            ),
            perform=perform,
            confirm_label="Change training route",
        )

    def _choose_route(self, request, trainee):
        refusal = services.trainee_fix_refusal(trainee=trainee, event="change_training_route")
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return self._back_to(trainee)
        form = RouteChoiceForm(initial={"route": trainee.training_route})
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change the training route of {trainee.full_name}",
            "opts": self.model._meta,
            "original": trainee,
            "form": form,
        }
        return TemplateResponse(request, "admin/trainees/trainee/choose_route.html", context)

    # --- list actions -----------------------------------------------------------------------

    def _bulk(
        self, request, queryset, *, plan, perform_one, title, done, confirm_label, hidden=None
    ):
        require_playbook_permission(request)
        trainees = list(queryset.order_by("pk"))
        lines: list[str] = []
        notes: list[str] = []
        try:
            for trainee in trainees:
                fix_plan = plan(trainee)
                lines.append(f"{trainee}: " + "; ".join(fix_plan.lines()))
                notes.extend(n for n in fix_plan.notes if n not in notes and "history:" not in n)
        except TraineeError as error:
            self.message_user(request, f"{error} Nothing was changed.", messages.ERROR)
            return None

        def perform(form):
            from django.db import transaction

            # All or nothing: one refusal leaves every selected trainee as it was.
            with transaction.atomic():
                for trainee in trainees:
                    perform_one(trainee, form)
            return done.format(count=len(trainees))

        return confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title=title,
                objects=lines,
                warnings=notes,
                confirm_label=confirm_label,
                hidden=hidden or {},
            ),
            perform=perform,
        )

    @admin.action(description="Unwithdraw selected trainees", permissions=["run_playbook_fixes"])
    def unwithdraw_selected(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            plan=lambda t: services.trainee_unwithdraw_plan(trainee=t),
            perform_one=lambda t, form: services.trainee_unwithdraw(
                trainee=t, reason=form.cleaned_data["reason"], actor=request.user
            ),
            title="Unwithdraw trainees",
            done="Withdrawal undone for {count} trainee(s).",
            confirm_label="Unwithdraw",
        )

    @admin.action(description="Undo award of selected trainees", permissions=["run_playbook_fixes"])
    def revert_award_selected(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            plan=lambda t: services.trainee_revert_award_plan(trainee=t),
            perform_one=lambda t, form: services.trainee_revert_award(
                trainee=t, reason=form.cleaned_data["reason"], actor=request.user
            ),
            title="Undo awards",
            done="Award undone for {count} trainee(s). Ask DQT to correct their records.",
            confirm_label="Undo award",
        )

    @admin.action(
        description="Change training route of selected trainees",
        permissions=["run_playbook_fixes"],
    )
    def change_training_route_selected(self, request, queryset):
        require_playbook_permission(request)
        route = request.POST.get("route")
        if not route:
            # First step: choose the route; the plan needs it.
            context = {
                **self.admin_site.each_context(request),
                "title": "Change training route",
                "opts": self.model._meta,
                "form": RouteChoiceForm(),
                "queryset": queryset,
                "action_name": request.POST.get("action"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(request, "admin/trainees/trainee/choose_route.html", context)

        def perform_one(trainee, form):
            services.trainee_change_training_route(
                trainee=trainee, route=route, reason=form.cleaned_data["reason"], actor=request.user
            )

        return self._bulk(
            request,
            queryset,
            plan=lambda t: services.trainee_change_training_route_plan(trainee=t, route=route),
            perform_one=perform_one,
            title=(
                "Change training route to "
                f"{dict(Trainee.TrainingRoute.choices).get(_int(route), route)}"
            ),
            done="Training route changed for {count} trainee(s). Nothing was sent to DQT.",
            confirm_label="Change training route",
            hidden={"route": route},
        )

    # --- remove duplicates upload ---------------------------------------------------------

    def remove_duplicates_view(self, request):
        require_playbook_permission(request)
        changelist = reverse("admin:trainees_trainee_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Remove duplicate trainees",
            "opts": self.model._meta,
        }
        if request.method == "POST" and request.POST.get("step") == "confirm":
            try:
                payload = signing.loads(
                    request.POST.get("token", ""), salt=DUPLICATES_SALT, max_age=DUPLICATES_MAX_AGE
                )
            except signing.BadSignature:
                self.message_user(
                    request,
                    "The preview has expired or was altered; upload the file again.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.path)
            if payload.get("user") != request.user.pk:
                self.message_user(request, "Upload the file again.", messages.ERROR)
                return HttpResponseRedirect(request.path)
            try:
                result = services.trainees_remove_duplicates(
                    rows=[tuple(r) for r in payload["rows"]],
                    reason=payload["reason"],
                    actor=request.user,
                )
            except TraineeError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                f"Removed {len(result.discarded)} duplicate trainee(s). "
                + " ".join(m for m in result.messages if not m.startswith("Deleted")),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(changelist)

        form = DuplicatesUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                if upload.size > DUPLICATES_MAX_BYTES:
                    raise TraineeError("The file is larger than 5 MB; split it.")
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise TraineeError(
                        "The file is not UTF-8 text; save it as CSV UTF-8."
                    ) from None
                rows = services.parse_duplicates_csv(text)
                preview = services.trainees_remove_duplicates(
                    rows=rows, reason=form.cleaned_data["reason"], actor=request.user, dry_run=True
                )
            except TraineeError as error:
                form.add_error("csv_file", str(error))
            else:
                discarded_ids = [d[0] for d in preview.discarded]
                names = Trainee.objects.select_related("provider").in_bulk(discarded_ids)
                context.update(
                    preview=preview,
                    would_discard=[
                        {"trainee": names[pk], "kept_id": kept, "email": email}
                        for pk, email, kept in preview.discarded
                    ],
                    reason=form.cleaned_data["reason"],
                    token=signing.dumps(
                        {
                            "user": request.user.pk,
                            "reason": form.cleaned_data["reason"],
                            "rows": [(r.trainee_id, r.email) for r in rows],
                        },
                        salt=DUPLICATES_SALT,
                        compress=True,
                    ),
                )
                return TemplateResponse(
                    request, "admin/trainees/trainee/remove_duplicates_preview.html", context
                )
        context["form"] = form
        return TemplateResponse(request, "admin/trainees/trainee/remove_duplicates.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


@admin.register(WithdrawalReason)
class WithdrawalReasonAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApplyApplication)
class ApplyApplicationAdmin(PlaybookFixesAdminMixin, AuditedAdmin):
    list_display = [
        "apply_id",
        "accredited_body_code",
        "recruitment_cycle_year",
        "state",
        "updated_at",
    ]
    list_filter = ["state", "recruitment_cycle_year", "accredited_body_code"]
    search_fields = ["=apply_id", "=accredited_body_code"]
    actions = ["reimport_from_apply", "download_apply_ids"]

    @admin.action(description="Download apply ids (.csv)")
    def download_apply_ids(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="apply_ids.csv"'
        writer = csv.writer(response)
        writer.writerow(["apply_id", "accredited_body_code", "recruitment_cycle_year", "state"])
        for application in queryset.order_by("apply_id"):
            writer.writerow(
                [
                    application.apply_id,
                    application.accredited_body_code,
                    application.recruitment_cycle_year,
                    application.get_state_display(),
                ]
            )
        return response

    @admin.action(
        description="Re-import from Apply (delete and import again)",
        permissions=["run_playbook_fixes"],
    )
    def reimport_from_apply(self, request, queryset):
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
            applications = services.apply_applications_reimport_plan(
                accredited_body_code=code, recruitment_cycle_year=year, state=state
            )
        except TraineeError as error:
            self.message_user(request, f"{error} Nothing was changed.", messages.ERROR)
            return None
        selected = queryset.count()
        label = f"{code}, {year}, {ApplyApplication.State(state).label}"
        if selected != len(applications):
            self.message_user(
                request,
                f"The playbook re-imports every application for {label} "
                f"({len(applications)}), but {selected} are selected. Filter by accredited body "
                "code, cycle year and state and select all of them. Nothing was changed.",
                messages.ERROR,
            )
            return None
        apply_ids = [a.apply_id for a in applications]
        notice = (
            "Give these apply ids to the Apply team so they touch the application choices "
            "(use 'Download apply ids (.csv)' first)."
        )

        def perform(form):
            result = services.apply_applications_reimport(
                accredited_body_code=code,
                recruitment_cycle_year=year,
                state=state,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            ids = ", ".join(str(i) for i in result.apply_ids)
            return (
                f"Deleted {len(result.apply_ids)} Apply application(s): {ids}. {result.jobs.notice}"
            )

        return confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title=f"Re-import Apply applications for {label}",
                intro="Playbook: resolving an incorrect provider type on Publish.",
                changes=[
                    f"Delete {len(apply_ids)} Apply application(s) (kept in their history): "
                    + ", ".join(str(i) for i in apply_ids),
                    "Start import_applications_from_apply and create_trainees_from_apply, "
                    "once the Apply integration exists (not yet configured).",
                ],
                warnings=[notice],
                confirm_label="Delete and re-import",
            ),
            perform=perform,
        )
