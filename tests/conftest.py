import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("REGSUPPORT_ENV", "test")

import pytest  # noqa: E402

from regsupport.config import settings as app_settings  # noqa: E402
from regsupport.roles import DEVELOPER, SUPPORT_AGENT  # noqa: E402
from tests.factories import StaffUserFactory  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the settings afresh: a console value an earlier test stored (and
    rolled back) must not linger in this process's few-second cache."""
    app_settings.reload()
    yield
    app_settings.reload()


@pytest.fixture
def superuser(db):
    return StaffUserFactory(username="root", is_superuser=True)


@pytest.fixture
def support_agent(db):
    return StaffUserFactory(username="agent", role=SUPPORT_AGENT)


@pytest.fixture
def developer(db):
    return StaffUserFactory(username="dev", role=DEVELOPER)


@pytest.fixture
def agent_client(client, support_agent):
    client.force_login(support_agent)
    return client


@pytest.fixture
def developer_client(client, developer):
    client.force_login(developer)
    return client


@pytest.fixture
def fake_dqt():
    """The project's fake DQT on a free port, with the DQT client settings pointed at it
    (through SETTINGS__DQT__* so worker processes started inside the test see it too)."""
    from dqt.fake import FakeDqt
    from regsupport.config import settings as app_settings

    with FakeDqt() as fake, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SETTINGS__DQT__BASE_URL", fake.url)
        patch.setenv("SETTINGS__DQT__API_KEY", fake.api_key)
        app_settings.reload()
        try:
            yield fake
        finally:
            patch.undo()
            app_settings.reload()


@pytest.fixture
def dqt_on(fake_dqt, monkeypatch):
    """DQT integration switched on and pointed at the fake (also for worker subprocesses,
    which read the same environment variables)."""
    monkeypatch.setenv("SETTINGS__FEATURES__INTEGRATE_WITH_DQT", "true")
    app_settings.reload()
    yield fake_dqt
    monkeypatch.delenv("SETTINGS__FEATURES__INTEGRATE_WITH_DQT")
    app_settings.reload()


@pytest.fixture
def fake_apply():
    """The project's fake Apply on a free port, with ``recruits_api.*`` pointed at it (through
    SETTINGS__RECRUITS_API__* so worker processes started inside the test see it too),
    touching allowed."""
    from apply.fake import FakeApply

    with FakeApply() as fake, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SETTINGS__RECRUITS_API__BASE_URL", fake.url)
        patch.setenv("SETTINGS__RECRUITS_API__AUTH_TOKEN", fake.api_token)
        patch.setenv("SETTINGS__RECRUITS_API__TOUCH_URL", fake.touch_url)
        app_settings.reload()
        try:
            yield fake
        finally:
            patch.undo()
            app_settings.reload()


@pytest.fixture
def apply_on(fake_apply, monkeypatch):
    """``features.import_applications_from_apply`` on, Apply played by the fake."""
    monkeypatch.setenv("SETTINGS__FEATURES__IMPORT_APPLICATIONS_FROM_APPLY", "true")
    app_settings.reload()
    yield fake_apply
    monkeypatch.delenv("SETTINGS__FEATURES__IMPORT_APPLICATIONS_FROM_APPLY")
    app_settings.reload()


def forget_alerts_sent() -> None:
    """Alerts are rate-limited through keys in Redis, which outlive a test (and a test run):
    a test expecting an alert starts with none sent."""
    from monitoring.store import key, redis_client

    client = redis_client()
    stale = list(client.scan_iter(match=key("alerts", "*"), count=1000))
    if stale:
        client.delete(*stale)


@pytest.fixture
def slack(monkeypatch):
    """A local stand-in for Slack's incoming webhook that records what it is sent."""
    forget_alerts_sent()
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "SETTINGS__SLACK__WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook"
    )
    app_settings.reload()
    yield received
    server.shutdown()
    monkeypatch.delenv("SETTINGS__SLACK__WEBHOOK_URL")
    app_settings.reload()
