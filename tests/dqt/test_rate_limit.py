"""DQT calls keep to one rate across all workers, and a 429 pauses them all."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from dqt import rate_limit
from dqt.client import DqtClient
from dqt.errors import DqtHttpError, DqtRateLimited
from jobs.models import Job
from jobs.runner import run
from regsupport.config import settings as app_settings
from tests.factories import TraineeFactory


@pytest.fixture
def fresh_schedule(monkeypatch):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(rate_limit.KEY)

    def configure(**values):
        for key, value in values.items():
            monkeypatch.setenv(f"SETTINGS__DQT__{key.upper()}", str(value))
        app_settings.reload()

    yield configure
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(rate_limit.KEY)
    monkeypatch.undo()
    app_settings.reload()


def _turns_at_once(count: int) -> list[BaseException | None]:
    """``count`` callers asking for a turn at the same moment; what each one got."""
    results: list[BaseException | None] = [None] * count
    start = threading.Barrier(count)

    def ask(i):
        start.wait()
        try:
            rate_limit.wait_for_turn()
        except DqtRateLimited as error:
            results[i] = error

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_calls_beyond_the_rate_wait_and_those_that_would_wait_too_long_are_refused(
    fresh_schedule,
):
    fresh_schedule(max_requests_per_second=2, rate_limit_max_wait_seconds=0.7)
    # Two a second: two go at once, the third waits half a second, the fourth would wait a
    # second, longer than allowed.
    results = _turns_at_once(4)
    refused = [r for r in results if r is not None]
    assert len(refused) == 1
    assert refused[0].transient
    assert refused[0].retry_after > 0.7


def test_no_limit_when_the_rate_is_zero(fresh_schedule):
    fresh_schedule(max_requests_per_second=0, rate_limit_max_wait_seconds=0)
    assert _turns_at_once(20) == [None] * 20


@pytest.mark.django_db
def test_a_429_pauses_every_call_for_its_retry_after_and_the_job_retries_later(
    fresh_schedule, dqt_on
):
    from dqt.jobs import update_trainee

    fresh_schedule(max_requests_per_second=40, rate_limit_max_wait_seconds=1)
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    dqt_on.fail_next("/v2/teachers/update/", status=429, retry_after=30)
    job = update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)

    assert run(job.pk) == "retrying"
    job.refresh_from_db()
    assert job.error_status == 429
    assert job.run_after >= timezone.now() + timezone.timedelta(seconds=29)

    # Any other call, from any worker, now waits for the pause: too long here, so refused.
    with pytest.raises(DqtRateLimited) as refused:
        DqtClient().get_teacher(trainee.trn)
    assert refused.value.retry_after > 25
    assert [c["status"] for c in dqt_on.calls][-1] == 429
    assert Job.objects.get(pk=job.pk).state == Job.State.RETRYING


def test_retry_after_is_read_as_seconds_or_as_a_date():
    seconds = DqtHttpError(status=429, body="", headers={"Retry-After": "12"})
    assert seconds.retry_after == 12
    date = DqtHttpError(
        status=429, body="", headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    assert date.retry_after == 0  # a date in the past: no wait
    assert DqtHttpError(status=500, body="", headers={"Retry-After": "12"}).retry_after is None
