"""The kill switch with a real Celery worker shipping the outbox: switched off on the
settings page, the worker stops sending (within the 10 s every flag change promises), and
this process stops recording at once; switched on again, what waited is sent."""

import re

import pytest

from analytics.models import OutboxEvent
from analytics.selectors import outbox_size
from analytics.tasks import ship
from regsupport.config import settings as app_settings
from regsupport.roles import DEVELOPER
from tests.factories import StaffUserFactory, TraineeFactory
from tests.jobs.worker import celery_worker, flush_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FLAG = "features.google.send_data_to_big_query"
OFF_LINE = re.compile(r"Analytics stream off: nothing sent")


def _switch(client, value: str) -> None:
    response = client.post(f"/admin/settings/change/{FLAG}/", {"value": value, "reason": "test"})
    assert response.status_code == 302


def test_switching_the_stream_off_stops_recording_and_the_worker_sending(sink, client, tmp_path):
    developer = StaffUserFactory(username="dev", role=DEVELOPER)
    client.force_login(developer)
    _switch(client, "true")
    TraineeFactory.create_batch(3)
    log = tmp_path / "worker.log"
    flush_broker()
    # The "stream off" line is DEBUG: an idle `make run` would print it every 2 s.
    env = {"SETTINGS__ANALYTICS__SINK_URL": sink.url}
    with celery_worker(log, concurrency=1, env=env, loglevel="DEBUG"):
        ship.delay()
        wait_for(lambda: outbox_size() == 0, what="the worker to ship the outbox")
        assert len(sink.rows) >= 3

        _switch(client, "false")
        # Recording stops at once in this (web) process.
        recorded = OutboxEvent.objects.count()
        TraineeFactory()
        assert client.get("/admin/").status_code == 200
        assert OutboxEvent.objects.count() == recorded

        def worker_reports_off(times: int):
            ship.delay()
            return len(OFF_LINE.findall(log.read_text())) >= times

        # The 10 s promise itself is test_console_settings_worker's; the margin here is for
        # the ship messages queueing on a busy machine.
        wait_for(lambda: worker_reports_off(1), what="the worker to see the stream off", seconds=30)
        shipped, waiting = len(sink.rows), outbox_size()
        # Events recorded before the switch (another web process, a moment earlier) wait.
        OutboxEvent.objects.create(
            occurred_at="2026-01-01T00:00:00Z",
            event_type="web_request",
            payload={"event_type": "web_request"},
        )
        wait_for(lambda: worker_reports_off(3), what="two more runs of the shipper")
        assert len(sink.rows) == shipped
        assert outbox_size() == waiting + 1  # kept, not sent

        # Switched on again, what waited is sent.
        _switch(client, "true")
        wait_for(
            lambda: ship.delay() and outbox_size() == 0,
            what="the worker to send the waiting event",
            seconds=30,
        )
        assert len(sink.rows) > shipped
    flush_broker()
    app_settings.reload()
