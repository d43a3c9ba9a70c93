"""Since when DQT has been failing: answering 5xx or 429, or not at all (timeouts,
refused connections), with no good answer in between, whichever worker made the calls.

Each failure is written to Redis in one round trip: it sets ``failing-since`` if unset and
``last-failure``. A good answer clears ``failing-since``, at most once a second per process
while answers stay good: a worker running hundreds of calls a second would otherwise pay
a round trip per call to repeat the same delete. ``last-failure`` lets a reader ignore a
``failing-since`` that no worker has confirmed lately (its worker died).
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from .store import key, redis_client

logger = logging.getLogger(__name__)

FAILING_SINCE = key("dqt", "failing-since")
LAST_FAILURE = key("dqt", "last-failure")
# What DQT answers while it cannot do the work (a 4xx other than 429 is about the request).
NO_ANSWER = ("timeout", "connection_error")
# How long a process goes without repeating the clearing write while DQT keeps answering.
CLEAR_EVERY_SECONDS = 1.0

_cleared = {"at": float("-inf")}  # monotonic time of this process's last clearing write
_cleared_lock = threading.Lock()


def is_failure(status: str) -> bool:
    return status in NO_ANSWER or status == "429" or status.startswith("5")


def record(status: str, *, now: float | None = None) -> None:
    failure = is_failure(status)
    if not failure and now is None:
        with _cleared_lock:
            if time.monotonic() - _cleared["at"] < CLEAR_EVERY_SECONDS:
                return
            _cleared["at"] = time.monotonic()
    now = time.time() if now is None else now
    pipe = redis_client().pipeline(transaction=False)
    if failure:
        # The next good answer clears at once, whenever the last clearing write was.
        _cleared["at"] = float("-inf")
        pipe.set(FAILING_SINCE, repr(now), nx=True)
        pipe.set(LAST_FAILURE, repr(now))
    else:
        pipe.delete(FAILING_SINCE)
    try:
        pipe.execute()
    except redis.RedisError as error:
        _cleared["at"] = float("-inf")
        logger.warning("DQT's answer not recorded for alerts, Redis is unreachable: %s", error)


def failing_for(*, now: float | None = None, confirmed_within: float) -> float | None:
    """Seconds DQT has been failing, or None if it answered well since its last failure,
    or no failure came in the last ``confirmed_within`` seconds."""
    now = time.time() if now is None else now
    since, last = redis_client().mget([FAILING_SINCE, LAST_FAILURE])
    if since is None or last is None or now - float(last) > confirmed_within:
        return None
    return max(now - float(since), 0.0)
