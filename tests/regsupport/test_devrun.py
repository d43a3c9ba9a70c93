"""`make shell` / `make manage ARGS=...` reach `make run`'s services; `make run` names a
port another program holds instead of dying with the whole stack."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import JobFactory

ROOT = Path(__file__).resolve().parents[2]
# Ports in this project's test range that no test server uses.
TAKEN_PORT = 9270
FREE_PORT = 9271


def _devrun(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "regsupport.devrun", *args],
        cwd=ROOT,
        # The other fakes' ports too, from this project's test range: the defaults may
        # belong to a `make run` on this machine.
        # Without the tests' SETTINGS__ overrides (a fake DQT fixture sets the DQT address
        # for the whole session): `make manage` must find the port from FAKE_DQT_PORT.
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SETTINGS__")},
            "FAKE_APPLY_PORT": "9273",
            "FAKE_SINK_PORT": "9274",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_run_names_the_fake_dqt_port_in_use_and_stops_before_starting_anything():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", TAKEN_PORT))
        holder.listen()
        result = _devrun("run", WEB_ADDRESS=f"127.0.0.1:{FREE_PORT}", FAKE_DQT_PORT=str(TAKEN_PORT))
    assert result.returncode == 1
    assert f"Port {TAKEN_PORT} on 127.0.0.1, for the fake DQT, is in use" in result.stderr
    assert "make run FAKE_DQT_PORT=8011" in result.stderr


def test_make_run_names_the_web_port_in_use():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", TAKEN_PORT))
        holder.listen()
        result = _devrun("run", WEB_ADDRESS=f"127.0.0.1:{TAKEN_PORT}", FAKE_DQT_PORT=str(FREE_PORT))
    assert result.returncode == 1
    assert "for the web console, is in use" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_make_manage_runs_a_command_on_the_running_database_and_fake_dqt_port():
    JobFactory(dead=True, task_name="dqt.update_trainee")
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    code = (
        "from jobs.models import Job; from regsupport.config import settings; "
        "print(Job.objects.filter(state='dead').count(), settings.get('dqt.base_url'))"
    )
    result = _devrun("manage", "shell", "-c", code, DATABASE_URL=database_url, FAKE_DQT_PORT="9272")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["1", "http://127.0.0.1:9272/"]
