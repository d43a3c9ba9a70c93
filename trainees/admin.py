"""Trainee admin. The playbook fixes declared in ``trainees/fixes.py`` become buttons on
the trainee page and list actions through ``FixesAdminMixin``; the duplicates upload, which
acts on a file, is here. Apply applications are the Apply part of the console
(``apply/admin.py``)."""

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from dqt.admin import RESYNC_PERMISSION, resync_with_dqt
from dqt.selectors import trainee_dqt_card
from jobs.selectors import jobs_for_trainee
from providers.models import Provider
from regsupport.admin_lists import (
    ORDERING,
    ListColumn,
    SeekChangeList,
    SelectListFilter,
    local_datetime,
)
from regsupport.admin_tools import (
    REASON_FIELD,
    VERSION_FORM_FIELD,
    AuditedAdmin,
    ConfirmForm,
    DiscardedFilter,
    ReadOnlyAdminMixin,
    page_context,
)
from regsupport.errors import Refusal
from regsupport.fix_admin import FixesAdminMixin, require_playbook_permission
from regsupport.fixes import can_run_playbook_fixes
from regsupport.ids import parse_id

from . import selectors, services
from .errors import TraineeError
from .fixes import Restore
from .models import Trainee, WithdrawalReason

# The trainee page lists this many of the trainee's DQT jobs, newest first, and links the rest.
DQT_JOBS_SHOWN = 10
DUPLICATES_SALT = "trainees.remove_duplicates"
STATE_LABELS = dict(Trainee.State.choices)
ROUTE_LABELS = dict(Trainee.TrainingRoute.choices)
DUPLICATES_MAX_AGE = 60 * 60
DUPLICATES_MAX_BYTES = 5 * 1024 * 1024


class DuplicatesUploadForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV file",
        help_text="Header trainee_id,email (id,email is accepted for old files); one trainee "
        "to keep per email.",
    )
    reason = ConfirmForm.base_fields["reason"]


# Set only by transitions and fixes, so read-only on the form; "Workflow" shows them.
WORKFLOW_READONLY = (
    "submitted_for_trn_at",
    "recommended_for_award_at",
    "outcome_date",
    "awarded_at",
    "withdraw_date",
    "withdrawal_reasons",
    "discarded_at",
)


class ProviderFilter(SelectListFilter):
    title = "provider"
    parameter_name = "provider__id__exact"

    def lookups(self, request, model_admin):
        return Provider.objects.order_by("name").values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if (provider_id := parse_id(self.value())) is None:
            return queryset.none()
        return queryset.filter(provider_id=provider_id)


@admin.register(Trainee)
class TraineeAdmin(FixesAdminMixin, AuditedAdmin):
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
    list_filter = ["state", "training_route", ProviderFilter, DiscardedFilter]
    # Shows the search box; get_search_results recognises each kind of term.
    search_fields = ["slug"]
    search_help_text = (
        "A TRN, trainee id, slug or email finds that trainee; words find trainees whose "
        'name contains every word ("ada love").'
    )
    list_select_related = ["provider"]
    # Newest first, paged by seeking, counted with a cap: no page reads a million rows
    # (regsupport.admin_lists). Each column sort would need its own index: none.
    ordering = list(ORDERING)
    sortable_by: list[str] = []
    # Facet counts would count every choice of every filter over all trainees.
    show_facets = admin.ShowFacets.NEVER
    # What the list's table shows (list_display's columns, rendered in one pass), and the
    # only fields it reads.
    list_columns = [
        ListColumn("full_name", "name", lambda t: t.full_name),
        ListColumn("slug", "slug", lambda t: t.slug),
        ListColumn("trn", "TRN", lambda t: t.trn),
        ListColumn(
            "date_of_birth",
            "date of birth",
            lambda t: t.date_of_birth and f"{t.date_of_birth:%-d %b %Y}",
        ),
        # get_FOO_display flattens the field's choices on every call: once here.
        ListColumn("state", "state", lambda t: STATE_LABELS.get(t.state)),
        ListColumn(
            "training_route", "training route", lambda t: ROUTE_LABELS.get(t.training_route)
        ),
        ListColumn("provider", "provider", lambda t: t.provider.name),
        ListColumn("updated_at", "updated", lambda t: local_datetime(t.updated_at)),
    ]
    list_only = [
        "first_names",
        "middle_names",
        "last_name",
        "slug",
        "trn",
        "date_of_birth",
        "state",
        "training_route",
        "provider__name",
        "created_at",
        "updated_at",
    ]
    # The state and its timestamps change only through transitions and playbook fixes, which
    # check the rules and tell DQT; the form cannot set them.
    readonly_fields = [
        "slug",
        "state",
        *WORKFLOW_READONLY,
        "created_at",
        "updated_at",
        # Set by the Apply import, never by hand: the link to the application it came from.
        "record_source",
        "apply_application_link",
        "application_choice_id",
    ]
    autocomplete_fields = ["provider", "lead_partner"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["slug", "trn", "hesa_id", "state", "provider", "lead_partner"]}),
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
                    "trainee_start_date",
                    "study_mode",
                    "iqts_country",
                    "degree_institution_uuid",
                ]
            },
        ),
        (
            "Funding and placements",
            {
                "classes": ["collapse"],
                "fields": [*Trainee.FUNDING_AND_PLACEMENT_FIELDS, "progress"],
            },
        ),
        (
            "Workflow",
            {
                "fields": [
                    *WORKFLOW_READONLY[:-1],
                    "withdraw_reasons_details",
                    "withdraw_reasons_dfe_details",
                    "discarded_at",
                    ("created_at", "updated_at"),
                ]
            },
        ),
        (
            "Source",
            {
                "fields": [
                    "record_source",
                    "apply_application_link",
                    "application_choice_id",
                ]
            },
        ),
        (
            "Diversity",
            {
                "classes": ["collapse"],
                "fields": [
                    "ethnic_group",
                    "ethnic_background",
                    "additional_ethnic_background",
                    "diversity_disclosure",
                    "disability_disclosure",
                    "disabilities",
                    "nationalities",
                ],
            },
        ),
    ]

    change_list_template = "admin/trainees/trainee/change_list.html"
    actions = [resync_with_dqt]

    def has_resync_permission(self, request):
        return request.user.has_perm(RESYNC_PERMISSION)

    change_form_template = "admin/trainees/trainee/change_form.html"

    def get_queryset(self, request):
        # The page's DQT card compares the provider's UKPRN: fetched with the trainee.
        return super().get_queryset(request).select_related("provider")

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    def get_changelist(self, request, **kwargs):
        return SeekChangeList

    def get_search_results(self, request, queryset, search_term):
        found = selectors.trainees_search(trainees=queryset, term=search_term)
        return found.trainees, False

    @admin.display(description="Apply application")
    def apply_application_link(self, obj):
        if obj.apply_application_id is None:
            return "—"
        application = obj.apply_application
        url = reverse("admin:trainees_applyapplication_change", args=[application.pk])
        return format_html(
            '<a href="{}" id="apply-application-link">{}</a> ({})',
            url,
            application,
            application.get_state_display(),
        )

    def get_urls(self):
        return [
            path(
                "remove-duplicates/",
                self.admin_site.admin_view(self.remove_duplicates_view),
                name="trainees_trainee_remove_duplicates",
            ),
        ] + super().get_urls()

    def has_change_permission(self, request, obj=None):
        # A deleted (discarded) record is read-only: every fix refuses it too, until Restore.
        if obj is not None and obj.discarded_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["dqt_jobs"] = list(
                jobs_for_trainee(obj.pk)
                .filter(task_name__startswith="dqt.")
                .order_by("-id")[: DQT_JOBS_SHOWN + 1]
            )
            context["dqt_jobs_url"] = (
                reverse("admin:jobs_job_changelist") + f"?trainee__exact={obj.pk}"
            )
            context["dqt_card"] = trainee_dqt_card(obj)
        if obj is not None and obj.discarded_at is not None:
            context["deletion"] = selectors.trainee_deletion(trainee=obj)
            restore = Restore()
            if restore.allowed(request.user):
                context["restore_url"] = restore.url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # An edit goes through the service, which records the reason and tells DQT about
        # the fields it holds.
        reason = form.cleaned_data[REASON_FIELD]
        services.trainee_update(
            trainee=obj,
            reason=reason,
            actor=request.user,
            expected_version=form.cleaned_data[VERSION_FORM_FIELD],
        )
        request._change_reason = reason

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_run_playbook_fixes"] = can_run_playbook_fixes(request.user)
        return super().changelist_view(request, extra_context)

    # --- remove duplicates upload ---------------------------------------------------------

    def remove_duplicates_view(self, request):
        require_playbook_permission(request)
        changelist = reverse("admin:trainees_trainee_changelist")
        context = page_context(self, request, "Remove duplicate trainees")
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
            except Refusal as error:
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
            except Refusal as error:
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


@admin.register(WithdrawalReason)
class WithdrawalReasonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
