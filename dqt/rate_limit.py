"""One rate for all calls to DQT, whichever process makes them: ``dqt.max_requests_per_second``.

A shared schedule in Redis (the generic cell rate algorithm): each call reserves the next
free slot in one round trip and waits until it comes. A 429 from DQT moves the schedule
past its Retry-After, so every worker pauses, not just the one that was told. Register
kept to DQT's limit of 3,000 requests a minute (`Dqt::SyncTeachersJob`); the setting's
default, 40 a second, leaves room for the other services sharing that limit.

If Redis cannot be reached the call goes ahead unlimited: a worker without Redis gets no
new jobs anyway, and failing a DQT job for want of a counter would be worse.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.conf import settings

from regsupport.config import settings as app_settings

from .errors import DqtRateLimited

logger = logging.getLogger(__name__)

KEY = "dqt:rate:next-slot"
# Microseconds throughout, on Redis's clock, so workers on several machines agree.
_RESERVE = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now - burst
if wait < 0 then wait = 0 end
if wait > max_wait then return -wait end
redis.call('SET', KEYS[1], slot + interval, 'PX', math.floor((slot + interval - now) / 1000) + 1000)
return wait
"""
# The burst allowance is added so that no call goes before the pause is over.
_PAUSE = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local slot = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if slot > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], slot, 'PX', math.floor((slot - now) / 1000) + 1000)
end
return slot - now
"""

_scripts: tuple[Any, Any] | None = None


def _redis_scripts() -> tuple[Any, Any]:
    """The two scripts, sent once and then run by their hash (reloaded if Redis forgot them)."""
    global _scripts
    if _scripts is None:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        )
        _scripts = (client.register_script(_RESERVE), client.register_script(_PAUSE))
    return _scripts


def _schedule() -> tuple[float, float, float]:
    """The interval between calls and the burst allowance (microseconds), the longest wait
    (seconds); a rate of 0 means no limit."""
    rate = float(app_settings.get("dqt.max_requests_per_second", 40) or 0)
    interval = 1_000_000 / rate if rate > 0 else 0.0
    # A second's worth of calls may go at once after a quiet spell.
    burst = interval * max(rate - 1, 0)
    return interval, burst, float(app_settings.get("dqt.rate_limit_max_wait_seconds", 10))


def wait_for_turn(*, max_wait: float | None = None) -> None:
    """Wait until this call may go to DQT. Raises ``DqtRateLimited`` (transient) rather than
    wait longer than ``dqt.rate_limit_max_wait_seconds`` (or ``max_wait``, for a console
    page that must not hang): the job then tries again later."""
    interval, burst, longest = _schedule()
    max_wait = longest if max_wait is None else min(max_wait, longest)
    if not interval:
        return
    reserve, _ = _redis_scripts()
    try:
        wait = int(reserve(keys=[KEY], args=[int(interval), int(burst), int(max_wait * 1e6)]))
    except redis.RedisError as error:
        logger.warning("DQT rate limit not applied, Redis is unreachable: %s", error)
        return
    if wait < 0:
        raise DqtRateLimited(retry_after=-wait / 1e6)
    if wait:
        time.sleep(wait / 1e6)


def pause(seconds: float) -> None:
    """DQT said to slow down (429): no call from any worker until ``seconds`` from now."""
    _, burst, _ = _schedule()
    _, pause_script = _redis_scripts()
    try:
        pause_script(keys=[KEY], args=[int(seconds * 1e6), int(burst)])
    except redis.RedisError as error:
        logger.warning("DQT's Retry-After not shared, Redis is unreachable: %s", error)
