"""Operator actions on jobs, the scheduler's sweep and the clean-ups."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from jobs.errors import JobError
from jobs.models import Job
from jobs.selectors import dead_jobs, waiting_jobs
from jobs.services import (
    enqueue,
    job_discard,
    job_retry,
    purge_succeeded_jobs,
    remove_dead_duplicates,
    sweep,
)
from regsupport.errors import Refusal
from tests.factories import JobFactory, TraineeFactory

from .worker import broker_length, flush_broker

pytestmark = pytest.mark.django_db


def test_retrying_a_job_that_is_not_dead_is_refused_with_a_message(superuser):
    job = JobFactory(state="succeeded")
    with pytest.raises(JobError, match=f"Job {job.pk} is succeeded, not dead"):
        job_retry(job=job, actor=superuser, reason="try again")
    job.refresh_from_db()
    assert job.state == "succeeded"


def test_discarding_a_job_twice_is_refused_with_a_message(superuser):
    job = JobFactory(dead=True)
    job_discard(job=job, actor=superuser, reason="Duplicate record")
    with pytest.raises(JobError, match="already discarded"):
        job_discard(job=job, actor=superuser, reason="again")


def test_discarding_without_a_reason_is_refused_like_any_other_refusal(superuser):
    job = JobFactory(dead=True)
    with pytest.raises(Refusal, match="Give a reason"):
        job_discard(job=job, actor=superuser, reason="  ")
    job.refresh_from_db()
    assert job.state == Job.State.DEAD


def test_a_discard_keeps_the_job_with_the_reason_and_actor_in_its_history(superuser):
    job = JobFactory(dead=True)
    job_discard(job=job, actor=superuser, reason="Race with award; data matches on DQT")
    job.refresh_from_db()
    assert job.state == Job.State.DISCARDED
    last = job.history.latest()
    assert last.history_change_reason == "Race with award; data matches on DQT"
    assert last.history_user == superuser
    assert last.state == "discarded"


def test_a_retry_records_who_and_why_and_gives_fresh_attempts(superuser):
    job = JobFactory(dead=True, attempts=3, max_attempts=3)
    job_retry(job=job, actor=superuser, reason="DQT was down")
    job.refresh_from_db()
    assert job.state == Job.State.ENQUEUED
    assert job.max_attempts == 6
    assert job.history.latest().history_change_reason == "DQT was down"


def test_retrying_the_filtered_dead_jobs_retries_only_those_and_audits_each(superuser):
    matching = JobFactory.create_batch(3, dead=True, error_status=405, error_message="status: 405")
    other = JobFactory(dead=True)
    count = (
        dead_jobs()
        .filter(error_message__startswith="status: 405")
        .retry(actor=superuser, reason="DQT fixed the 405s")
    )
    assert count == 3
    assert set(Job.objects.filter(state="enqueued").values_list("pk", flat=True)) == {
        j.pk for j in matching
    }
    other.refresh_from_db()
    assert other.state == "dead"
    assert all(j.history.latest().history_change_reason == "DQT fixed the 405s" for j in matching)


def test_counting_unique_trainees_among_dead_jobs():
    trainee = TraineeFactory()
    JobFactory.create_batch(2, dead=True, trainee=trainee)
    JobFactory(dead=True)
    assert dead_jobs().count() == 3
    assert dead_jobs().unique_trainees() == 2


def test_waiting_jobs_tally_by_job_type():
    JobFactory.create_batch(2, state="enqueued")
    JobFactory(state="dead")
    assert waiting_jobs("dqt").tally() == {"Test Ordered": 2}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_enqueue_sends_nothing():
    flush_broker()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("tests.apply_noop", arguments={})
        raise RuntimeError("dry run")
    assert Job.objects.count() == 0
    assert broker_length("apply") == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_due_and_lost_jobs_and_leaves_future_ones():
    flush_broker()
    now = timezone.now()
    due = JobFactory(state="retrying", run_after=now - timedelta(seconds=1), queue="apply")
    later = JobFactory(state="scheduled", run_after=now + timedelta(days=3), queue="apply")
    lost = JobFactory(state="enqueued", enqueued_at=now - timedelta(hours=1), queue="apply")
    counts = sweep(lost_after=timedelta(minutes=10))
    assert counts["due"] == 1 and counts["lost"] == 1
    assert broker_length("apply") == 2
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.state == "enqueued" and later.state == "scheduled"
    assert lost.pk
    flush_broker()


def test_duplicate_dead_jobs_are_discarded_keeping_the_earliest():
    trainee = TraineeFactory()
    first = JobFactory(dead=True, trainee=trainee)
    repeats = JobFactory.create_batch(2, dead=True, trainee=trainee)
    different_status = JobFactory(dead=True, trainee=trainee, error_status=500)
    assert remove_dead_duplicates() == 2
    assert set(dead_jobs().values_list("pk", flat=True)) == {first.pk, different_status.pk}
    repeats[0].refresh_from_db()
    assert repeats[0].discard_reason.startswith(f"Duplicate of dead job {first.pk}")


def test_succeeded_jobs_past_retention_are_removed_and_others_kept():
    old = JobFactory(state="succeeded", finished_at=timezone.now() - timedelta(days=31))
    recent = JobFactory(state="succeeded", finished_at=timezone.now() - timedelta(days=2))
    dead = JobFactory(dead=True, finished_at=timezone.now() - timedelta(days=90))
    assert purge_succeeded_jobs() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, dead.pk}
    assert not Job.objects.filter(pk=old.pk).exists()
