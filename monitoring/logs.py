"""Structured logs: one JSON object per line in production (``LOG_FORMAT=json``), readable
``key=value`` lines in development (``LOG_FORMAT=text``).

Fields go in ``extra``; every line also gets the request id and user of the request it was
written in, if any (``ContextFilter``), so a console action's lines can be found together::

    log_event(logger, "job.finished", job_id=5, outcome="dead", duration_ms=81.2)

The events and their fields are listed in docs/deploy.md, "Logs".
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user: contextvars.ContextVar[str | None] = contextvars.ContextVar("user", default=None)

# What a record carries that is not a field of ours (plus what ContextFilter adds).
_STANDARD = set(RESERVED_ATTRS) | {"message", "asctime", "request_id", "user", "color_message"}


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: Any):
    """One line saying ``event`` happened, with ``fields`` as its own keys."""
    logger.log(level, event, extra={"event": event, **fields})


class ContextFilter(logging.Filter):
    """Adds the current request's id and user to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        if not hasattr(record, "user"):
            record.user = user.get()
        return True


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_data, record, message_dict)
        # A line outside any request says nothing about one.
        for name in ("request_id", "user"):
            if log_data.get(name) is None:
                log_data.pop(name, None)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...``, for a person reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        # Before any traceback, which format() appends to this.
        line = super().formatMessage(record)
        fields = {
            name: value
            for name, value in record.__dict__.items()
            if name not in _STANDARD and name != "event" and not name.startswith("_")
        }
        for name in ("request_id", "user"):
            if getattr(record, name, None) is not None:
                fields[name] = getattr(record, name)
        if fields:
            line += " " + " ".join(f"{name}={value}" for name, value in fields.items())
        return line
