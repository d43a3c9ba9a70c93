"""Alerts to the support channel (a Slack incoming webhook, ``slack.webhook_url``).

Every alert names the console page that resolves it and the section of docs/deploy.md
that says what to do. Each kind is sent at most once per ``alerts.repeat_after_minutes``
(a key in Redis, shared by every process); the next one says how many were held back.
An alert that cannot be sent is logged, never raised: the failure it reports is what
matters, and the next check tries again.

The kinds (docs/deploy.md, "Alerts"), and who checks them:

- ``trn-poll-timeout``: a DQT job gave up waiting for a TRN (``dqt.jobs``, when it does);
- ``dead-jobs-rising``, ``oldest-waiting-job``, ``dqt-failing``: ``check_all``, a beat task
  every minute (``monitoring.check_alerts``);
- ``beat-silent``, ``workers-silent``: also ``check_all``, but a task needs beat and a
  worker, so each worker checks beat as it writes its heartbeat, beat checks the workers
  as it ticks, and ``/readyz`` checks both when it fails.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
import requests
from django.conf import settings
from django.db import connection
from django.urls import reverse

from regsupport.config import settings as app_settings

from . import dqt_health, health, heartbeat, logs
from .store import key, redis_client

logger = logging.getLogger("regsupport.alerts")
USERNAME = "regsupport: Job Failure"
# A process only reports others silent once it has been up long enough to have heard them:
# at a deploy, beat starts before the workers have written their first heartbeat.
STARTED = time.monotonic()


@dataclass(frozen=True)
class Alert:
    kind: str
    text: str
    # The console page that resolves it (a path, e.g. /admin/console/queues/).
    console_path: str

    @property
    def runbook_anchor(self) -> str:
        return f"alert-{self.kind}"


def _setting(name: str, default: float) -> float:
    return float(app_settings.get(f"alerts.{name}", default))


def message(alert: Alert, *, held_back: int = 0) -> str:
    base = str(app_settings.get("base_url", "") or "").rstrip("/")
    runbook = str(app_settings.get("alerts.runbook_url", "docs/deploy.md") or "docs/deploy.md")
    lines = [
        alert.text,
        f"Resolve: {base}{alert.console_path}",
        f"What to do: {runbook}#{alert.runbook_anchor}",
    ]
    if held_back:
        lines.append(f"({held_back} more of this alert were held back since the last one.)")
    return "\n".join(lines)


def send(alert: Alert) -> bool:
    """Post ``alert`` unless one of its kind went within ``alerts.repeat_after_minutes``.
    True if it was posted."""
    sent_key, held_key = key("alerts", alert.kind, "sent"), key("alerts", alert.kind, "held")
    window = max(int(_setting("repeat_after_minutes", 60) * 60), 1)
    client = redis_client()
    try:
        if not client.set(sent_key, "1", nx=True, ex=window):
            client.incr(held_key)
            client.expire(held_key, 7 * 24 * 3600)
            logs.log_event(logger, "alert.held_back", kind=alert.kind, text=alert.text)
            return False
        held_back = int(client.getdel(held_key) or 0)
    except redis.RedisError as error:
        # Without Redis there is no limit to apply; an alert is worth more than its repeat.
        logger.warning("Alert sent without its rate limit, Redis is unreachable: %s", error)
        held_back = 0
    posted = post_to_slack(message(alert, held_back=held_back))
    logs.log_event(
        logger,
        "alert.sent" if posted else "alert.not_sent",
        level=logging.WARNING,
        kind=alert.kind,
        text=alert.text,
    )
    if not posted:
        # Let the next check try again rather than stay quiet for the whole window.
        try:
            client.delete(sent_key)
            if held_back:
                client.incrby(held_key, held_back)
        except redis.RedisError:
            pass
    return posted


def post_to_slack(text: str) -> bool:
    url = app_settings.get("slack.webhook_url", "") or ""
    if not url:
        # The log is then where alerts go: repeating it every minute would only bury it.
        logger.warning("Alert (no slack.webhook_url set): %s", text)
        return True
    try:
        response = requests.post(
            url,
            json={"text": text, "username": USERNAME, "icon_emoji": ":this-is-fine:"},
            timeout=10,
        )
        response.raise_for_status()
    except requests.RequestException:
        logger.exception("Could not post an alert to Slack: %s", text)
        return False
    return True


# --- the checks ---------------------------------------------------------------------------


def dead_jobs_rising() -> Alert | None:
    """More jobs died in the last hour than ``alerts.dead_jobs_per_hour``."""
    limit = _setting("dead_jobs_per_hour", 20)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT task_name, count(*) FROM jobs_job
               WHERE state = 'dead' AND finished_at >= statement_timestamp() - interval '1 hour'
               GROUP BY task_name ORDER BY count(*) DESC, task_name"""
        )
        by_type = cursor.fetchall()
    total = sum(count for _, count in by_type)
    if total <= limit:
        return None
    types = ", ".join(f"{name}: {count}" for name, count in by_type)
    return Alert(
        "dead-jobs-rising",
        f"{total} jobs died in the last hour (alert above {limit:g} an hour). By type: {types}.",
        reverse("admin:jobs-dead-index"),
    )


def oldest_waiting_job() -> Alert | None:
    """A job has been waiting to run for longer than ``alerts.oldest_waiting_minutes``."""
    from .metrics import oldest_waiting_ages

    limit = _setting("oldest_waiting_minutes", 30)
    late = sorted((queue, age) for queue, age in oldest_waiting_ages().items() if age > limit * 60)
    if not late:
        return None
    queues = ", ".join(f"{queue} ({age / 60:.0f} minutes)" for queue, age in late)
    return Alert(
        "oldest-waiting-job",
        f"Jobs have been waiting to run for longer than {limit:g} minutes in: {queues}.",
        reverse("admin:jobs-queues"),
    )


def dqt_failing() -> Alert | None:
    """DQT has answered only 5xx or 429 (or nothing) for ``alerts.dqt_failing_minutes``."""
    limit = _setting("dqt_failing_minutes", 10) * 60
    failing = dqt_health.failing_for(confirmed_within=limit)
    if failing is None or failing < limit:
        return None
    return Alert(
        "dqt-failing",
        f"DQT has answered every call with 5xx or 429, or not at all, for {failing / 60:.0f} "
        "minutes: DQT jobs are retrying and will go on by themselves once it answers.",
        reverse("admin:jobs-queues"),
    )


def _heard_long_enough() -> bool:
    return time.monotonic() - STARTED > heartbeat.silent_after_seconds()


def beat_silent() -> Alert | None:
    silence = health.beat_silence()
    if silence is None or not _heard_long_enough():
        return None
    since = "never heard from" if silence == float("inf") else f"silent for {silence:.0f} s"
    return Alert(
        "beat-silent",
        f"Celery beat is {since}: no scheduled job is sent, no retry or poll is due, and "
        "the sweep does not resend lost jobs.",
        reverse("admin:jobs-queues"),
    )


def workers_silent() -> Alert | None:
    silent = health.silent_queues()
    if not silent or not _heard_long_enough():
        return None
    every = len(silent) == len(settings.JOBS_QUEUES)
    text = (
        "No Celery worker has been heard from: no job runs."
        if every
        else f"No Celery worker takes the {', '.join(silent)} queue: its jobs wait."
    )
    return Alert("workers-silent", text, reverse("admin:jobs-queues"))


SILENCE_CHECKS = (beat_silent, workers_silent)
CHECKS = (dead_jobs_rising, oldest_waiting_job, dqt_failing, *SILENCE_CHECKS)


def check(checks=CHECKS) -> list[str]:
    """Run ``checks`` and send what they find; the kinds sent. A check that crashes (the
    database is down) is logged and the others still run."""
    sent = []
    for run_check in checks:
        try:
            alert = run_check()
        except Exception:  # noqa: BLE001 - one broken check must not silence the others
            logger.exception("Alert check %s failed", run_check.__name__)
            continue
        if alert is not None and send(alert):
            sent.append(alert.kind)
    return sent
