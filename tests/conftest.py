import os

os.environ.setdefault("REGSUPPORT_ENV", "test")

import pytest  # noqa: E402

from regsupport.roles import DEVELOPER, SUPPORT_AGENT  # noqa: E402
from tests.factories import StaffUserFactory  # noqa: E402


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
