from django.contrib import admin

from regsupport.admin_lists import ListColumn, TableChangeList, local_datetime
from regsupport.admin_tools import AuditedAdmin, DiscardedFilter
from regsupport.fix_admin import FixesAdminMixin

from .models import LeadPartner, LeadPartnerUser, Provider, ProviderUser, User

YES_NO = {True: "Yes", False: "No"}
RECORD_TYPES = dict(LeadPartner.RecordType.choices)


class ProviderUserInline(admin.TabularInline):
    # LeadPartnerUserInline shows the other membership table the same way.
    model: type[ProviderUser] | type[LeadPartnerUser] = ProviderUser
    extra = 0
    autocomplete_fields = ["user"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class LeadPartnerUserInline(ProviderUserInline):
    model = LeadPartnerUser


@admin.register(Provider)
class ProviderAdmin(FixesAdminMixin, AuditedAdmin):
    # The id is what copy_providers_to_lead_partners and the shell take.
    list_display = [
        "name",
        "id",
        "code",
        "ukprn",
        "accreditation_id",
        "accredited",
        "apply_sync_enabled",
        "discarded_at",
    ]
    list_filter = ["accredited", "apply_sync_enabled", DiscardedFilter]
    search_fields = ["name", "=code", "=ukprn", "=accreditation_id"]
    inlines = [ProviderUserInline]
    # list_display's columns, rendered in one pass (regsupport.admin_lists).
    list_columns = [
        ListColumn("name", "name", lambda p: p.name),
        ListColumn("id", "id", lambda p: p.pk),
        ListColumn("code", "code", lambda p: p.code),
        ListColumn("ukprn", "UKPRN", lambda p: p.ukprn),
        ListColumn("accreditation_id", "accreditation id", lambda p: p.accreditation_id),
        ListColumn("accredited", "accredited", lambda p: YES_NO[p.accredited]),
        ListColumn("apply_sync_enabled", "Apply sync", lambda p: YES_NO[p.apply_sync_enabled]),
        ListColumn("discarded_at", "discarded", lambda p: local_datetime(p.discarded_at)),
    ]
    change_list_template = "admin/table_change_list.html"

    def get_changelist(self, request, **kwargs):
        return TableChangeList


@admin.register(LeadPartner)
class LeadPartnerAdmin(FixesAdminMixin, AuditedAdmin):
    list_display = ["name", "record_type", "ukprn", "urn", "provider", "discarded_at"]
    list_filter = ["record_type", DiscardedFilter]
    search_fields = ["name", "=ukprn", "=urn"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]
    inlines = [LeadPartnerUserInline]
    list_columns = [
        ListColumn("name", "name", lambda p: p.name),
        ListColumn("record_type", "record type", lambda p: RECORD_TYPES.get(p.record_type)),
        ListColumn("ukprn", "UKPRN", lambda p: p.ukprn),
        ListColumn("urn", "URN", lambda p: p.urn),
        ListColumn("provider", "provider", lambda p: p.provider and p.provider.name),
        ListColumn("discarded_at", "discarded", lambda p: local_datetime(p.discarded_at)),
    ]
    change_list_template = "admin/table_change_list.html"

    def get_changelist(self, request, **kwargs):
        return TableChangeList


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = ["email", "first_name", "last_name", "discarded_at"]
    list_filter = [DiscardedFilter]
    search_fields = ["email", "first_name", "last_name"]


@admin.register(ProviderUser)
class ProviderUserAdmin(AuditedAdmin):
    list_display = ["user", "provider", "created_at"]
    list_select_related = ["user", "provider"]
    search_fields = ["user__email", "provider__name"]
    autocomplete_fields = ["user", "provider"]


@admin.register(LeadPartnerUser)
class LeadPartnerUserAdmin(AuditedAdmin):
    list_display = ["user", "lead_partner", "created_at"]
    list_select_related = ["user", "lead_partner"]
    search_fields = ["user__email", "lead_partner__name"]
    autocomplete_fields = ["user", "lead_partner"]
