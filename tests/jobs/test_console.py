"""The dead-jobs console as support agents and developers use it."""

import csv
import datetime
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from jobs.models import Job
from tests.factories import JobFactory, ProviderFactory, TraineeFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/deadjob/"


def test_the_index_counts_dead_jobs_and_unique_trainees_per_type(agent_client):
    trainee = TraineeFactory()
    JobFactory.create_batch(2, dead=True, trainee=trainee)
    JobFactory(dead=True)
    JobFactory(state="succeeded")
    # Another type, for the same trainee and one without a trainee: the total counts each
    # trainee once across types.
    JobFactory(dead=True, task_name="tests.record", queue="default", trainee=trainee)
    JobFactory(dead=True, task_name="tests.record", queue="default", trainee=None)
    page = agent_client.get(reverse("admin:jobs-dead-index")).content.decode()
    assert "Test Ordered" in page
    assert '<td class="count">3</td>' in page
    assert '<td class="trainees">2</td>' in page
    assert '<td id="dead-total">5</td>' in page
    assert '<td id="dead-total-trainees">2</td>' in page


def test_the_console_box_on_the_admin_index_lists_dead_jobs_for_support_agents(agent_client):
    page = agent_client.get("/admin/").content.decode()
    assert "Dead jobs" in page
    assert "Job queues" not in page  # developers only


def test_each_list_row_shows_the_trainee_error_and_diagnosis_with_text_escaped(agent_client):
    provider = ProviderFactory(name="Smith & <Jones> SCITT")
    trainee = TraineeFactory(
        with_trn=True,
        first_names="Ann",
        last_name="<b>O'Neil</b>",
        provider=provider,
        date_of_birth=datetime.date(1990, 3, 7),
    )
    job = JobFactory(dead=True, task_name="dqt.update_trainee", trainee=trainee)
    orphan = JobFactory(dead=True, trainee=None, error_status=500, error_code=None)
    page = agent_client.get(LIST).content.decode()
    row = page[page.index(f'value="{job.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'<a href="/admin/jobs/deadjob/{job.pk}/change/">' in row
    assert f'<a href="/admin/trainees/trainee/{trainee.pk}/change/">{trainee.pk}</a>' in row
    assert f'<td class="field-trn">{trainee.trn}</td>' in row
    assert "Ann &lt;b&gt;O&#x27;Neil&lt;/b&gt;" in row and "<b>O'Neil" not in row
    assert "7 March 1990" in row
    assert "Smith &amp; &lt;Jones&gt; SCITT" in row
    assert '<td class="field-error_status">404</td>' in row
    assert '<td class="field-error_code">10001</td>' in row
    # The diagnosis, in support's words, under DQT's title.
    assert '<div class="diagnosis-title">DQT cannot find the teacher (404, 10001)</div>' in row
    assert '<td class="field-days_waiting_display">0</td>' in row
    orphan_row = page[page.index(f'value="{orphan.pk}"') :]
    orphan_row = orphan_row[: orphan_row.index("</tr>")]
    assert '<td class="field-trainee_link">—</td>' in orphan_row
    assert '<td class="field-error_code">—</td>' in orphan_row


def test_the_list_filters_by_error_status(agent_client):
    JobFactory(dead=True, trainee=TraineeFactory(last_name="Fourohfour"))
    JobFactory(dead=True, error_status=500, trainee=TraineeFactory(last_name="Fivehundred"))
    page = agent_client.get(LIST, {"error_status": "500"}).content.decode()
    assert "Fivehundred" in page
    assert "Fourohfour" not in page


def test_the_list_filters_by_provider(agent_client):
    mine = ProviderFactory(name="Mine SCITT")
    JobFactory(dead=True, trainee=TraineeFactory(provider=mine, last_name="Ownprovider"))
    JobFactory(dead=True, trainee=TraineeFactory(last_name="Otherprovider"))
    page = agent_client.get(LIST, {"provider": str(mine.pk)}).content.decode()
    assert "Ownprovider" in page and "Otherprovider" not in page


@pytest.mark.parametrize("field", ["pk", "slug", "trn"])
def test_the_list_finds_a_trainee_by_id_slug_or_trn(agent_client, field):
    wanted = TraineeFactory(with_trn=True, last_name="Wanted")
    JobFactory(dead=True, trainee=wanted)
    JobFactory(dead=True, trainee=TraineeFactory(last_name="Someoneelse"))
    page = agent_client.get(LIST, {"q": str(getattr(wanted, field))}).content.decode()
    assert "Wanted" in page and "Someoneelse" not in page


def test_the_list_searches_text_in_the_error(agent_client):
    JobFactory(
        dead=True,
        error_message="Organisation not found",
        trainee=TraineeFactory(last_name="Orgless"),
    )
    JobFactory(dead=True, trainee=TraineeFactory(last_name="Notfound"))
    page = agent_client.get(LIST, {"q": "organisation not"}).content.decode()
    assert "Orgless" in page and "Notfound" not in page


def test_the_csv_has_the_filtered_jobs_and_survives_quotes_and_newlines(agent_client):
    message = 'status: 400, body: {"title":"Teacher has no QTS record"}\nsecond line, with comma'
    trainee = TraineeFactory(with_trn=True, first_names='Mary "Polly"', last_name="O'Neil")
    job = JobFactory(dead=True, trainee=trainee, error_status=400, error_message=message)
    JobFactory(dead=True)  # a 404, filtered out
    response = agent_client.get(
        reverse("admin:jobs_deadjob_csv"), {"error_status": "400", "task_name": "tests.ordered"}
    )
    assert response["Content-Disposition"].startswith(
        'attachment; filename="dead-jobs_test-ordered_20'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["job_id"] == str(job.pk)
    assert row["register_id"] == str(trainee.pk)
    assert row["error_message"] == message
    assert row["full_name"] == 'Mary "Polly" O\'Neil'
    assert row["itt_end_date"] == trainee.itt_end_date.isoformat()
    assert row["trn"] == trainee.trn
    assert row["error_status"] == "400" and row["attempts"] == "1"


def test_retry_all_matching_the_filter_confirms_the_count_then_retries_only_those(agent_client):
    fours = JobFactory.create_batch(3, dead=True)
    five = JobFactory(dead=True, error_status=500)
    data = {
        "action": "retry_selected",
        "select_across": "1",
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(fours[0].pk)],
    }
    confirm = agent_client.post(LIST + "?error_status=404", data).content.decode()
    assert "This affects <strong>3</strong>" in confirm
    assert "every dead job matching the current filter" in confirm
    assert Job.objects.filter(state="dead").count() == 4  # nothing yet

    agent_client.post(LIST + "?error_status=404", {**data, "confirm": "yes", "reason": "DQT back"})
    assert set(Job.objects.filter(state="enqueued").values_list("pk", flat=True)) == {
        j.pk for j in fours
    }
    five.refresh_from_db()
    assert five.state == "dead"


def test_the_job_page_shows_attempts_and_a_retry_button(agent_client):
    job = JobFactory(dead=True)
    page = agent_client.get(reverse("admin:jobs_deadjob_change", args=[job.pk])).content.decode()
    assert "Teacher with specified TRN not found" in page
    assert "job-attempts" in page
    assert reverse("admin:jobs_deadjob_retry", args=[job.pk]) in page


def test_the_job_page_labels_its_state_and_arguments(agent_client):
    job = JobFactory(dead=True)
    page = agent_client.get(reverse("admin:jobs_deadjob_change", args=[job.pk])).content.decode()
    state = page[page.index('class="form-row field-state_display"') :]
    assert "<label>State:</label>" in state[: state.index("</div>\n\n")]
    arguments = page[page.index('class="form-row field-arguments_display"') :]
    assert "<label>Arguments:</label>" in arguments[: arguments.index("</pre>")]


def test_retrying_from_the_job_page_asks_for_a_reason_then_retries(agent_client):
    job = JobFactory(dead=True)
    url = reverse("admin:jobs_deadjob_retry", args=[job.pk])
    assert "Retry this job?" in agent_client.get(url).content.decode()
    response = agent_client.post(
        url, {"confirm": "yes", "reason": "DOB aligned on DQT"}, follow=True
    )
    assert f"Job {job.pk} will be retried imminently." in response.content.decode()
    job.refresh_from_db()
    assert job.state == "enqueued"


def test_retrying_a_job_that_is_no_longer_dead_shows_the_refusal(agent_client):
    job = JobFactory(state="succeeded")
    url = reverse("admin:jobs_job_retry", args=[job.pk])
    response = agent_client.post(url, {"confirm": "yes", "reason": "again"}, follow=True)
    assert "not dead: only dead jobs can be retried" in response.content.decode()


def test_the_queues_page_shows_waiting_jobs_per_queue_and_a_trainees_jobs(developer_client):
    trainee = TraineeFactory()
    JobFactory.create_batch(2, state="enqueued", trainee=trainee)
    JobFactory(state="blocked")
    page = developer_client.get(reverse("admin:jobs-queues"), {"trainee": trainee.pk})
    html = page.content.decode()
    assert "Queue dqt: 3 waiting, 0 of them running now" in html
    assert html.count("Test Ordered #") == 2


def test_support_agents_cannot_open_the_queues_page(agent_client):
    assert agent_client.get(reverse("admin:jobs-queues")).status_code == 403


def test_a_job_a_worker_is_running_shows_as_running(developer_client):
    """A running job keeps its waiting state in the ledger; the worker's lock (taken here
    by another session, as a worker's claim does) is what the pages show."""
    import psycopg
    from django.db import connection

    trainee = TraineeFactory()
    job = JobFactory(state="enqueued", trainee=trainee)
    JobFactory(state="enqueued", trainee=trainee)
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    ) as worker:
        worker.execute("SELECT pg_advisory_lock(%s)", [job.pk])
        html = developer_client.get(
            reverse("admin:jobs-queues"), {"trainee": trainee.pk}
        ).content.decode()
        assert "Queue dqt: 2 waiting, 1 of them running now" in html
        assert html.count("<td>Running</td>") == 1
        page = developer_client.get(reverse("admin:jobs_job_change", args=[job.pk]))
        assert "Running (a worker has it" in page.content.decode()
        assert "job-discard" not in page.content.decode()
    html = developer_client.get(reverse("admin:jobs-queues")).content.decode()
    assert "Queue dqt: 2 waiting, 0 of them running now" in html


@pytest.mark.parametrize(
    "ordering",
    [("created_at", "id"), ("-created_at", "-id"), ("trainee__trn", "-id")],
)
def test_every_page_holds_the_same_jobs_whichever_end_it_is_read_from(ordering):
    """Pages past the middle are read backwards from the end; they must be the pages a
    plain offset gives, in order, whatever the sort (NULLs and ties included)."""
    from jobs.admin import DeadJobPaginator

    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    shared = TraineeFactory(with_trn=True)
    for i in range(11):
        trainee = None if i % 4 == 0 else (shared if i % 3 == 0 else TraineeFactory(with_trn=True))
        job = JobFactory(dead=True, trainee=trainee)
        # Ties on created_at (pairs), so the id decides the order within a pair.
        Job.objects.filter(pk=job.pk).update(created_at=start + datetime.timedelta(days=i // 2))
    jobs = Job.objects.filter(state="dead").order_by(*ordering)
    expected = list(jobs.values_list("pk", flat=True))
    paginator = DeadJobPaginator(jobs, 3)
    assert paginator.num_pages == 4
    pages = [[job.pk for job in paginator.page(n)] for n in paginator.page_range]
    assert pages == [expected[i : i + 3] for i in range(0, 11, 3)]


def test_a_later_page_of_the_list_shows_its_rows(agent_client, monkeypatch):
    """Pages after the first go through the paginator's own row loading."""
    from jobs.admin import DeadJobAdmin

    monkeypatch.setattr(DeadJobAdmin, "list_per_page", 2)
    names = ["Alpha", "Bravo", "Charlie & Co"]
    for i, name in enumerate(names):
        job = JobFactory(dead=True, trainee=TraineeFactory(last_name=name))
        Job.objects.filter(pk=job.pk).update(
            created_at=datetime.datetime(2026, 11, 1 + i, tzinfo=datetime.UTC)
        )
    page = agent_client.get(LIST, {"p": "2"}).content.decode()
    assert "Charlie &amp; Co" in page
    assert "Alpha" not in page and "Bravo" not in page
    assert '<div class="diagnosis-title">' not in page  # tests.ordered has no diagnosis
    assert page.count('class="action-select"') == 1
