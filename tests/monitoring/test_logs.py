"""One structured log line per job outcome and per console action."""

import json
import logging

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from jobs.errors import PermanentError
from jobs.registry import job_type
from jobs.runner import run
from jobs.services import enqueue
from monitoring.logs import ContextFilter, JsonFormatter, TextFormatter, log_event
from tests.factories import JobFactory, TraineeFactory

pytestmark = pytest.mark.django_db


@job_type("tests.monitoring_refused", label="Monitoring Refused")
def refused(job):
    raise PermanentError("status: 404", status=404, error_code=10001, title="Not found")


def _events(caplog, event):
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def _as_json(record) -> dict:
    return json.loads(JsonFormatter().format(record))


def test_a_job_outcome_is_one_line_with_job_trainee_outcome_and_duration(caplog, tmp_path):
    trainee = TraineeFactory()
    job = enqueue(
        "tests.ordered",
        trainee=trainee,
        arguments={"path": str(tmp_path / "steps.txt"), "step": "1"},
    )
    with caplog.at_level(logging.INFO, logger="regsupport.jobs"):
        run(job.pk)
    [record] = _events(caplog, "job.finished")
    line = _as_json(record)
    assert line["job_id"] == job.pk
    assert line["trainee_id"] == trainee.pk
    assert line["job_type"] == "tests.ordered"
    assert line["outcome"] == "succeeded"
    assert line["attempt"] == 1
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"


def test_a_job_that_dies_is_logged_as_a_warning(caplog):
    job = enqueue("tests.monitoring_refused", arguments={})
    with caplog.at_level(logging.INFO, logger="regsupport.jobs"):
        run(job.pk)
    [record] = _events(caplog, "job.finished")
    assert (record.outcome, record.levelname) == ("dead", "WARNING")


def test_a_console_action_is_one_line_with_request_id_user_job_and_duration(agent_client, caplog):
    job = JobFactory(dead=True)
    url = reverse("admin:jobs_deadjob_retry", args=[job.pk])
    with caplog.at_level(logging.INFO, logger="regsupport.console"):
        response = agent_client.post(
            url, {"confirm": "yes", "reason": "DOB aligned"}, HTTP_X_REQUEST_ID="lb-1234"
        )
    assert response["X-Request-ID"] == "lb-1234"
    [record] = _events(caplog, "console.action")
    ContextFilter().filter(record)
    line = _as_json(record)
    assert line["request_id"] == "lb-1234"
    assert line["user"] == "agent"
    assert line["job_id"] == job.pk
    assert line["view"] == "jobs_deadjob_retry"
    assert line["status"] == 302
    assert line["duration_ms"] >= 0


def test_a_bulk_action_names_the_jobs_it_was_asked_to_change(agent_client, caplog):
    jobs = [JobFactory(dead=True) for _ in range(2)]
    with caplog.at_level(logging.INFO, logger="regsupport.console"):
        agent_client.post(
            "/admin/jobs/deadjob/",
            {"action": "retry_selected", ACTION_CHECKBOX_NAME: [j.pk for j in jobs]},
        )
    [record] = _events(caplog, "console.action")
    assert sorted(record.job_ids) == sorted(j.pk for j in jobs)
    assert record.action == "retry_selected"


def test_reading_a_page_is_not_logged_as_an_action(agent_client, caplog):
    with caplog.at_level(logging.INFO, logger="regsupport.console"):
        response = agent_client.get("/admin/jobs/deadjob/")
    assert len(response["X-Request-ID"]) == 32  # made here: no proxy gave one
    assert _events(caplog, "console.action") == []


def test_a_request_id_that_is_not_one_is_replaced(client):
    response = client.get("/admin/login/", HTTP_X_REQUEST_ID="x" * 65)
    assert response["X-Request-ID"] != "x" * 65


def test_development_lines_are_readable_with_their_fields(caplog):
    logger = logging.getLogger("regsupport.jobs")
    with caplog.at_level(logging.INFO, logger="regsupport.jobs"):
        log_event(logger, "job.finished", job_id=7, outcome="dead")
    [record] = caplog.records
    ContextFilter().filter(record)
    line = TextFormatter().format(record)
    assert line.endswith("INFO regsupport.jobs: job.finished job_id=7 outcome=dead")


def test_an_id_that_is_not_a_number_is_logged_as_given(agent_client, caplog):
    with caplog.at_level(logging.INFO, logger="regsupport.console"):
        agent_client.post(
            "/admin/jobs/deadjob/", {"action": "retry_selected", ACTION_CHECKBOX_NAME: ["²", "7"]}
        )
    [record] = _events(caplog, "console.action")
    assert record.job_ids == ["²", 7]
