"""`make run`'s log stays readable while idle: the 5-second sweep and the minute's alert
check log only when they did something."""

import logging

import pytest

from regsupport import celery as _celery_app  # noqa: F401 - installs the filter as a worker does
from regsupport.logs import IdleHousekeeping


def _trace_record(name, return_value, level=logging.INFO):
    return logging.LogRecord(
        "celery.app.trace",
        level,
        "",
        0,
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        ({"name": name, "id": "abc", "runtime": 0.01, "return_value": return_value},),
        None,
    )


def _beat(entry, task):
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", entry, task)


def test_an_idle_sweep_shipper_or_alert_check_logs_nothing_in_beat_or_the_worker(caplog):
    caplog.set_level(logging.INFO)
    _beat("jobs-sweep", "jobs.sweep")
    _beat("analytics-ship", "analytics.ship")
    _beat("monitoring-check-alerts", "monitoring.check_alerts")
    logging.getLogger("celery.worker.strategy").info(
        "Task %(name)s[%(id)s] received", {"name": "jobs.sweep", "id": "abc"}
    )
    assert caplog.records == []
    assert not IdleHousekeeping().filter(_trace_record("jobs.sweep", "{'released': 0}"))
    assert not IdleHousekeeping().filter(_trace_record("monitoring.check_alerts", "[]"))
    idle_ship = "{'sent': 0, 'rejected': 0, 'dropped': 0, 'stopped': 'off'}"
    assert not IdleHousekeeping().filter(_trace_record("analytics.ship", idle_ship))


def test_a_task_that_did_something_and_every_other_task_still_log(caplog):
    caplog.set_level(logging.INFO)
    _beat("jobs-purge-succeeded", "jobs.purge_succeeded")
    assert len(caplog.records) == 1
    quiet = IdleHousekeeping()
    assert quiet.filter(_trace_record("jobs.sweep", "{'released': 2, 'lost': 0}"))
    assert quiet.filter(_trace_record("monitoring.check_alerts", "['dead jobs: 12']"))
    sent = "{'sent': 3, 'rejected': 0, 'dropped': 0, 'stopped': ''}"
    assert quiet.filter(_trace_record("analytics.ship", sent))
    assert quiet.filter(_trace_record("jobs.run_job", "'succeeded'"))


@pytest.mark.parametrize("level", [logging.WARNING, logging.ERROR])
def test_a_sweep_warning_or_error_is_never_dropped(level):
    assert IdleHousekeeping().filter(_trace_record("jobs.sweep", "{}", level))
