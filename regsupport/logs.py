"""Readable logs for `make run` and production: the scheduler's sweep runs every 5 seconds,
the analytics shipper every 2 and the alert check every minute, and three log lines for
each run (beat sending it, a worker receiving it, the worker finishing it) would bury
everything else. Those lines are dropped unless the task did something (the sweep put back
a lost job or released a scheduled one, the shipper sent events, the check sent an alert);
warnings and errors are never dropped."""

from __future__ import annotations

import logging
import re

QUIET_TASKS = {"jobs.sweep", "analytics.ship", "monitoring.check_alerts"}
QUIET_BEAT_ENTRIES = {"jobs-sweep", "analytics-ship", "monitoring-check-alerts"}
# A count other than 0 in the task's result ({'released': 2, ...}).
_DID_SOMETHING = re.compile(r":\s*[1-9]")
_NOTHING = {"", "None", "0", "[]", "{}", "()"}


def _did_something(return_value: str) -> bool:
    value = return_value.strip()
    if value in _NOTHING:
        return False
    if value.startswith("{"):
        return bool(_DID_SOMETHING.search(value))
    return True


class IdleHousekeeping(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        args = record.args
        if isinstance(args, dict) and args.get("name") in QUIET_TASKS:
            return _did_something(str(args.get("return_value", "")))
        if isinstance(args, tuple) and args and args[0] in QUIET_BEAT_ENTRIES:
            return False
        return True


# The loggers Celery writes these lines to: beat's "Sending due task", a worker's
# "received" and the trace's "succeeded".
LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def quiet_idle_housekeeping() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, IdleHousekeeping) for f in logger.filters):
            logger.addFilter(IdleHousekeeping())
