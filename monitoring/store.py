"""The Redis that monitoring shares between processes (the broker's, ``REDIS_URL``):
heartbeats, metrics from worker processes, alert rate limits. Every process, on any
machine, reaches the same one, which is why it is used rather than files on one machine."""

from __future__ import annotations

import redis
from django.conf import settings

# Short: a health check or a job must not hang on a Redis that does not answer.
TIMEOUT_SECONDS = 2.0
PREFIX = "monitoring:"

_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis:
    """One client (and connection pool) per process and URL; redis-py's pool opens new
    connections after a fork, so a prefork child never shares its parent's."""
    url = settings.CELERY_BROKER_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
    return client


def key(*parts: str) -> str:
    return PREFIX + ":".join(parts)
