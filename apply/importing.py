"""Reading applications from Apply and keeping them as ``trainees.ApplyApplication`` rows
(Register's ``RecruitsApi::RetrieveApplications`` and ``RecruitsApi::ImportApplication``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jobs.errors import PermanentError
from regsupport.audit import audit_context
from regsupport.config import settings as app_settings
from trainees.models import ApplyApplication

from .client import ApplyClient, ApplyHttpError
from .models import ApplyApplicationSyncRequest

SYSTEM_REASON = "Apply import"
UNIVERSITY = "university"


class MalformedApplication(PermanentError):
    """Apply sent an application Register cannot read (Register's
    ``RecruitsApiMissingDataError``). It is kept, with the problem in ``invalid_data``."""


def import_years() -> list[int]:
    """``apply_applications.import.recruitment_cycle_years``: a YAML list, or from the
    environment one year or several separated by commas."""
    value = app_settings.get("apply_applications.import.recruitment_cycle_years", [])
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    return [int(year) for year in value]


def create_year() -> int:
    return int(app_settings.get("apply_applications.create.recruitment_cycle_year"))


def last_successful_sync(recruitment_cycle_year: int) -> datetime | None:
    return (
        ApplyApplicationSyncRequest.objects.filter(
            recruitment_cycle_year=recruitment_cycle_year, successful=True
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def retrieve_applications(
    *, recruitment_cycle_year: int, changed_since: datetime | None
) -> list[dict[str, Any]]:
    """Every page of applications changed since then, following ``Total-Pages``. One sync
    request row records the retrieval: successful after the last page, or the status that
    stopped it (then the error is raised). A timeout records nothing, as in Register.

    The row's time is when the retrieval *started*: Register stamps the end, so a choice
    changed while the pages were being read was never asked for again."""
    started = timezone.now()
    client = ApplyClient()
    applications: list[dict[str, Any]] = []
    page, total_pages = 1, 1
    while page <= total_pages:
        try:
            answer = client.applications(
                recruitment_cycle_year=recruitment_cycle_year,
                changed_since=changed_since,
                page=page,
            )
        except ApplyHttpError as error:
            _log_sync(recruitment_cycle_year, error.status, started)
            raise
        applications.extend(answer.data)
        total_pages = answer.total_pages
        page += 1
    _log_sync(recruitment_cycle_year, 200, started)
    return applications


def _log_sync(recruitment_cycle_year: int, status: int | None, started: datetime) -> None:
    ApplyApplicationSyncRequest.objects.create(
        recruitment_cycle_year=recruitment_cycle_year,
        response_code=status,
        successful=status == 200,
        created_at=started,
    )


def apply_id_of(application_data: Any) -> int:
    try:
        return int(application_data["id"])
    except (TypeError, KeyError, ValueError):
        raise MalformedApplication(
            f"Apply sent an application without a readable id: {str(application_data)[:300]}",
            title="Malformed Apply application",
        ) from None


def import_application(application_data: dict[str, Any]) -> ApplyApplication:
    """Find or create the row by ``apply_id``; leave it alone if it exists and is no longer
    importable; otherwise store the payload, body code and year, and mark it
    ``non_importable_hei`` when the training or accredited provider is a university.

    An application without its course block is still kept (new rows without body code or
    year, so nothing creates a trainee from them), the problem in ``invalid_data``, and
    :class:`MalformedApplication` is raised so its job goes dead and says so."""
    apply_id = apply_id_of(application_data)
    attributes = application_data.get("attributes") if isinstance(application_data, dict) else None
    course = attributes.get("course") if isinstance(attributes, dict) else None
    with transaction.atomic():
        application = ApplyApplication.objects.select_for_update().filter(apply_id=apply_id).first()
        if application is not None and application.state != ApplyApplication.State.IMPORTABLE:
            return application
        if not isinstance(course, dict):
            problem = (
                f"Apply application_id {apply_id} could not be imported: it has no course details"
            )
            _keep_malformed(application, apply_id, application_data, problem)
        else:
            problem = ""
            application = application or ApplyApplication(apply_id=apply_id)
            application.application = application_data
            application.accredited_body_code = str(
                course.get("accredited_provider_code") or course.get("training_provider_code") or ""
            ).upper()
            application.recruitment_cycle_year = course.get("recruitment_cycle_year")
            university = UNIVERSITY in (
                course.get("training_provider_type"),
                course.get("accredited_provider_type"),
            )
            application.state = (
                ApplyApplication.State.NON_IMPORTABLE_HEI
                if university
                else ApplyApplication.State.IMPORTABLE
            )
            if application.invalid_data and "import" in application.invalid_data:
                application.invalid_data = {
                    k: v
                    for k, v in application.invalid_data.items()
                    if k not in ("import", "payload")
                } or None
            with audit_context(application, reason=SYSTEM_REASON):
                application.save()
    if problem:
        raise MalformedApplication(problem, title="Malformed Apply application")
    assert application is not None
    return application


def _keep_malformed(
    application: ApplyApplication | None, apply_id: int, data: Any, problem: str
) -> None:
    """Nothing Apply sent is lost: a new row keeps the payload; an existing one keeps its
    last good payload and the new one beside the problem."""
    if application is None:
        application = ApplyApplication(
            apply_id=apply_id, application=data, invalid_data={"import": problem}
        )
    else:
        application.invalid_data = {
            **(application.invalid_data or {}),
            "import": problem,
            "payload": data,
        }
    with audit_context(application, reason=f"{SYSTEM_REASON}: malformed application kept"):
        application.save()
