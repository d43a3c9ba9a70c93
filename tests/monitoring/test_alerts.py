"""Each alert reaches a fake Slack webhook on 127.0.0.1, links to the console page that
resolves it and to what to do, and is not repeated within its window."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import alerts, dqt_health, heartbeat
from monitoring.store import key, redis_client
from regsupport.config import settings as app_settings
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_running(monkeypatch):
    """This process has been up long enough to tell others' silence from a fresh start."""
    monkeypatch.setattr(alerts, "STARTED", time.monotonic() - 3600)


@pytest.fixture
def setting():
    """Change a setting for this test, as its environment variable would."""
    with pytest.MonkeyPatch.context() as patch:

        def set_(name, value):
            patch.setenv(f"SETTINGS__{name.upper().replace('.', '__')}", str(value))
            app_settings.reload()

        yield set_
    app_settings.reload()


def _links(text):
    return [line for line in text.splitlines() if line.startswith(("Resolve:", "What to do:"))]


def test_dead_jobs_rising_faster_than_the_rate_alerts_with_the_dead_jobs_page(
    slack, setting, everything_alive
):
    setting("alerts.dead_jobs_per_hour", 2)
    for _ in range(3):
        JobFactory(dead=True, finished_at=timezone.now() - timedelta(minutes=5))
    JobFactory(dead=True, finished_at=timezone.now() - timedelta(hours=3))  # not this hour
    assert alerts.check() == ["dead-jobs-rising"]
    [sent] = slack
    assert sent["text"].startswith("3 jobs died in the last hour (alert above 2 an hour)")
    assert "tests.ordered: 3" in sent["text"]
    assert _links(sent["text"]) == [
        "Resolve: http://127.0.0.1:8000/admin/console/dead-jobs/",
        "What to do: docs/deploy.md#alert-dead-jobs-rising",
    ]


def test_dead_jobs_at_the_rate_do_not_alert(slack, setting):
    setting("alerts.dead_jobs_per_hour", 2)
    for _ in range(2):
        JobFactory(dead=True, finished_at=timezone.now())
    assert alerts.check([alerts.dead_jobs_rising]) == []
    assert slack == []


def test_a_job_waiting_longer_than_the_bound_alerts_with_the_queues_page(slack, setting):
    setting("alerts.oldest_waiting_minutes", 30)
    JobFactory(queue="dqt", state="enqueued", enqueued_at=timezone.now() - timedelta(hours=2))
    JobFactory(queue="default", state="enqueued", enqueued_at=timezone.now())
    assert alerts.check([alerts.oldest_waiting_job]) == ["oldest-waiting-job"]
    [sent] = slack
    assert "longer than 30 minutes in: dqt (120 minutes)" in sent["text"]
    assert "default" not in sent["text"]
    assert "Resolve: http://127.0.0.1:8000/admin/console/queues/" in sent["text"]
    assert "docs/deploy.md#alert-oldest-waiting-job" in sent["text"]


def test_dqt_failing_longer_than_the_bound_alerts(slack, setting):
    setting("alerts.dqt_failing_minutes", 10)
    dqt_health.record("503", now=time.time() - 15 * 60)
    dqt_health.record("429")
    assert alerts.check([alerts.dqt_failing]) == ["dqt-failing"]
    [sent] = slack
    assert (
        "DQT has answered every call with 5xx or 429, or not at all, for 15 minutes"
        in (sent["text"])
    )
    assert "docs/deploy.md#alert-dqt-failing" in sent["text"]


def test_dqt_failing_stops_counting_at_its_first_good_answer(slack, setting):
    setting("alerts.dqt_failing_minutes", 10)
    dqt_health.record("timeout", now=time.time() - 15 * 60)
    dqt_health.record("404")  # an answer about the request: DQT is working
    dqt_health.record("500")
    assert alerts.check([alerts.dqt_failing]) == []
    assert slack == []


def test_failures_no_worker_confirmed_lately_do_not_alert(slack, setting):
    setting("alerts.dqt_failing_minutes", 10)
    dqt_health.record("500", now=time.time() - 60 * 60)  # its worker went away since
    assert alerts.check([alerts.dqt_failing]) == []


def test_beat_silent_alerts(slack, long_running, everything_alive):
    heartbeat.record_beat(now=time.time() - 600)
    assert alerts.check() == ["beat-silent"]
    [sent] = slack
    assert sent["text"].startswith("Celery beat is silent for 600 s")
    assert "docs/deploy.md#alert-beat-silent" in sent["text"]


def test_every_worker_silent_alerts(slack, long_running):
    heartbeat.record_beat()
    heartbeat.record_worker("default@host-a", ["default"], now=time.time() - 600)
    assert alerts.check() == ["workers-silent"]
    [sent] = slack
    assert sent["text"].startswith("No Celery worker has been heard from: no job runs.")
    assert "docs/deploy.md#alert-workers-silent" in sent["text"]


def test_a_queue_without_a_worker_alerts_naming_it(slack, long_running):
    heartbeat.record_beat()
    heartbeat.record_worker("default@host-a", ["default"])
    assert alerts.check([alerts.workers_silent]) == ["workers-silent"]
    assert "No Celery worker takes the dqt, apply queue" in slack[0]["text"]


def test_a_process_just_started_does_not_call_others_silent(slack, monkeypatch):
    monkeypatch.setattr(alerts, "STARTED", time.monotonic())
    assert alerts.check(alerts.SILENCE_CHECKS) == []
    assert slack == []


def test_readyz_failing_sends_the_silence_alert(client, slack, long_running):
    heartbeat.record_worker("all@host", ["default", "dqt", "apply"])
    assert client.get("/readyz").status_code == 503  # beat was never heard from
    deadline = time.monotonic() + 10
    while not slack and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s["text"].split(":")[0] for s in slack] == ["Celery beat is never heard from"]


def test_an_alert_is_sent_once_per_window_and_the_next_says_how_many_were_held(slack, setting):
    setting("alerts.dead_jobs_per_hour", 0)
    JobFactory(dead=True, finished_at=timezone.now())
    assert alerts.check([alerts.dead_jobs_rising]) == ["dead-jobs-rising"]
    assert alerts.check([alerts.dead_jobs_rising]) == []
    assert alerts.check([alerts.dead_jobs_rising]) == []
    assert len(slack) == 1
    # The window ends (its key expires).
    redis_client().delete(key("alerts", "dead-jobs-rising", "sent"))
    assert alerts.check([alerts.dead_jobs_rising]) == ["dead-jobs-rising"]
    assert slack[1]["text"].endswith("(2 more of this alert were held back since the last one.)")


def test_an_alert_slack_refused_is_tried_again_at_the_next_check(slack, setting):
    setting("alerts.dead_jobs_per_hour", 0)
    JobFactory(dead=True, finished_at=timezone.now())
    webhook = app_settings.get("slack.webhook_url")
    setting("slack.webhook_url", "http://127.0.0.1:9218/nothing-listens")
    assert alerts.check([alerts.dead_jobs_rising]) == []
    # Slack is back: the alert goes at the next check, not a window later.
    setting("slack.webhook_url", webhook)
    assert alerts.check([alerts.dead_jobs_rising]) == ["dead-jobs-rising"]
    assert len(slack) == 1


def test_without_a_webhook_alerts_go_to_the_log_once_per_window(setting, caplog):
    setting("slack.webhook_url", "")
    setting("alerts.dead_jobs_per_hour", 0)
    JobFactory(dead=True, finished_at=timezone.now())
    assert alerts.check([alerts.dead_jobs_rising]) == ["dead-jobs-rising"]
    assert alerts.check([alerts.dead_jobs_rising]) == []
    logged = [r.getMessage() for r in caplog.records if r.name == "regsupport.alerts"]
    assert any(m.startswith("Alert (no slack.webhook_url set): 1 jobs died") for m in logged)


def test_beat_runs_the_checks_every_minute_on_a_worker(slack, setting, settings, everything_alive):
    from monitoring.tasks import check_alerts

    entry = settings.CELERY_BEAT_SCHEDULE["monitoring-check-alerts"]
    assert (entry["task"], entry["schedule"]) == ("monitoring.check_alerts", 60.0)
    assert settings.CELERY_TASK_ROUTES["monitoring.check_alerts"] == {"queue": "default"}
    setting("alerts.dead_jobs_per_hour", 0)
    JobFactory(dead=True, finished_at=timezone.now())
    assert check_alerts() == ["dead-jobs-rising"]
    assert len(slack) == 1
