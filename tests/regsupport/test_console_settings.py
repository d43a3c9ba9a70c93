"""Feature flags changed from the console and the shell: audited, effective at once in this
process, refused with a clear message when they cannot be, and beaten by an environment
variable (which the page says)."""

import pytest

from regsupport.config import settings
from regsupport.errors import Refusal
from regsupport.flags import recent_changes
from regsupport.models import ConsoleSetting

pytestmark = pytest.mark.django_db

FLAG = "features.maintenance_mode"
CHANGE = f"/admin/settings/change/{FLAG}/"


def _change(client, value, reason="DQT outage, see incident 42", key=FLAG, **extra):
    return client.post(
        f"/admin/settings/change/{key}/", {"value": value, "reason": reason, **extra}
    )


def test_a_developer_changes_a_flag_on_the_page_and_it_takes_effect_audited(
    developer_client, developer
):
    assert settings.get(FLAG) is False
    response = _change(developer_client, "true")
    assert response.status_code == 302

    assert settings.get(FLAG) is True
    entry = settings.entries[FLAG]
    assert entry.source == "console"
    assert entry.console.changed_by == "dev"
    change = recent_changes()[0]
    assert (change.who, change.key, change.old, change.new) == ("dev", FLAG, False, True)
    assert change.reason == "DQT outage, see incident 42"

    page = developer_client.get("/admin/settings/").content.decode()
    assert "by dev" in page
    assert "false → true" in page
    assert "DQT outage, see incident 42" in page


def test_a_change_without_a_reason_is_refused_and_changes_nothing(developer_client):
    response = _change(developer_client, "true", reason="  ")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert settings.get(FLAG) is False
    assert not ConsoleSetting.objects.exists()


@pytest.mark.parametrize(
    ("key", "value"), [(FLAG, "maybe"), ("features.sign_in_method", "magic-link")]
)
def test_a_value_the_flag_does_not_take_is_refused_on_the_page(developer_client, key, value):
    response = _change(developer_client, value, key=key)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ConsoleSetting.objects.exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (FLAG, "maybe", "features.maintenance_mode is on or off: give true or false"),
        (FLAG, 1, "features.maintenance_mode is on or off: give true or false"),
        ("features.sign_in_method", "magic-link", "use one of password, otp, persona"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_in_the_shell(developer, key, value, message):
    with pytest.raises(Refusal, match=message):
        settings.set(key, value, actor=developer, reason="test")
    assert not ConsoleSetting.objects.exists()


def test_persona_sign_in_cannot_be_chosen_in_production(developer, monkeypatch):
    monkeypatch.setattr(settings, "environment", "production")
    with pytest.raises(Refusal, match="for development and tests only"):
        settings.set("features.sign_in_method", "persona", actor=developer, reason="demo")
    assert not ConsoleSetting.objects.exists()


def test_only_feature_flags_can_be_changed(developer_client, developer):
    assert developer_client.get("/admin/settings/change/dqt.api_key/").status_code == 404
    with pytest.raises(Refusal, match="only feature flags"):
        settings.set("dqt.base_url", "http://elsewhere/", actor=developer, reason="test")


def test_an_environment_variable_beats_the_console_and_the_page_says_so(
    developer_client, developer, monkeypatch
):
    monkeypatch.setenv("SETTINGS__FEATURES__MAINTENANCE_MODE", "false")
    settings.reload()
    response = _change(developer_client, "true")
    assert response.status_code == 302

    assert settings.get(FLAG) is False
    entry = settings.entries[FLAG]
    assert entry.source == "environment variable SETTINGS__FEATURES__MAINTENANCE_MODE"
    assert entry.hidden_console is not None and entry.hidden_console.value is True
    page = developer_client.get("/admin/settings/").content.decode()
    assert "but the environment variable wins" in page
    followed = developer_client.get(CHANGE).content.decode()
    assert "an environment variable wins over" in followed

    # Once the variable is gone (a restart without it), the console's value applies.
    monkeypatch.delenv("SETTINGS__FEATURES__MAINTENANCE_MODE")
    settings.reload()
    assert settings.get(FLAG) is True


def test_clearing_the_console_value_goes_back_to_the_files_audited(developer_client):
    _change(developer_client, "true")
    response = _change(developer_client, "true", reason="outage over", clear="yes")
    assert response.status_code == 302
    assert settings.get(FLAG) is False
    assert settings.source(FLAG) == "config/settings.yml"
    cleared = recent_changes()[0]
    assert (cleared.old, cleared.new, cleared.cleared) == (True, False, True)
    assert cleared.reason == "outage over"


def test_the_shell_sets_a_flag_with_an_actor_and_a_reason(developer):
    setting = settings.set(FLAG, True, actor="dev", reason="from the shell")
    assert setting.value is True and setting.source == "console"
    assert settings.get(FLAG) is True
    assert recent_changes()[0].who == "dev"
    with pytest.raises(Refusal, match="Say who is making this change"):
        settings.set(FLAG, False, actor=None, reason="who?")
    with pytest.raises(Refusal, match="Give a reason"):
        settings.set(FLAG, False, actor=developer, reason="")
    with pytest.raises(Refusal, match="already True"):
        settings.set(FLAG, True, actor=developer, reason="again")
    assert settings.get(FLAG) is True


def test_support_agents_read_the_page_but_cannot_change_a_flag(agent_client):
    page = agent_client.get("/admin/settings/")
    assert page.status_code == 200
    assert FLAG in page.content.decode()
    assert "/admin/settings/change/" not in page.content.decode()
    assert agent_client.get(CHANGE).status_code == 403
    assert _change(agent_client, "true").status_code == 403
    assert settings.get(FLAG) is False
