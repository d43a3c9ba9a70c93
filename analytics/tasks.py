import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="analytics.ship", ignore_result=True)
def ship() -> dict:
    """Beat runs this every 2 s (``CELERY_BEAT_SCHEDULE``); ``analytics.shipping`` says how."""
    from .shipping import ship as ship_outbox

    result = ship_outbox()
    if result.stopped == "off":
        # Every 2 s while the stream is off: a line per run would fill the log.
        logger.debug("Analytics stream off: nothing sent")
    elif result.sent or result.rejected or result.dropped:
        logger.info(
            "Analytics: sent %d, rejected %d, dropped %d%s",
            result.sent,
            result.rejected,
            result.dropped,
            f" ({result.stopped})" if result.stopped else "",
        )
    return vars(result)
