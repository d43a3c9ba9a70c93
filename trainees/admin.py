from django.contrib import admin

from regsupport.admin_tools import AuditedAdmin, DiscardedFilter

from .models import ApplyApplication, Trainee, WithdrawalReason


@admin.register(Trainee)
class TraineeAdmin(AuditedAdmin):
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
    readonly_fields = ["slug", "created_at", "updated_at"]
    autocomplete_fields = ["provider", "lead_partner"]
    raw_id_fields = ["apply_application"]
    filter_horizontal = ["withdrawal_reasons"]
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

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.full_name


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
class ApplyApplicationAdmin(AuditedAdmin):
    list_display = [
        "apply_id",
        "accredited_body_code",
        "recruitment_cycle_year",
        "state",
        "updated_at",
    ]
    list_filter = ["state", "recruitment_cycle_year", "accredited_body_code"]
    search_fields = ["=apply_id", "=accredited_body_code"]
