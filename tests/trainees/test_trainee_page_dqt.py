"""The trainee page shows the trainee's DQT jobs and, for a trainee with a TRN, what DQT
holds beside Register's values, asked live (Register's Admin tab)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import JobFactory, TraineeFactory

pytestmark = pytest.mark.django_db


def _page(client, trainee):
    response = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def _section(page, element_id):
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</div>", start)]


def test_the_page_lists_the_trainees_dqt_jobs_with_state_error_and_link(agent_client):
    trainee = TraineeFactory(with_trn=True)
    dead = JobFactory(trainee=trainee, task_name="dqt.update_trainee", dead=True)
    waiting = JobFactory(trainee=trainee, task_name="dqt.recommend_for_award", state="blocked")
    JobFactory(task_name="dqt.update_trainee", dead=True)  # another trainee's

    jobs = _section(_page(agent_client, trainee), "dqt-jobs")

    assert f'href="/admin/jobs/job/{dead.pk}/change/"' in jobs
    assert f'href="/admin/jobs/job/{waiting.pk}/change/"' in jobs
    assert jobs.count('class="dqt-job ') == 2
    assert "DQT Update Trainee" in jobs and "Dead" in jobs
    assert "DQT Recommend For Award" in jobs and "Blocked" in jobs
    assert "404/10001: Teacher with specified TRN not found" in jobs


def test_a_trainee_without_dqt_jobs_says_so(agent_client):
    trainee = TraineeFactory()

    assert "No DQT jobs for this trainee." in _page(agent_client, trainee)


def test_beyond_ten_jobs_the_page_links_all_of_them(agent_client):
    trainee = TraineeFactory(with_trn=True)
    jobs = [
        JobFactory(trainee=trainee, task_name="dqt.update_trainee", state="succeeded")
        for _ in range(11)
    ]

    section = _section(_page(agent_client, trainee), "dqt-jobs")

    assert section.count('class="dqt-job ') == 10
    assert f"/admin/jobs/job/{jobs[0].pk}/change/" not in section  # the oldest is left out
    link = f"/admin/jobs/job/?trainee__exact={trainee.pk}"
    assert link in section
    listed = agent_client.get(link).content.decode()
    assert f"/admin/jobs/job/{jobs[0].pk}/change/" in listed


def test_the_dqt_card_shows_dqts_record_beside_registers(agent_client, dqt_on):
    trainee = TraineeFactory(with_trn=True, last_name="Lovelace")
    dqt_on.add_teacher_for(trainee, lastName="Byron")

    card = _section(_page(agent_client, trainee), "dqt-card")

    assert "asked live at" in card
    assert "<td>Last name</td><td>Lovelace</td><td>Byron</td>" in card
    assert "<strong>differs</strong>" in card
    assert "<td>Date of birth</td><td>12 April 1995</td><td>12 April 1995</td>" in card
    assert "Everything DQT holds" in card
    assert f"<th>trn</th><td>{trainee.trn}</td>" in card
    assert "Training instance 1" in card
    assert any(c["path"] == f"/v2/teachers/{trainee.trn}" for c in dqt_on.calls)


def test_when_dqt_fails_the_page_says_why(agent_client, dqt_on):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    dqt_on.fail_next("/v2/teachers/", status=500)

    card = _section(_page(agent_client, trainee), "dqt-card")

    assert "DQT could not say: status: 500" in card
    assert "<th>Field</th>" not in card


def test_when_dqt_does_not_know_the_trn_the_page_says_so(agent_client, dqt_on):
    trainee = TraineeFactory(with_trn=True)

    card = _section(_page(agent_client, trainee), "dqt-card")

    assert f"DQT has no active teacher with TRN {trainee.trn}" in card


def test_a_hanging_dqt_delays_the_page_only_up_to_the_console_timeout(
    agent_client, dqt_on, monkeypatch
):
    from regsupport.config import settings as app_settings

    monkeypatch.setenv("SETTINGS__DQT__CONSOLE_TIMEOUT_SECONDS", "1")
    app_settings.reload()
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    dqt_on.hang("/v2/teachers/")

    card = _section(_page(agent_client, trainee), "dqt-card")

    assert f"DQT could not say: DQT did not answer GET /v2/teachers/{trainee.trn}" in card
    assert "within 1 seconds" in card
    monkeypatch.delenv("SETTINGS__DQT__CONSOLE_TIMEOUT_SECONDS")
    app_settings.reload()


def test_with_the_integration_off_dqt_is_not_asked(agent_client, fake_dqt):
    trainee = TraineeFactory(with_trn=True)

    card = _section(_page(agent_client, trainee), "dqt-card")

    assert "DQT integration is off" in card
    assert fake_dqt.calls == []


def test_a_trainee_without_a_trn_has_no_dqt_card(agent_client, dqt_on):
    trainee = TraineeFactory(state=1)

    assert 'id="dqt-card"' not in _page(agent_client, trainee)
    assert dqt_on.calls == []


def test_the_page_stays_within_twelve_queries_with_jobs_and_the_dqt_card(agent_client, dqt_on):
    trainee = TraineeFactory(with_trn=True)
    dqt_on.add_teacher_for(trainee)
    for state in ("dead", "blocked", "succeeded", "scheduled"):
        JobFactory(trainee=trainee, task_name="dqt.update_trainee", state=state)
    _page(agent_client, trainee)

    with CaptureQueriesContext(connection) as queries:
        card = _section(_page(agent_client, trainee), "dqt-card")

    assert "<th>Field</th>" in card
    assert len(queries.captured_queries) <= 12, [q["sql"][:90] for q in queries]
