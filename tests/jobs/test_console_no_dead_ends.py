"""Every search and bulk action in the jobs console leads somewhere: trainees by name or
email, the queue page by TRN or slug, a bulk retry to the jobs it retried."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from jobs.models import Job
from tests.factories import JobFactory, TraineeFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/deadjob/"


def _ids(response):
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "term", ["ada.lovelace@example.com", "ADA.LOVELACE@example.com", "Ada Love", "love"]
)
def test_the_dead_jobs_list_finds_a_trainee_by_email_or_the_start_of_their_names(
    agent_client, term
):
    ada = TraineeFactory(first_names="Ada", last_name="Lovelace", email="ada.lovelace@example.com")
    job = JobFactory(dead=True, trainee=ada)
    JobFactory(dead=True, trainee=TraineeFactory(first_names="Alan", last_name="Turing"))
    assert _ids(agent_client.get(LIST, {"q": term})) == {job.pk}


def test_a_word_no_trainee_with_dead_jobs_starts_with_still_searches_the_errors(agent_client):
    TraineeFactory(first_names="Teacherly", last_name="Smith")  # no dead job
    job = JobFactory(dead=True)  # its error: "Teacher with specified TRN not found"
    assert _ids(agent_client.get(LIST, {"q": "Teacher"})) == {job.pk}


@pytest.mark.parametrize("field", ["trn", "slug", "email"])
def test_the_queues_page_finds_a_trainees_jobs_by_trn_slug_or_email(developer_client, field):
    trainee = TraineeFactory(with_trn=True, first_names="Mary", last_name="Somerville")
    JobFactory.create_batch(2, state="enqueued", trainee=trainee)
    JobFactory(state="enqueued")
    html = developer_client.get(
        reverse("admin:jobs-queues"), {"trainee": getattr(trainee, field)}
    ).content.decode()
    table = html[html.index('id="trainee-jobs"') :]
    assert table.count("Test Ordered #") == 2
    assert "Mary Somerville" in table


def test_after_retry_all_matching_the_agent_sees_those_jobs_and_their_new_states(agent_client):
    fours = JobFactory.create_batch(3, dead=True)
    JobFactory(dead=True, error_status=500)
    JobFactory(state="enqueued")  # enqueued, but not by this retry
    data = {
        "action": "retry_selected",
        "select_across": "1",
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(fours[0].pk)],
        "confirm": "yes",
        "reason": "DQT is back",
    }
    response = agent_client.post(LIST + "?error_status=404", data, follow=True)

    url, _ = response.redirect_chain[-1]
    assert url.startswith(reverse("admin:jobs_job_changelist") + "?retried=")
    assert _ids(response) == {j.pk for j in fours}
    html = response.content.decode()
    assert "3 jobs will be retried imminently" in html
    assert html.count('<td class="field-state">Enqueued</td>') == 3


def test_a_retry_marker_that_names_no_retry_shows_no_jobs(agent_client):
    JobFactory(state="enqueued")
    for marker in ["nonsense", "1:", ":12", "٣:1"]:
        response = agent_client.get(reverse("admin:jobs_job_changelist"), {"retried": marker})
        assert response.status_code == 200
        assert _ids(response) == set()


def test_the_bulk_confirmation_lists_the_filter_a_line_each(agent_client):
    job = JobFactory(dead=True)
    data = {
        "action": "discard_selected",
        "select_across": "1",
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(job.pk)],
    }
    html = agent_client.post(
        LIST + f"?error_status=404&task_name=tests.ordered&q={job.trainee.trn}", data
    ).content.decode()
    filters = html[html.index('<ul class="confirmation-filters">') :]
    filters = filters[: filters.index("</ul>")]
    assert "<li>Job type: Test Ordered</li>" in filters
    assert "<li>Error status: 404</li>" in filters
    assert f"<li>Search: {job.trainee.trn}</li>" in filters
    assert Job.objects.get(pk=job.pk).state == Job.State.DEAD


def test_the_csv_has_a_diagnosis_days_waiting_and_links_from_the_site_address(
    agent_client, monkeypatch
):
    import csv
    import io
    from datetime import timedelta

    from django.utils import timezone

    from regsupport.config import settings as app_settings

    monkeypatch.setenv("SETTINGS__BASE_URL", "https://support.example.org/")
    app_settings.reload()
    try:
        not_found = JobFactory(
            dead=True,
            task_name="dqt.update_trainee",
            created_at=timezone.now() - timedelta(days=3),
        )
        timed_out = JobFactory(
            dead=True,
            task_name="dqt.retrieve_trn",
            error_status=None,
            error_code=None,
            error_title="TRN poll timed out",
            error_message="Dqt::RetrieveTrnJob for Trainee id: 41 has timed out after 4 days",
        )
        response = agent_client.get(reverse("admin:jobs_deadjob_csv"))
        rows = {
            int(r["job_id"]): r
            for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
        }
    finally:
        monkeypatch.delenv("SETTINGS__BASE_URL")
        app_settings.reload()

    assert rows[not_found.pk]["diagnosis"] == "DQT cannot find the teacher (404, 10001)"
    assert rows[not_found.pk]["days_waiting"] == "3"
    assert rows[timed_out.pk]["diagnosis"] == "TRN poll timed out"
    assert rows[timed_out.pk]["days_waiting"] == "0"
    assert rows[not_found.pk]["job_url"] == (
        f"https://support.example.org/admin/jobs/deadjob/{not_found.pk}/change/"
    )
    assert rows[not_found.pk]["url"] == (
        f"https://support.example.org/admin/trainees/trainee/{not_found.trainee_id}/change/"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="dead-jobs_all-types_{timezone.localdate().isoformat()}.csv"'
    )


def test_recent_actions_on_the_home_page_include_a_retry_and_a_bulk_discard(agent_client):
    retried = JobFactory(dead=True)
    discarded = JobFactory.create_batch(2, dead=True)
    agent_client.post(
        reverse("admin:jobs_job_retry", args=[retried.pk]),
        {"confirm": "yes", "reason": "DQT fixed it"},
    )
    agent_client.post(
        LIST,
        {
            "action": "discard_selected",
            ACTION_CHECKBOX_NAME: [str(j.pk) for j in discarded],
            "confirm": "yes",
            "reason": "Duplicates",
        },
    )
    html = agent_client.get(reverse("admin:index")).content.decode()
    recent = html[html.index('id="recent-actions-module"') :]
    for job in [retried, *discarded]:
        assert f"Test Ordered #{job.pk}" in recent

    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.get(object_id=str(retried.pk)).change_message == (
        "Retry this job: DQT fixed it"
    )
