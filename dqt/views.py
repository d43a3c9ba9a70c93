"""Register's system-admin Pending TRNs and Pending awards pages, as console pages.

What they list and how they sort follow ``app/controllers/system_admin/pending_trns_controller.rb``
and ``pending_awards_controller.rb`` (DFE-Digital/register-trainee-teachers). Their
buttons that change records are fixes (``dqt/fixes.py``: *Check for TRN*, *Re-submit for
TRN*), which ask for a reason; *Check* on a pending award only reads DQT.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from regsupport.config import settings as app_settings
from trainees.models import Trainee

from . import selectors
from .fixes import CheckForTrn, ResubmitForTrn

VIEW_TRAINEES = "trainees.view_trainee"


def _page(request, trainees, sorts: dict[str, str]):
    sort = request.GET.get("sort_by", "days_waiting")
    if sort not in sorts:
        sort = "days_waiting"
    per_page = int(app_settings.get("pagination.records_per_page", 100))
    return sort, Paginator(trainees(sort), per_page).get_page(request.GET.get("page"))


def _context(request, title: str, sort: str, sorts: dict[str, str], page) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "sort": sort,
        "sorts": sorts,
        "page": page,
        "integration_on": selectors.jobs.integration_enabled(),
    }


@permission_required(VIEW_TRAINEES, raise_exception=True)
def pending_trns(request):
    sort, page = _page(request, selectors.pending_trns, selectors.PENDING_SORTS)
    check, resubmit = CheckForTrn(), ResubmitForTrn()
    rows = []
    for row in selectors.pending_trn_rows(list(page.object_list)):
        trn_request = getattr(row.trainee, "dqt_trn_request", None)
        rows.append(
            {
                "row": row,
                "trn_request": trn_request,
                "response": selectors.formatted_trn_response(
                    trn_request.response if trn_request else None
                ),
                "check_url": check.url(row.trainee),
                "resubmit_url": resubmit.url(row.trainee),
            }
        )
    context = _context(request, "Trainees pending TRN", sort, selectors.PENDING_SORTS, page)
    context.update(rows=rows, may_fix=check.allowed(request.user))
    return TemplateResponse(request, "admin/dqt/pending_trns.html", context)


@permission_required(VIEW_TRAINEES, raise_exception=True)
def pending_awards(request):
    sort, page = _page(request, selectors.pending_awards, selectors.AWARD_SORTS)
    context = _context(request, "Trainees pending award", sort, selectors.AWARD_SORTS, page)
    context["rows"] = selectors.pending_award_rows(list(page.object_list))
    return TemplateResponse(request, "admin/dqt/pending_awards.html", context)


@require_POST
@permission_required(VIEW_TRAINEES, raise_exception=True)
def pending_award_check(request, trainee_id: int):
    trainee = get_object_or_404(
        Trainee.objects.select_related("provider"),
        pk=trainee_id,
        state=Trainee.State.RECOMMENDED_FOR_AWARD,
        discarded_at__isnull=True,
    )
    outcome, message = selectors.award_check(trainee)
    levels = {selectors.AWARD_HELD: messages.WARNING, selectors.AWARD_UNKNOWN: messages.ERROR}
    messages.add_message(request, levels.get(outcome, messages.INFO), message)
    back = request.POST.get("back", "")
    listing = reverse("admin:dqt-pending-awards")
    return HttpResponseRedirect(back if back.startswith(listing) else listing)
