"""The analytics outbox: events waiting to be shipped to the analytics sink (BigQuery in
the real service), shaped like DfE Analytics' events (docs/analytics.md).

Requests and services only ever INSERT here; a periodic job ships batches and deletes them.
The table is bounded (``analytics.outbox_limit``): when the sink is slow or down the oldest
events are deleted and counted in :class:`DroppedEvents`, so a dead sink costs disk, never
a request."""

from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """One event not yet accepted by the sink. ``payload`` is the row as the sink gets it
    (BigQuery's ``insertAll`` ``json``); the columns beside it are for people and metrics."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    event_type = models.CharField(max_length=32)
    payload = models.JSONField()

    class Meta:
        db_table = "analytics_outbox_event"
        verbose_name = "analytics outbox event"

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class DroppedEvents(models.Model):
    """One row each time events were dropped (bound reached, or refused by the sink):
    append-only, so recording a drop never waits on another one; the total is a SUM."""

    class Why(models.TextChoices):
        OUTBOX_FULL = "outbox_full", "outbox full (oldest dropped)"
        REJECTED = "rejected", "rejected by the sink"

    at = models.DateTimeField(auto_now_add=True)
    count = models.PositiveIntegerField()
    why = models.CharField(max_length=16, choices=Why.choices)

    class Meta:
        db_table = "analytics_dropped_events"
        verbose_name_plural = "dropped analytics events"

    def __str__(self) -> str:
        return f"{self.count} dropped ({self.why}) at {self.at:%Y-%m-%d %H:%M:%S}"
