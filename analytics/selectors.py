"""Reads over the analytics outbox, for the console and for metrics."""

from __future__ import annotations

from django.db.models import Sum

from .models import DroppedEvents, OutboxEvent


def outbox_size() -> int:
    """Events waiting to be shipped (bounded by ``analytics.outbox_limit``)."""
    return OutboxEvent.objects.count()


def dropped_total(why: str | None = None) -> int:
    """Events ever dropped, all reasons or one (``DroppedEvents.Why``)."""
    rows = DroppedEvents.objects.all() if why is None else DroppedEvents.objects.filter(why=why)
    return rows.aggregate(total=Sum("count"))["total"] or 0
