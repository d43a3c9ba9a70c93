"""`make run` and `make test` on a fresh clone: start what is missing, then run.

python -m regsupport.devrun run    # services, migrate, seed, web (+ workers, beat, fakes)
python -m regsupport.devrun test [pytest args]   # the checks below, then pytest
python -m regsupport.devrun lint                 # ruff check, ruff format --check, mypy
python -m regsupport.devrun manage ARGS...       # manage.py ARGS against `make run`'s services

`make shell` and `make manage ARGS=...` call the last one: the same database, Redis and
fake DQT as a running `make run` (or, when none runs, the embedded servers started for the
command and stopped after it). Ports: WEB_ADDRESS (127.0.0.1:8000), FAKE_DQT_PORT (8001),
FAKE_APPLY_PORT (8002), FAKE_SINK_PORT (8003).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from . import devservices

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEB_ADDRESS = os.environ.get("WEB_ADDRESS", "127.0.0.1:8000")
FAKE_DQT_PORT = os.environ.get("FAKE_DQT_PORT", "8001")
FAKE_APPLY_PORT = os.environ.get("FAKE_APPLY_PORT", "8002")
FAKE_SINK_PORT = os.environ.get("FAKE_SINK_PORT", "8003")
# DQT's records for `make run`'s fake DQT (Procfile.dev), made with the demo's dead jobs.
FAKE_DQT_STATE = "var/fake-dqt.json"
# Apply's application choices for `make run`'s fake Apply, made with the demo's applications.
FAKE_APPLY_STATE = "var/fake-apply.json"

# In order; the first that fails stops the run with its hint. mypy's settings (and its
# incremental cache under var/) are in pyproject.toml.
CHECKS: list[tuple[list[str], str]] = [
    (["ruff", "check", "."], "ruff found problems (see above); fix them or run `make fmt`."),
    (["ruff", "format", "--check", "."], "ruff would reformat the files above; run `make fmt`."),
    (["mypy"], "mypy found type errors (see above); fix them ([tool.mypy] in pyproject.toml)."),
]


def _env(services: devservices.Services, environment: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(services.env())
    env.setdefault("REGSUPPORT_ENV", environment)
    env.setdefault("WEB_ADDRESS", WEB_ADDRESS)
    env.setdefault("FAKE_DQT_PORT", FAKE_DQT_PORT)
    env.setdefault("FAKE_APPLY_PORT", FAKE_APPLY_PORT)
    env.setdefault("FAKE_SINK_PORT", FAKE_SINK_PORT)
    if environment == "development":
        # Every process (web, workers, a shell) talks to the fakes on their ports.
        env.setdefault("SETTINGS__DQT__BASE_URL", f"http://127.0.0.1:{env['FAKE_DQT_PORT']}/")
        apply = f"http://127.0.0.1:{env['FAKE_APPLY_PORT']}"
        env.setdefault("SETTINGS__RECRUITS_API__BASE_URL", f"{apply}/register-api")
        env.setdefault(
            "SETTINGS__RECRUITS_API__TOUCH_URL", f"{apply}/_control/application-choices/touch"
        )
        env.setdefault(
            "SETTINGS__ANALYTICS__SINK_URL", f"http://127.0.0.1:{env['FAKE_SINK_PORT']}/"
        )
        # Links the console writes into CSVs and alerts lead to this `make run`.
        env.setdefault("SETTINGS__BASE_URL", f"http://{env['WEB_ADDRESS']}")
    env["PYTHONUNBUFFERED"] = "1"
    # Procfile lines say `python`, `celery`: make them the virtualenv's.
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def port_clash(env: dict[str, str]) -> str | None:
    """A sentence naming the first port `make run` needs that another program holds."""
    host, _, web_port = env["WEB_ADDRESS"].rpartition(":")
    wanted = [
        ("the web console", host or "127.0.0.1", web_port, "WEB_ADDRESS=127.0.0.1:8010"),
        ("the fake DQT", "127.0.0.1", env["FAKE_DQT_PORT"], "FAKE_DQT_PORT=8011"),
        ("the fake Apply", "127.0.0.1", env["FAKE_APPLY_PORT"], "FAKE_APPLY_PORT=8012"),
        ("the fake analytics sink", "127.0.0.1", env["FAKE_SINK_PORT"], "FAKE_SINK_PORT=8013"),
    ]
    for what, address, port, example in wanted:
        if not port.isdigit():
            return f"{port!r} is not a port number (for {what}); e.g. make run {example}"
        with socket.socket() as sock:
            try:
                sock.bind((address, int(port)))
            except OSError:
                return (
                    f"Port {port} on {address}, for {what}, is in use by another program "
                    f"(another `make run`?). Stop it, or choose another port: make run {example}"
                )
    return None


def run() -> int:
    services = devservices.ensure()
    env = _env(services, "development")
    if (clash := port_clash(env)) is not None:
        print(clash, file=sys.stderr)
        _stop_started(services)
        return 1
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(
            env,
            "seed_demo",
            "--fake-dqt-state",
            FAKE_DQT_STATE,
            "--fake-apply-state",
            FAKE_APPLY_STATE,
        )
        print(
            f"\n  regsupport console: http://{env['WEB_ADDRESS']}/admin/\n"
            "  sign in by picking a demo user (features.sign_in_method: persona); with password:\n"
            "  admin / admin-demo (or support / support-demo, developer / developer-demo)\n"
            "  Ctrl-C stops everything this command started.\n",
            flush=True,
        )
        honcho = subprocess.Popen(
            [PYTHON, "-m", "honcho", "-f", "Procfile.dev", "start"], cwd=BASE_DIR, env=env
        )
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            return honcho.wait()
    finally:
        _stop_started(services)


def manage(args: list[str]) -> int:
    """manage.py with `make run`'s environment (its database, Redis, fake DQT address)."""
    services = devservices.ensure()
    env = _env(services, "development")
    try:
        return subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env).returncode
    finally:
        _stop_started(services)


def lint(env: dict[str, str] | None = None) -> int:
    if env is None:
        # mypy's Django plugin loads the settings, which are production's without this.
        env = {**os.environ, "REGSUPPORT_ENV": os.environ.get("REGSUPPORT_ENV") or "test"}
    for command, hint in CHECKS:
        result = subprocess.run([PYTHON, "-m", *command], cwd=BASE_DIR, env=env)
        if result.returncode != 0:
            print(hint, file=sys.stderr)
            return result.returncode
    return 0


def test(pytest_args: list[str]) -> int:
    embedded_redis = not os.environ.get("REDIS_URL")
    services = devservices.ensure()
    env = _env(services, "test")
    env["REGSUPPORT_ENV"] = "test"
    # Importing regsupport set the project's settings here (regsupport/celery.py); pytest
    # wants the tests' own, as pyproject.toml says.
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    if embedded_redis:
        # `make run` may be using the same embedded Redis: its worker must not take the
        # tests' messages (database 0), nor the tests flush its queues.
        env["REDIS_URL"] = services.redis_url.rsplit("/", 1)[0] + "/1"
    try:
        if (failed := lint(env)) != 0:
            return failed
        return subprocess.run(
            [PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env
        ).returncode
    finally:
        _stop_started(services)


def _stop_started(services: devservices.Services) -> None:
    if "redis" in services.started:
        devservices.stop_redis()
    if "postgres" in services.started:
        devservices.stop_postgres()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "run"
    if command == "run":
        return run()
    if command == "test":
        return test(argv[2:])
    if command == "lint":
        return lint()
    if command == "manage":
        return manage(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
