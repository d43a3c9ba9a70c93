"""Bulk resync: a DQT update for every trainee a filter matches, from the shell or the
trainee list, and its progress per run."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.admin import helpers

from dqt import services
from dqt.errors import DqtFixError
from dqt.models import Resync
from jobs.models import Job
from tests.factories import TraineeFactory
from tests.jobs.worker import celery_worker, flush_broker, wait_for
from trainees.models import Trainee


def _mixed_trainees(provider=None):
    """Three DQT takes an update for, and one of each kind it does not."""
    extra = {"provider": provider} if provider else {}
    sendable = [TraineeFactory(with_trn=True, **extra) for _ in range(3)]
    TraineeFactory(**extra)  # draft
    TraineeFactory(submitted=True, **extra)  # no TRN yet
    from django.utils import timezone

    TraineeFactory(with_trn=True, discarded_at=timezone.now(), **extra)
    TraineeFactory(with_trn=True, itt_start_date=None, **extra)
    TraineeFactory(
        with_trn=True,
        training_route=Trainee.TrainingRoute.TEACHER_DEGREE_APPRENTICESHIP,
        **extra,
    )
    return sendable


@pytest.mark.django_db
def test_the_plan_counts_the_sendable_trainees_and_says_why_others_are_left_out(dqt_on):
    sendable = _mixed_trainees()

    plan = services.dqt_resync_plan(trainees=Trainee.objects.all())

    assert plan.matched == 8
    assert sorted(plan.sendable) == sorted(t.pk for t in sendable)
    assert plan.skipped == {
        "deleted (discarded)": 1,
        "not TRN received or deferred (Register sends no update then)": 2,
        "without the ITT start date (DQT refuses the update)": 1,
        "refused before DQT: No DQT programme type for the training route": 1,
    }
    assert (
        plan.lines()[0] == "3 DQT update(s) queued, one per trainee, out of 8 trainee(s) matched."
    )


@pytest.mark.django_db
def test_a_resync_queues_one_update_per_sendable_trainee_with_its_reason(dqt_on, developer):
    sendable = _mixed_trainees()

    run = services.dqt_resync(
        trainees=Trainee.objects.all(),
        description="every trainee",
        reason="DQT restored from a backup",
        actor=developer,
    )

    jobs = Job.objects.filter(resync_entry__resync=run)
    assert sorted(jobs.values_list("trainee_id", flat=True)) == sorted(t.pk for t in sendable)
    assert set(jobs.values_list("task_name", "state")) == {("dqt.update_trainee", "enqueued")}
    assert (run.matched, run.queued, run.reason, run.created_by) == (
        8,
        3,
        "DQT restored from a backup",
        developer,
    )
    progress = services.dqt_resync_progress(run)
    assert (progress.waiting, progress.done, progress.finished) == (3, 0, False)


@pytest.mark.django_db
def test_a_resync_with_nothing_to_send_is_refused_and_queues_nothing(dqt_on):
    TraineeFactory()  # draft

    with pytest.raises(DqtFixError, match="None of the trainees matched can be sent"):
        services.dqt_resync(
            trainees=Trainee.objects.all(), description="drafts", reason="Try", actor=None
        )
    assert not Resync.objects.exists()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_resync_needs_a_visible_reason(dqt_on):
    TraineeFactory(with_trn=True)
    from regsupport.errors import ReasonRequired

    with pytest.raises(ReasonRequired):
        services.dqt_resync(
            trainees=Trainee.objects.all(), description="all", reason="\u200b", actor=None
        )
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_thread_pool_worker_runs_the_resync_and_the_progress_follows_it(dqt_on, tmp_path):
    """Six trainees through a real thread-pool worker against the fake DQT: five updates
    succeed once each, the one DQT does not know dies, and the run's progress says so."""
    flush_broker()
    known = [TraineeFactory(with_trn=True) for _ in range(5)]
    unknown = TraineeFactory(with_trn=True)
    for trainee in known:
        dqt_on.add_teacher_for(trainee)

    run = services.dqt_resync(
        trainees=Trainee.objects.all(), description="all", reason="Resync test", actor=None
    )
    with celery_worker(tmp_path / "worker.log", pool="threads", concurrency=8, queues="dqt"):
        progress = wait_for(
            lambda: (p := services.dqt_resync_progress(run)).finished and p,
            what="the resync to finish",
            seconds=120,
        )
    flush_broker()

    assert (progress.queued, progress.done, progress.dead, progress.waiting) == (6, 5, 1, 0)
    patches = Counter(c["path"] for c in dqt_on.calls if c["method"] == "PATCH")
    assert patches == Counter(f"/v2/teachers/update/{t.trn}" for t in [*known, unknown])
    dead = Job.objects.get(resync_entry__resync=run, state=Job.State.DEAD)
    assert dead.trainee_id == unknown.pk


def _select_all_and_act(client, query: str, **extra):
    return client.post(
        f"/admin/trainees/trainee/{query}",
        {
            "action": "resync_with_dqt",
            "select_across": "1",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(Trainee.objects.values_list("pk", flat=True)[0])],
            **extra,
        },
    )


@pytest.mark.django_db
def test_a_developer_resyncs_every_trainee_the_list_filter_shows(dqt_on, developer_client):
    from tests.factories import ProviderFactory

    provider = ProviderFactory()
    sendable = _mixed_trainees(provider=provider)
    TraineeFactory(with_trn=True)  # another provider: not in the filter
    query = f"?provider__id__exact={provider.pk}"

    page = _select_all_and_act(developer_client, query).content.decode()
    assert "Resync 8 trainee(s) with DQT" in page
    assert "3 DQT update(s) queued, one per trainee, out of 8 trainee(s) matched." in page
    assert not Job.objects.exists()

    response = _select_all_and_act(
        developer_client, query, confirm="yes", reason="Provider asked for a resync"
    )

    run = Resync.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/dqt/resync/{run.pk}/change/"
    assert run.description == f"every trainee the list shows for ?provider__id__exact={provider.pk}"
    assert sorted(
        Job.objects.filter(resync_entry__resync=run).values_list("trainee_id", flat=True)
    ) == sorted(t.pk for t in sendable)
    progress_page = developer_client.get(response["Location"]).content.decode()
    assert "Provider asked for a resync" in progress_page
    assert '<progress max="3" value="0">' in progress_page
    assert "1 deleted (discarded)" in progress_page


@pytest.mark.django_db
def test_a_support_agent_is_not_offered_the_resync(dqt_on, agent_client):
    TraineeFactory(with_trn=True)

    page = agent_client.get("/admin/trainees/trainee/").content.decode()
    assert "resync_with_dqt" not in page
    _select_all_and_act(agent_client, "", confirm="yes", reason="Try")
    assert not Resync.objects.exists()
