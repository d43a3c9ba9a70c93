from django.contrib import admin

from regsupport.admin_tools import AuditedAdmin

from .models import TrnRequest


@admin.register(TrnRequest)
class TrnRequestAdmin(AuditedAdmin):
    list_display = ["request_id", "trainee", "state", "created_at", "days_waiting"]
    list_filter = ["state"]
    search_fields = ["=request_id", "=trainee__slug", "=trainee__trn"]
    list_select_related = ["trainee"]
    raw_id_fields = ["trainee"]
    readonly_fields = ["request_id"]
