"""docker-compose.yml is checked against the Compose Specification schema (no Docker
engine is available to run `docker compose config`)."""

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid_against_the_compose_spec():
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(_compose())


def test_compose_file_runs_the_five_services_each_with_a_healthcheck():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "test" in service["healthcheck"], name


def test_app_services_wait_for_healthy_database_and_redis():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_a_broken_compose_file_is_rejected_by_the_schema():
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    broken = _compose()
    broken["services"]["web"]["healthcheck"]["interval"] = {"not": "a duration"}
    try:
        jsonschema.Draft201909Validator(schema).validate(broken)
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted an invalid healthcheck")
