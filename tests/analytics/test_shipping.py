"""The outbox goes to the sink in batches shaped as BigQuery's insertAll; a sink that fails
or hangs keeps the events (up to the bound) and never holds up a request; the kill switch
stops sending."""

import threading

import pytest

from analytics.models import DroppedEvents, OutboxEvent
from analytics.selectors import outbox_size
from analytics.shipping import ship
from regsupport.config import settings as app_settings
from tests.factories import TraineeFactory

from .conftest import events

pytestmark = pytest.mark.django_db


def test_the_outbox_is_shipped_in_batches_the_sink_accepts(sink, stream_on, monkeypatch):
    monkeypatch.setenv("SETTINGS__ANALYTICS__BATCH_SIZE", "4")
    app_settings.reload()
    TraineeFactory.create_batch(5)
    waiting = events()
    result = ship()
    assert (result.sent, result.rejected) == (len(waiting), 0)
    assert sink.rows == waiting  # every row fitted the table's schema
    assert sink.state.requests == -(-len(waiting) // 4)  # batches of 4
    assert outbox_size() == 0


def test_a_failing_sink_keeps_the_events_for_the_next_run(sink, stream_on):
    TraineeFactory()
    waiting = outbox_size()
    sink.fail_next(count=1)
    result = ship()
    assert result.sent == 0 and "503" in result.stopped
    assert outbox_size() == waiting
    assert ship().sent == waiting
    assert len(sink.rows) == waiting


def test_rows_the_sink_rejects_are_dropped_and_counted(sink, stream_on):
    TraineeFactory()
    OutboxEvent.objects.filter(pk=OutboxEvent.objects.order_by("id")[0].pk).update(
        payload={"event_type": "web_request", "no_such_column": 1}
    )
    waiting = outbox_size()
    result = ship()
    assert (result.sent, result.rejected) == (waiting - 1, 1)
    assert DroppedEvents.objects.get().why == DroppedEvents.Why.REJECTED
    assert outbox_size() == 0


def test_with_the_stream_off_nothing_is_sent(sink, stream_on, developer):
    TraineeFactory()
    app_settings.set(
        "features.google.send_data_to_big_query", False, actor=developer, reason="incident"
    )
    waiting = outbox_size()
    assert waiting > 0
    assert ship().stopped == "off"
    assert sink.rows == [] and sink.state.requests == 0
    assert outbox_size() == waiting  # kept, sent if the stream is switched on again


@pytest.mark.django_db(transaction=True)
def test_a_hanging_sink_never_holds_up_a_console_request(sink, developer_client, developer):
    app_settings.set("features.google.send_data_to_big_query", True, actor=developer, reason="test")
    TraineeFactory()
    sink.hang(seconds=60)
    shipper = threading.Thread(target=ship)
    shipper.start()
    try:
        sink_waits = lambda: sink.state.requests == 1  # noqa: E731
        from tests.jobs.worker import wait_for

        wait_for(sink_waits, what="the shipper to be waiting on the sink", seconds=30)
        before = outbox_size()
        for url in ("/admin/", "/admin/trainees/trainee/", "/admin/settings/"):
            assert developer_client.get(url).status_code == 200
        # Served, and recorded, while the shipper is still waiting on the sink.
        assert shipper.is_alive()
        assert outbox_size() == before + 3
    finally:
        sink.release()
        shipper.join()
