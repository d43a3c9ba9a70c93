"""``/healthz``, ``/readyz`` (and ``/metrics``): answered by ``middleware.MonitoringEndpoints``
before the host check, the HTTPS redirect and the session, as a load balancer asks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from . import health

_NO_CACHE = {"Cache-Control": "no-store"}


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering: nothing else is looked at, so it costs nothing."""
    return JsonResponse({"status": "ok"}, headers=_NO_CACHE)


def readyz(request: HttpRequest) -> HttpResponse:
    """Every check in ``health.CHECKS``, each with its latency; 503 if one fails."""
    results = health.run_checks()
    ready = all(result.ok for result in results)
    return JsonResponse(
        {
            "status": "ok" if ready else "failing",
            "checks": {result.name: result.as_json() for result in results},
        },
        status=200 if ready else 503,
        headers=_NO_CACHE,
    )
