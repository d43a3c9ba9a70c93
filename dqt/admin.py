from django.contrib import admin
from django.urls import path

from regsupport.admin_site import ConsoleTool, console_site
from regsupport.admin_tools import AuditedAdmin

from . import views
from .models import TrnRequest


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
