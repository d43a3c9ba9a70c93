import pytest

from analytics.fake_sink import FakeSink
from regsupport.config import settings as app_settings


@pytest.fixture
def sink(monkeypatch):
    """The fake sink on a free port, with analytics.sink_url pointed at it (through the
    environment, so worker processes started in the test see it too)."""
    with FakeSink() as fake:
        monkeypatch.setenv("SETTINGS__ANALYTICS__SINK_URL", fake.url)
        app_settings.reload()
        yield fake
    monkeypatch.delenv("SETTINGS__ANALYTICS__SINK_URL")
    app_settings.reload()


@pytest.fixture
def stream_on(developer):
    """The analytics stream switched on from the console (so the test can switch it off)."""
    app_settings.set("features.google.send_data_to_big_query", True, actor=developer, reason="test")


def events(event_type=None):
    from analytics.models import OutboxEvent

    rows = OutboxEvent.objects.order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return [row.payload for row in rows]


def data(event, name="data"):
    return {item["key"]: item["value"] for item in event[name]}
