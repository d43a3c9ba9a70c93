"""docker-compose.yml is checked against the Compose Specification schema (no Docker
engine is available to run `docker compose config`), and against the production Procfile
and Dockerfile: the same processes with the same commands."""

import json
import re
import shlex
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid_against_the_compose_spec():
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(_compose())


def _procfile() -> dict[str, list[str]]:
    """Each process's command, with the port the platform gives (``$PORT``) at its default."""
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name] = shlex.split(re.sub(r"\$\{PORT:-(\d+)\}", r"\1", command))
    return processes


def test_compose_file_runs_the_services_each_long_running_one_with_a_healthcheck():
    services = _compose()["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "release",
        "web",
        "worker",
        "dqtworker",
        "worker-2",
        "dqtworker-2",
        "beat",
    }
    for name, service in services.items():
        if name != "release":
            assert "test" in service["healthcheck"], name
    assert services["release"]["restart"] == "no"


def test_app_services_wait_for_healthy_database_and_redis():
    services = _compose()["services"]
    for name in ("release", "web", "worker", "dqtworker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert services[name]["environment"]["REGSUPPORT_ENV"] == "production"


def test_compose_runs_the_procfiles_processes_with_the_same_commands():
    services = _compose()["services"]
    processes = _procfile()
    assert set(processes) == {"release", "web", "worker", "dqtworker", "beat"}
    for name, command in processes.items():
        assert services[name]["command"] == command, name
    assert processes["release"] == ["python", "manage.py", "migrate", "--noinput"]
    assert processes["web"][0] == "gunicorn"


def test_web_worker_and_beat_start_only_after_the_migrations_ran():
    services = _compose()["services"]
    for name in ("web", "worker", "dqtworker", "beat"):
        release = services[name]["depends_on"]["release"]
        assert release["condition"] == "service_completed_successfully", name


def test_the_images_default_command_is_the_procfiles_web():
    cmd = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    assert json.loads(cmd.removeprefix("CMD").strip()) == _procfile()["web"]


def test_a_broken_compose_file_is_rejected_by_the_schema():
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    broken = _compose()
    broken["services"]["web"]["healthcheck"]["interval"] = {"not": "a duration"}
    try:
        jsonschema.Draft201909Validator(schema).validate(broken)
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted an invalid healthcheck")


def test_the_default_queue_runs_on_prefork_and_the_http_queues_on_a_thread_pool():
    processes = _procfile()
    worker, dqtworker = processes["worker"], processes["dqtworker"]
    assert worker[worker.index("--queues") + 1] == "default"
    assert "--pool" not in worker  # prefork, Celery's default
    # manage.py dqtworker: Celery thread pools, one process per core (tests/jobs/test_dqtworker.py).
    assert dqtworker[:3] == ["python", "manage.py", "dqtworker"]
    assert dqtworker[dqtworker.index("--queues") + 1] == "dqt,apply"


def test_the_two_workers_profile_adds_one_worker_of_each_kind_on_the_same_queues():
    services = _compose()["services"]
    for name in ("worker", "dqtworker"):
        second = services[f"{name}-2"]
        assert second["profiles"] == ["two-workers"]
        assert second["command"] == services[name]["command"]
        assert "profiles" not in services[name]


def test_web_is_healthy_only_when_readyz_passes_and_workers_and_beat_by_their_heartbeat():
    """/readyz answers 503 when any check fails, which fails urlopen, and so the check."""
    services = _compose()["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "urlopen('http://127.0.0.1:8000/readyz'" in web
    for name in ("worker", "dqtworker", "worker-2", "dqtworker-2"):
        hostname = services[name]["command"][services[name]["command"].index("--hostname") + 1]
        check = services[name]["healthcheck"]["test"]
        assert check[1] == "python manage.py heartbeat --worker " + hostname.replace(
            "%h", "$$HOSTNAME"
        ), name
    assert services["beat"]["healthcheck"]["test"][1:] == [
        "python",
        "manage.py",
        "heartbeat",
        "--beat",
    ]
