"""Alerts to the support channel (Slack incoming webhook, ``slack.webhook_url``).

Register posted "<Job> for Trainee with slug: … has timed out after 4 days" to Slack. An
alert that cannot be sent is logged, never raised: the job's own failure is what matters.
"""

from __future__ import annotations

import logging

import requests

from regsupport.config import settings as app_settings

logger = logging.getLogger(__name__)
USERNAME = "regsupport: Job Failure"


def post_alert(text: str) -> bool:
    url = app_settings.get("slack.webhook_url", "") or ""
    if not url:
        logger.warning("Alert (no slack.webhook_url set): %s", text)
        return False
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
