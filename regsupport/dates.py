"""One date style across the console: UK dates in words ("4 August 1981") and times with
their zone ("4 August 1981, 14:05 GMT"), never ISO. Templates get the same through the
format module (``regsupport/formats``: Django's DATE_FORMAT and DATETIME_FORMAT)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

DATE = "%-d %B %Y"


def uk_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return f"{value:{DATE}}"


def uk_datetime(value: datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    local = timezone.localtime(value)
    return f"{local:{DATE}, %H:%M} {local.tzname()}"


def readable(value: Any) -> Any:
    """A date, a time or an ISO string of either, in the console's words; anything else as
    it is."""
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-":
        try:
            parsed: date | None = parse_datetime(value) if len(value) > 10 else parse_date(value)
        except ValueError:  # shaped like a date but none ("2026-13-45"): shown as it is
            parsed = None
        value = parsed if parsed is not None else value
    if isinstance(value, datetime):
        return uk_datetime(value)
    if isinstance(value, date):
        return uk_date(value)
    return value
