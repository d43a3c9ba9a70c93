import pytest

from regsupport.config import AppSettings, SettingNotFound, parse_env_value


@pytest.fixture
def config_dir(tmp_path):
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings.yml").write_text(
        "features:\n  sign_in_method: dfe-sign-in\n  integrate_with_dqt: false\n"
        "  google:\n    send_data_to_big_query: false\n"
        "dqt:\n  base_url: https://dqt.example/\n  api_key: ''\n"
        "jobs:\n  poll_delay_hours: 1\n"
    )
    (tmp_path / "settings" / "production.yml").write_text("features:\n  integrate_with_dqt: true\n")
    return tmp_path


def test_file_values_are_read_with_their_source(config_dir):
    config = AppSettings(environment="development", environ={}, config_dir=config_dir)
    assert config.get("features.sign_in_method") == "dfe-sign-in"
    assert config.source("features.sign_in_method") == "config/settings.yml"


def test_environment_file_overrides_the_base_file(config_dir):
    config = AppSettings(environment="production", environ={}, config_dir=config_dir)
    assert config.get("features.integrate_with_dqt") is True
    assert config.source("features.integrate_with_dqt") == "config/settings/production.yml"


def test_environment_variable_overrides_any_key(config_dir):
    environ = {"SETTINGS__FEATURES__SIGN_IN_METHOD": "otp"}
    config = AppSettings(environment="production", environ=environ, config_dir=config_dir)
    assert config.get("features.sign_in_method") == "otp"
    assert config.source("features.sign_in_method") == (
        "environment variable SETTINGS__FEATURES__SIGN_IN_METHOD"
    )


def test_nested_environment_variables_and_parsed_booleans(config_dir):
    environ = {
        "SETTINGS__FEATURES__GOOGLE__SEND_DATA_TO_BIG_QUERY": "true",
        "SETTINGS__JOBS__POLL_DELAY_HOURS": "2",
    }
    config = AppSettings(environment="development", environ=environ, config_dir=config_dir)
    assert config.get("features.google.send_data_to_big_query") is True
    assert config.get("jobs.poll_delay_hours") == 2
    assert config.features.google.send_data_to_big_query is True


def test_environment_variable_can_add_a_new_key(config_dir):
    environ = {"SETTINGS__SLACK__WEBHOOK_URL": "http://127.0.0.1:9/hook"}
    config = AppSettings(environment="development", environ=environ, config_dir=config_dir)
    assert config.get("slack.webhook_url") == "http://127.0.0.1:9/hook"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("true", True),
        ("FALSE", False),
        ("42", 42),
        ("1.5", 1.5),
        ("otp", "otp"),
        ("null", None),
        ("0800", 800),
        ("", ""),
    ],
)
def test_values_from_the_environment_are_parsed(raw, parsed):
    assert parse_env_value(raw) == parsed


def test_an_unknown_key_raises_a_clear_error(config_dir):
    config = AppSettings(environment="development", environ={}, config_dir=config_dir)
    with pytest.raises(SettingNotFound, match="No setting named 'features.nope'"):
        config.get("features.nope")
    assert config.get("features.nope", "default") == "default"


def test_enabled_reads_feature_flags(config_dir):
    config = AppSettings(environment="production", environ={}, config_dir=config_dir)
    assert config.enabled("integrate_with_dqt") is True
    assert config.enabled("missing_flag") is False


def test_secrets_are_masked_for_display(config_dir):
    environ = {"SETTINGS__DQT__API_KEY": "s3cret"}
    config = AppSettings(environment="development", environ=environ, config_dir=config_dir)
    entry = config.entries["dqt.api_key"]
    assert entry.is_secret
    assert "s3cret" not in entry.display_value


def test_the_project_settings_file_has_the_keys_later_issues_need():
    config = AppSettings(environment="development", environ={})
    for key in [
        "features.integrate_with_dqt",
        "dqt.base_url",
        "dqt.api_key",
        "jobs.poll_delay_hours",
        "jobs.max_poll_duration_days",
        "slack.webhook_url",
    ]:
        assert config.entries[key].key == key


@pytest.mark.django_db
def test_the_settings_page_shows_values_and_sources(developer_client, monkeypatch):
    monkeypatch.setenv("SETTINGS__FEATURES__SIGN_IN_METHOD", "otp")
    monkeypatch.setenv("SETTINGS__DQT__API_KEY", "very-secret-key")
    page = developer_client.get("/admin/settings/").content.decode()
    assert "features.sign_in_method" in page
    assert "environment variable SETTINGS__FEATURES__SIGN_IN_METHOD" in page
    assert "otp" in page
    assert "very-secret-key" not in page
    assert "config/settings.yml" in page
