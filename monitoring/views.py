"""``/healthz``, ``/readyz`` (and ``/metrics``): answered by ``middleware.MonitoringEndpoints``
before the host check, the HTTPS redirect and the session, as a load balancer asks."""

from __future__ import annotations

import hmac
import threading

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from . import alerts, health
from . import metrics as metric_families

_NO_CACHE = {"Cache-Control": "no-store"}


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering: nothing else is looked at, so it costs nothing."""
    return JsonResponse({"status": "ok"}, headers=_NO_CACHE)


def readyz(request: HttpRequest) -> HttpResponse:
    """Every check in ``health.CHECKS``, each with its latency; 503 if one fails."""
    results = health.run_checks()
    ready = all(result.ok for result in results)
    if not ready:
        # When beat and every worker are down, nothing else is left to send this alert.
        threading.Thread(target=alerts.check, args=(alerts.SILENCE_CHECKS,), daemon=True).start()
    return JsonResponse(
        {
            "status": "ok" if ready else "failing",
            "checks": {result.name: result.as_json() for result in results},
        },
        status=200 if ready else 503,
        headers=_NO_CACHE,
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for a scraper that sends ``Authorization: Bearer
    <METRICS_TOKEN>``. Without a ``METRICS_TOKEN`` nobody can read it: the counts of dead
    jobs and trainees are not for the internet."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(
            "Metrics are off: set METRICS_TOKEN (docs/deploy.md, Metrics).",
            status=403,
            content_type="text/plain",
        )
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse(
            "Send Authorization: Bearer <METRICS_TOKEN>.",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(
        metric_families.render(), content_type=CONTENT_TYPE_LATEST, headers=_NO_CACHE
    )
