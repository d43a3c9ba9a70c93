"""/healthz and /readyz as a load balancer, compose and a monitor use them."""

import time

import pytest

from monitoring import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login_host_check_or_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["console.example.org"]
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # Any other page from that host is refused: only the endpoints skip the host check.
    assert client.get("/admin/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_readyz_is_ok_and_names_every_check_with_its_latency(client, everything_alive):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "workers", "beat"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert check["latency_ms"] >= 0


def test_readyz_fails_when_beat_has_been_silent_too_long(client, everything_alive):
    heartbeat.record_beat(now=time.time() - heartbeat.silent_after_seconds() - 5)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["beat"]["ok"] is False
    assert "beat not heard from (last 6" in checks["beat"]["detail"]
    assert checks["workers"]["ok"] and checks["database"]["ok"]


def test_readyz_fails_when_beat_was_never_heard_from(client):
    heartbeat.record_worker("all@host", ["default", "dqt", "apply"])
    checks = client.get("/readyz").json()["checks"]
    assert checks["beat"] == {
        "ok": False,
        "detail": "beat not heard from (never, or not in the last day)",
        "latency_ms": checks["beat"]["latency_ms"],
    }


def test_readyz_fails_when_one_queue_has_no_live_worker(client, everything_alive):
    old = time.time() - heartbeat.silent_after_seconds() - 30
    heartbeat.record_worker("dqt@host-a", ["apply", "dqt"], now=old)
    response = client.get("/readyz")
    assert response.status_code == 503
    detail = response.json()["checks"]["workers"]["detail"]
    assert "dqt queue (last 9" in detail and "apply queue" in detail
    assert "default" not in detail


def test_a_second_worker_on_the_queue_keeps_readyz_ok(client, everything_alive):
    heartbeat.record_worker("dqt@host-a", ["apply", "dqt"], now=time.time() - 3600)
    heartbeat.record_worker("dqt@host-b", ["apply", "dqt"])
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_when_the_broker_is_unreachable(client, settings, everything_alive):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9219/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert "9219" in checks["broker"]["detail"]
    assert checks["database"]["ok"] is True


def test_the_heartbeat_command_passes_for_a_live_worker_and_fails_for_a_silent_one(
    everything_alive,
):
    from django.core.management import CommandError, call_command

    call_command("heartbeat", "--worker", "default@host-a")
    call_command("heartbeat", "--beat")
    heartbeat.record_worker("default@host-a", ["default"], now=time.time() - 600)
    with pytest.raises(CommandError, match="default@host-a last wrote its heartbeat 600 s ago"):
        call_command("heartbeat", "--worker", "default@host-a")
    with pytest.raises(CommandError, match="No heartbeat from default@host-z"):
        call_command("heartbeat", "--worker", "default@host-z")


def test_the_heartbeat_command_checks_every_process_of_a_dqtworker(everything_alive):
    """``dqtworker`` names its processes dqt-1@host, dqt-2@host: the container's
    healthcheck asks for dqt@host and every one of them must be alive."""
    from django.core.management import CommandError, call_command

    heartbeat.record_worker("dqt-1@host-b", ["dqt", "apply"])
    heartbeat.record_worker("dqt-2@host-b", ["dqt", "apply"])
    heartbeat.record_worker("dqtx-3@host-b", ["dqt"], now=time.time() - 600)  # not one of them
    call_command("heartbeat", "--worker", "dqt@host-b")
    heartbeat.record_worker("dqt-2@host-b", ["dqt", "apply"], now=time.time() - 600)
    with pytest.raises(CommandError, match="dqt-2@host-b last wrote its heartbeat 600 s ago"):
        call_command("heartbeat", "--worker", "dqt@host-b")


@pytest.mark.django_db(transaction=True)
def test_readyz_fails_when_the_database_is_unreachable(client, everything_alive):
    from django.db import connection

    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(HOST="127.0.0.1", PORT="9217")  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is False
    assert "9217" in checks["database"]["detail"]
    assert checks["broker"]["ok"] and checks["workers"]["ok"] and checks["beat"]["ok"]
