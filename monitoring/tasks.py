"""The beat task that checks for alerts every minute (``monitoring.alerts.check``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="monitoring.check_alerts", ignore_result=True)
def check_alerts() -> list[str]:
    from .alerts import check

    return check()
