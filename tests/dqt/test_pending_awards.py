"""Register's system-admin Pending awards page, and its Check per row (asks DQT, changes
nothing)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from tests.factories import JobFactory, TraineeFactory, awarded_trainee

pytestmark = pytest.mark.django_db

PAGE = "/admin/console/pending-awards/"


def _recommended(days=0, **kwargs):
    trainee = awarded_trainee(recommended_only=True, **kwargs)
    trainee.recommended_for_award_at = timezone.now() - timedelta(days=days)
    trainee.save()
    return trainee


def _check(client, trainee):
    return client.post(f"{PAGE}{trainee.pk}/check/", follow=True).content.decode()


def test_the_page_lists_recommended_trainees_longest_waiting_first(agent_client):
    recent = _recommended(days=1, last_name="Recent")
    oldest = _recommended(days=12, last_name="Oldest")
    awarded_trainee(last_name="Awarded")
    TraineeFactory(with_trn=True, last_name="Training")
    job = JobFactory(trainee=oldest, task_name=dqt_jobs.RECOMMEND_FOR_AWARD, dead=True)

    page = agent_client.get(PAGE).content.decode()

    assert page.index("Oldest") < page.index("Recent")
    assert "Awarded" not in page and "Training" not in page
    row = page[page.index(f'data-trainee="{oldest.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="days-waiting">12</td>' in row
    assert f'<a href="/admin/jobs/job/{job.pk}/change/">#{job.pk}</a> Dead' in row
    assert recent.trn in page


@pytest.mark.parametrize("sort, first", [("trn", "b"), ("register", "a"), ("days_waiting", "b")])
def test_the_page_sorts_as_registers_did(agent_client, sort, first):
    a = _recommended(days=1, trn="3999999")
    b = _recommended(days=5, trn="3000001")
    order = {"a": a, "b": b}

    page = agent_client.get(f"{PAGE}?sort_by={sort}").content.decode()

    other = b if order[first] is a else a
    assert page.index(f'data-trainee="{order[first].pk}"') < page.index(
        f'data-trainee="{other.pk}"'
    )


def test_check_says_when_dqt_holds_the_award_register_waits_for(agent_client, dqt_on):
    trainee = _recommended(first_names="Ada", last_name="Lovelace")
    dqt_on.add_teacher_for(trainee, qtsDate="2026-07-01")
    job = JobFactory(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD, dead=True)

    text = _check(agent_client, trainee)

    assert "DQT holds the QTS award of Ada Lovelace, dated 2026-07-01" in text
    assert f"award job #{job.pk} is dead" in text
    trainee.refresh_from_db()
    assert trainee.awarded_at is None  # only a check


def test_check_says_when_dqt_has_not_awarded_yet(agent_client, dqt_on):
    trainee = _recommended(first_names="Ada", last_name="Lovelace")
    dqt_on.add_teacher_for(trainee)
    JobFactory(trainee=trainee, task_name=dqt_jobs.RECOMMEND_FOR_AWARD, state="scheduled")

    text = _check(agent_client, trainee)

    assert "DQT has not awarded Ada Lovelace yet (DQT&#x27;s training: InTraining)" in text
    assert "is scheduled" in text


def test_check_reports_dqts_failure_without_an_error_page(agent_client, dqt_on):
    trainee = _recommended()
    dqt_on.fail_next("/v2/teachers/", status=502)

    text = _check(agent_client, trainee)

    assert "API error: status: 502" in text
    assert 'class="error"' in text


def test_check_is_refused_for_a_trainee_not_pending_award(agent_client, dqt_on):
    trainee = TraineeFactory(with_trn=True)

    response = agent_client.post(f"{PAGE}{trainee.pk}/check/")

    assert response.status_code == 404
    assert dqt_on.calls == []


def test_check_needs_a_post(agent_client, dqt_on):
    trainee = _recommended()

    assert agent_client.get(f"{PAGE}{trainee.pk}/check/").status_code == 405
    assert dqt_on.calls == []
