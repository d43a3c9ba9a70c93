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
def slack(monkeypatch):
    """A local stand-in for Slack's incoming webhook that records what it is sent."""
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
