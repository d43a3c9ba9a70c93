"""Sending the outbox to the sink in batches, as BigQuery's streaming insert
(``tabledata.insertAll``): ``POST {sink}bigquery/v2/projects/P/datasets/D/tables/T/insertAll``
with ``{"rows": [{"insertId": ..., "json": {...}}]}``; the answer lists ``insertErrors``
by row index.

Run by the periodic job ``analytics.ship`` (beat, every 2 s) on a worker, never by a
request. One shipper at a time (a PostgreSQL advisory lock). A batch the sink accepted is
deleted; rows it rejected are deleted and counted; when the sink is down or slow the batch
stays and is tried again next time, while the outbox's bound (``analytics.events.trim``)
drops the oldest events.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests
from django.db import connection

from regsupport.config import settings as app_settings

from . import events
from .models import DroppedEvents, OutboxEvent

logger = logging.getLogger(__name__)

# Any constant unique to this lock among the project's advisory locks.
SHIPPER_LOCK = 0x616E616C  # "anal"
# One run sends batches for at most this long, so runs do not pile up behind each other.
RUN_SECONDS = 1.5


@dataclass
class ShipResult:
    sent: int = 0
    rejected: int = 0
    dropped: int = 0
    # Why the run stopped early: "off", "busy" (another shipper), "no sink", or the error.
    stopped: str = ""


def insert_all_url() -> str:
    base = str(app_settings.get("analytics.sink_url", "")).rstrip("/")
    project = app_settings.get("analytics.project")
    dataset = app_settings.get("analytics.dataset")
    table = app_settings.get("analytics.table")
    return f"{base}/bigquery/v2/projects/{project}/datasets/{dataset}/tables/{table}/insertAll"


def ship() -> ShipResult:
    """Send what the outbox holds, batch after batch, for up to ``RUN_SECONDS``."""
    result = ShipResult()
    if not events.enabled():
        result.stopped = "off"
        return result
    if not app_settings.get("analytics.sink_url", ""):
        result.stopped = "no sink"
        return result
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SHIPPER_LOCK])
        (locked,) = cursor.fetchone()
    if not locked:
        result.stopped = "busy"
        return result
    try:
        result.dropped = events.trim()
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            # The switch is read again between batches: off stops sending within a batch.
            if not events.enabled():
                result.stopped = "off"
                break
            if not _ship_batch(result):
                break
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SHIPPER_LOCK])
    return result


def _ship_batch(result: ShipResult) -> bool:
    """Send one batch; True when it went and more may be waiting."""
    batch_size = int(app_settings.get("analytics.batch_size", 500))
    rows = list(OutboxEvent.objects.order_by("id").values_list("id", "payload")[:batch_size])
    if not rows:
        return False
    body = {
        "kind": "bigquery#tableDataInsertAllRequest",
        "skipInvalidRows": True,
        "ignoreUnknownValues": False,
        "rows": [{"insertId": str(event_id), "json": payload} for event_id, payload in rows],
    }
    headers = {}
    if key := app_settings.get("analytics.api_key", ""):
        headers["Authorization"] = f"Bearer {key}"
    try:
        response = requests.post(
            insert_all_url(),
            json=body,
            headers=headers,
            timeout=float(app_settings.get("analytics.timeout_seconds", 5)),
        )
        response.raise_for_status()
        answer = response.json()
    except (requests.RequestException, ValueError) as error:
        # The batch stays in the outbox; the next run tries again.
        result.stopped = f"sink error: {error}"
        logger.warning("Analytics sink did not take %d events: %s", len(rows), error)
        return False
    rejected = {int(error["index"]) for error in answer.get("insertErrors") or []}
    OutboxEvent.objects.filter(id__in=[event_id for event_id, _ in rows]).delete()
    if rejected:
        DroppedEvents.objects.create(count=len(rejected), why=DroppedEvents.Why.REJECTED)
        logger.warning("Analytics sink rejected %d of %d events", len(rejected), len(rows))
    result.sent += len(rows) - len(rejected)
    result.rejected += len(rejected)
    return len(rows) == batch_size
