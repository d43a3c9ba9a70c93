"""/metrics: protected by a token, and every family it promises, including what worker
processes measured."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dqt.client import DqtClient
from dqt.errors import DqtHttpError
from jobs.models import Job
from jobs.runner import run
from jobs.services import enqueue
from monitoring import metrics
from monitoring.store import redis_client
from regsupport.config import settings as app_settings
from tests.factories import JobFactory, TraineeFactory
from tests.jobs.worker import celery_worker, flush_broker, wait_for

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def scrape() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return scrape


@pytest.fixture
def flush_at_once(monkeypatch):
    monkeypatch.setenv("SETTINGS__MONITORING__METRICS_FLUSH_SECONDS", "0")
    app_settings.reload()
    yield
    monkeypatch.delenv("SETTINGS__MONITORING__METRICS_FLUSH_SECONDS")
    app_settings.reload()


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_are_refused_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 403
    assert b"set METRICS_TOKEN" in response.content


def test_metrics_are_refused_with_a_wrong_or_missing_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_jobs_by_type_and_state(scrape):
    JobFactory(task_name="tests.ordered", state="enqueued")
    JobFactory(task_name="tests.ordered", state="enqueued")
    JobFactory(task_name="tests.ordered", state="retrying", run_after=timezone.now())
    JobFactory(task_name="tests.record", state="scheduled", run_after=timezone.now())
    JobFactory(task_name="tests.record", state="succeeded")
    samples = scrape()
    assert _value(samples, "regsupport_jobs", job_type="tests.ordered", state="enqueued") == 2
    assert _value(samples, "regsupport_jobs", job_type="tests.ordered", state="retrying") == 1
    assert _value(samples, "regsupport_jobs", job_type="tests.record", state="scheduled") == 1
    # Finished jobs are counted by the duration histogram instead.
    assert _value(samples, "regsupport_jobs", job_type="tests.record", state="succeeded") is None


def test_dead_jobs_by_type_and_error_code(scrape):
    JobFactory(dead=True)
    JobFactory(dead=True)
    JobFactory(dead=True, error_status=500, error_code=None, task_name="tests.record")
    samples = scrape()
    name = "regsupport_dead_jobs"
    assert (
        _value(samples, name, job_type="tests.ordered", error_status="404", error_code="10001") == 2
    )
    assert _value(samples, name, job_type="tests.record", error_status="500", error_code="") == 1


def test_queue_depth_counts_messages_waiting_in_redis(scrape):
    client = redis_client()
    client.delete("dqt", "default")
    client.rpush("dqt", "m1", "m2", "m3")
    try:
        samples = scrape()
    finally:
        client.delete("dqt")
    assert _value(samples, "regsupport_queue_depth", queue="dqt") == 3
    assert _value(samples, "regsupport_queue_depth", queue="default") == 0


def test_the_oldest_waiting_job_age_is_per_queue_and_leaves_out_future_and_blocked(scrape):
    now = timezone.now()
    JobFactory(queue="dqt", state="enqueued", enqueued_at=now - timedelta(minutes=10))
    JobFactory(queue="dqt", state="retrying", run_after=now - timedelta(minutes=3))
    JobFactory(queue="dqt", state="blocked", enqueued_at=now - timedelta(hours=5))
    JobFactory(queue="default", state="scheduled", run_after=now + timedelta(hours=1))
    samples = scrape()
    age = _value(samples, "regsupport_oldest_waiting_job_age_seconds", queue="dqt")
    assert 600 <= age < 900
    assert _value(samples, "regsupport_oldest_waiting_job_age_seconds", queue="default") == 0


def test_a_job_run_shows_in_the_duration_histogram(scrape, flush_at_once, tmp_path):
    job = enqueue(
        "tests.ordered",
        trainee=TraineeFactory(),
        arguments={"path": str(tmp_path / "steps.txt"), "step": "1"},
    )
    labels = {"job_type": "tests.ordered", "queue": "dqt", "outcome": "succeeded"}
    # Earlier tests ran jobs in this process too: send their measurements first, then
    # count from what the store holds.
    metrics.flush()
    before = scrape()
    count_before = _value(before, "regsupport_job_duration_seconds_count", **labels) or 0
    inf_before = _value(before, "regsupport_job_duration_seconds_bucket", le="+Inf", **labels) or 0
    run(job.pk)
    samples = scrape()
    assert _value(samples, "regsupport_job_duration_seconds_count", **labels) == count_before + 1
    assert (
        _value(samples, "regsupport_job_duration_seconds_bucket", le="+Inf", **labels)
        == inf_before + 1
    )
    assert _value(samples, "regsupport_job_duration_seconds_sum", **labels) > 0


def test_dqt_calls_show_their_latency_and_status(scrape, flush_at_once, fake_dqt):
    client = DqtClient()
    fake_dqt.fail_next("/v2/teachers/", status=503)
    for _ in range(2):
        with pytest.raises(DqtHttpError):
            client.get_teacher("1234567")  # 503, then 404: DQT does not know the TRN
    samples = scrape()
    for status in ("503", "404"):
        assert (
            _value(samples, "regsupport_dqt_responses_total", endpoint="teachers", status=status)
            == 1
        )
    assert (
        _value(
            samples,
            "regsupport_dqt_request_duration_seconds_count",
            method="GET",
            endpoint="teachers",
        )
        == 2
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_jobs_run_by_a_worker_process_reach_metrics(scrape, tmp_path):
    """Prefork children measure; their counts reach the web process through Redis."""
    flush_broker()
    with celery_worker(
        tmp_path / "worker.log",
        env={"SETTINGS__MONITORING__METRICS_FLUSH_SECONDS": "1"},
    ):
        jobs = [
            enqueue("tests.record", arguments={"path": str(tmp_path / "done.txt")})
            for _ in range(5)
        ]
        wait_for(
            lambda: Job.objects.filter(pk__in=[j.pk for j in jobs], state="succeeded").count() == 5,
            what="the jobs to run",
        )
        labels = {"job_type": "tests.record", "queue": "default", "outcome": "succeeded"}
        wait_for(
            lambda: _value(scrape(), "regsupport_job_duration_seconds_count", **labels) == 5,
            what="the worker's metrics to reach /metrics",
        )
    flush_broker()


def test_the_analytics_outbox_size_and_dropped_events(scrape):
    from analytics.models import DroppedEvents, OutboxEvent

    for _ in range(3):
        OutboxEvent.objects.create(occurred_at=timezone.now(), event_type="web_request", payload={})
    DroppedEvents.objects.create(count=7, why="outbox_full")
    DroppedEvents.objects.create(count=2, why="outbox_full")
    samples = scrape()
    assert _value(samples, "regsupport_analytics_outbox_size") == 3
    assert _value(samples, "regsupport_analytics_dropped_events_total", why="outbox_full") == 9
    assert _value(samples, "regsupport_analytics_dropped_events_total", why="rejected") == 0
