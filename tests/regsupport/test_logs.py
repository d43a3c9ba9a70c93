"""`make run`'s log stays readable while idle: the 5-second sweep logs only when it did
something."""

import logging

import celery.app.trace  # noqa: F401 - the loggers below are Celery's own
import pytest

from regsupport import celery as _celery_app  # noqa: F401 - installs the filter as a worker does
from regsupport.logs import IdleHousekeeping


def _trace(name, return_value):
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        {"name": name, "id": "abc", "runtime": 0.01, "return_value": return_value},
    )


def test_an_idle_sweep_logs_nothing_in_beat_or_the_worker(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "jobs-sweep", "jobs.sweep"
    )
    logging.getLogger("celery.worker.strategy").info(
        "Task %(name)s[%(id)s] received", {"name": "jobs.sweep", "id": "abc"}
    )
    _trace("jobs.sweep", "{'released': 0, 'lost': 0}")
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "monitoring-check-alerts", "monitoring.check_alerts"
    )
    _trace("monitoring.check_alerts", "[]")
    assert caplog.records == []


def test_a_sweep_that_did_something_and_every_job_still_log(caplog):
    caplog.set_level(logging.INFO)
    _trace("jobs.sweep", "{'released': 2, 'lost': 0}")
    _trace("monitoring.check_alerts", "['dead jobs: 12 (threshold 10)']")
    _trace("jobs.run_job", "'succeeded'")
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "jobs-purge-succeeded", "jobs.purge_succeeded"
    )
    assert len(caplog.records) == 4


@pytest.mark.parametrize("level", [logging.WARNING, logging.ERROR])
def test_a_sweep_warning_or_error_is_never_dropped(level):
    record = logging.LogRecord(
        "celery.app.trace", level, "", 0, "%(name)s", ({"name": "jobs.sweep"},), None
    )
    assert IdleHousekeeping().filter(record)
