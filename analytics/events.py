"""Recording analytics events into the outbox, shaped like DfE Analytics' events (the gem
Register uses: its ``config/initializers/dfe_analytics.rb`` switches it with
``features.google.send_data_to_big_query``, and ``config/analytics_hidden_pii.yml`` names the
fields sent apart as ``hidden_data``).

- ``create_entity`` / ``update_entity`` / ``delete_entity`` for every history row an
  audited model writes (django-simple-history's ``post_create_historical_record``), in the
  same transaction as the change: a rolled-back change records nothing;
- ``web_request`` for every console request (``analytics.middleware``).

Recording is one INSERT, never a call to the sink (``analytics.shipping`` sends batches from
a periodic job), and does nothing while ``features.google.send_data_to_big_query`` is off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from monitoring import logs
from regsupport.config import settings as app_settings

from .models import DroppedEvents, OutboxEvent

logger = logging.getLogger(__name__)

FLAG = "features.google.send_data_to_big_query"
# Register's config/analytics_hidden_pii.yml (tables named as ours): sent in hidden_data,
# which BigQuery keeps behind a stricter access policy, never in data.
HIDDEN_PII = {
    "trainees_trainee": {
        "first_names",
        "middle_names",
        "last_name",
        "email",
        "date_of_birth",
        "trn",
    },
    "providers_user": {"email", "first_name", "last_name"},
}
HISTORY_EVENT_TYPES = {"+": "create_entity", "~": "update_entity", "-": "delete_entity"}


# The signed-in user of the console request being served (its id is monitoring's request
# id, ``monitoring.logs.request_id``), so the entity events it makes carry both.
current_user_id: ContextVar[int | None] = ContextVar("analytics_user_id", default=None)


def enabled() -> bool:
    return bool(app_settings.get(FLAG, False))


def _value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def key_values(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """DfE Analytics' ``data`` shape: ``[{"key": name, "value": [text, ...]}, ...]``."""
    return [
        {"key": name, "value": [] if value is None else [_value(value)]}
        for name, value in sorted(fields.items())
    ]


def base_event(event_type: str) -> dict[str, Any]:
    return {
        "environment": app_settings.environment,
        "namespace": "regsupport",
        "occurred_at": timezone.now().isoformat(),
        "event_type": event_type,
        "request_uuid": logs.request_id.get(),
        "user_id": current_user_id.get(),
    }


def record(event: dict[str, Any]) -> None:
    """Put ``event`` in the outbox (when the stream is on). One INSERT; every so often,
    after the commit, the oldest events beyond the bound are dropped and counted."""
    if not enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_outbox_event (occurred_at, event_type, payload) "
            "VALUES (%s, %s, %s) RETURNING id",
            [event["occurred_at"], event["event_type"], json.dumps(event, default=str)],
        )
        (new_id,) = cursor.fetchone()
    limit = outbox_limit()
    if new_id % trim_interval(limit) == 0:
        # After the commit: never inside the caller's transaction, where deleting old rows
        # would hold their locks until the caller commits.
        transaction.on_commit(lambda: trim(newest_id=new_id, limit=limit))


def outbox_limit() -> int:
    return max(1, int(app_settings.get("analytics.outbox_limit", 100_000)))


def trim_interval(limit: int) -> int:
    """Trim every this many inserts: the table may pass its bound by at most 1%."""
    return max(1, min(100, limit // 100))


def trim(*, newest_id: int | None = None, limit: int | None = None) -> int:
    """Drop the oldest events so at most ``limit`` remain; count them. Ids only grow, so
    every event older than ``newest_id - limit`` is beyond the bound."""
    limit = outbox_limit() if limit is None else limit
    if newest_id is None:
        newest_id = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()
        if newest_id is None:
            return 0
    dropped, _ = OutboxEvent.objects.filter(id__lte=newest_id - limit).delete()
    if dropped:
        DroppedEvents.objects.create(count=dropped, why=DroppedEvents.Why.OUTBOX_FULL)
        logger.warning("Analytics outbox full: dropped the %d oldest events", dropped)
    return dropped


def anonymised(*parts: str) -> str:
    """DfE Analytics' ``anonymised_user_agent_and_ip``: a SHA-256 of the two, not either."""
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def record_history_row(history_instance: Any, **_: Any) -> None:
    """simple-history's ``post_create_historical_record``: one entity event per history row."""
    if not enabled():
        return
    model = history_instance.instance_type  # the sender is the history model
    table = model._meta.db_table
    event = base_event(HISTORY_EVENT_TYPES.get(history_instance.history_type, "update_entity"))
    fields = _changed_fields(model, history_instance)
    hidden = HIDDEN_PII.get(table, set())
    # DfE Analytics' entity events carry the id among the fields in data.
    fields = {"id": getattr(history_instance, model._meta.pk.attname), **fields}
    event.update(
        entity_table_name=table,
        data=key_values({k: v for k, v in fields.items() if k not in hidden}),
        hidden_data=key_values({k: v for k, v in fields.items() if k in hidden}),
        event_tags=[],
    )
    user = history_instance.history_user_id
    if user is not None:
        event["user_id"] = user
    record(event)


def _changed_fields(model: Any, history_instance: Any) -> dict[str, Any]:
    """Every field for a create, the changed ones (new values) for an update, none for a
    delete (the entity id says which)."""
    names = [f.attname for f in model._meta.concrete_fields]
    if history_instance.history_type == "-":
        return {}
    current = {name: getattr(history_instance, name, None) for name in names}
    if history_instance.history_type == "+":
        return current
    previous = history_instance.prev_record
    if previous is None:
        return current
    return {
        name: value for name, value in current.items() if getattr(previous, name, None) != value
    }
