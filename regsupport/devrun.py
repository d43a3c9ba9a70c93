"""`make run` and `make test` on a fresh clone: start what is missing, then run.

python -m regsupport.devrun run    # services, migrate, seed, web (+ worker, beat, fake DQT)
python -m regsupport.devrun test [pytest args]   # the checks below, then pytest
python -m regsupport.devrun lint                 # ruff check, ruff format --check, mypy
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import devservices

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEB_ADDRESS = os.environ.get("WEB_ADDRESS", "127.0.0.1:8000")
# DQT's records for `make run`'s fake DQT (Procfile.dev), made with the demo's dead jobs.
FAKE_DQT_STATE = "var/fake-dqt.json"

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
    env["PYTHONUNBUFFERED"] = "1"
    # Procfile lines say `python`, `celery`: make them the virtualenv's.
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def run() -> int:
    services = devservices.ensure()
    env = _env(services, "development")
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo", "--fake-dqt-state", FAKE_DQT_STATE)
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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
