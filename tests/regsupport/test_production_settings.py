"""Production fails closed: without REGSUPPORT_ENV the settings are production's, start-up
refuses a missing or development SECRET_KEY, and HTTPS, secure cookies and HSTS are on,
each settable by its environment variable. Each case loads the settings in a new process,
as a deployment would."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOWN = [
    "ENVIRONMENT",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXY_COUNT",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
]
SHOW = (
    "import json; from django.conf import settings; "
    f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))"
)


def _run(args: list[str], **environ: str) -> subprocess.CompletedProcess:
    # Only what a deployment sets: not this test run's variables (REGSUPPORT_ENV=test, or
    # DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set).
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(environ, DJANGO_SETTINGS_MODULE="regsupport.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _settings(**environ: str) -> dict:
    result = _run(["-c", SHOW], **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _secret() -> str:
    return secrets.token_urlsafe(40)[:50]


def test_without_regsupport_env_start_up_refuses_a_missing_secret_key():
    result = _run(["manage.py", "check"])
    assert result.returncode != 0
    assert "REGSUPPORT_ENV is unset, so these are production settings" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = _run(
        ["manage.py", "check"],
        REGSUPPORT_ENV="production",
        SECRET_KEY="dev-only-insecure-secret-key-change-me",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set (or is the development one)" in result.stderr


def test_without_regsupport_env_the_settings_are_productions():
    shown = _settings(SECRET_KEY=_secret())
    assert shown == {
        "ENVIRONMENT": "production",
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "TRUSTED_PROXY_COUNT": 1,
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
    }


def test_each_security_setting_is_settable_by_its_environment_variable():
    shown = _settings(
        SECRET_KEY=_secret(),
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="off",
        SECURE_HSTS_PRELOAD="no",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_SCHEME,https",
        TRUSTED_PROXY_COUNT="2",
        SESSION_COOKIE_AGE="3600",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="false",
    )
    assert shown == {
        "ENVIRONMENT": "production",
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_SCHEME", "https"],
        "TRUSTED_PROXY_COUNT": 2,
        "SESSION_COOKIE_AGE": 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": False,
    }
    assert (
        _settings(SECRET_KEY=_secret(), SECURE_PROXY_SSL_HEADER="")["SECURE_PROXY_SSL_HEADER"]
        is None
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT='maybe': use true or false."),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS='a year': use a whole number."),
        ("SECURE_PROXY_SSL_HEADER", "https", "SECURE_PROXY_SSL_HEADER: use HEADER,value"),
    ],
)
def test_a_setting_that_cannot_be_read_stops_start_up(name, value, message):
    result = _run(["manage.py", "check"], SECRET_KEY=_secret(), **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_development_runs_on_plain_http_with_debug():
    shown = _settings(REGSUPPORT_ENV="development")
    assert shown["DEBUG"] is True
    assert not shown["SECURE_SSL_REDIRECT"] and not shown["SESSION_COOKIE_SECURE"]
    assert shown["SECURE_HSTS_SECONDS"] == 0


def test_check_deploy_is_clean_in_production():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        REGSUPPORT_ENV="production",
        SECRET_KEY=_secret(),
        ALLOWED_HOSTS="console.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
