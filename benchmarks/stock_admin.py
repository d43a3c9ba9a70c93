"""The baseline of the trainee-side benchmark: Django's stock ``ModelAdmin`` (and
simple-history's, for the history page) over the same models, on its own admin site at
/stock-admin/, configured as the project's admin was before it was tuned: the same
columns, filters and search fields."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from providers.models import LeadPartner, Provider
from regsupport.admin_tools import DiscardedFilter
from trainees.models import Trainee, WithdrawalReason

stock_site = admin.AdminSite(name="stock-admin")


@admin.register(Trainee, site=stock_site)
class StockTraineeAdmin(SimpleHistoryAdmin):
    list_display = [
        "first_names",
        "last_name",
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
    list_select_related = ["provider"]
    autocomplete_fields = ["provider", "lead_partner"]
    raw_id_fields = ["apply_application"]
    show_full_result_count = False


@admin.register(Provider, site=stock_site)
class StockProviderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "ukprn", "accreditation_id", "accredited", "discarded_at"]
    list_filter = ["accredited", "apply_sync_enabled"]
    search_fields = ["name", "=code", "=ukprn", "=accreditation_id"]


@admin.register(LeadPartner, site=stock_site)
class StockLeadPartnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "record_type", "ukprn", "urn", "provider", "discarded_at"]
    list_filter = ["record_type"]
    search_fields = ["name", "=ukprn", "=urn"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]


@admin.register(WithdrawalReason, site=stock_site)
class StockWithdrawalReasonAdmin(admin.ModelAdmin):
    list_display = ["name"]
