"""The dead-jobs console's filters, search, queues page, history and command take what a
person types or a link carries: a number in ASCII digits finds its jobs, anything else
finds none and is never a server error, for support agents and developers alike."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jobs.models import Job
from tests.factories import JobFactory, ProviderFactory, TraineeFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/deadjob/"
CSV = "/admin/jobs/deadjob/csv/"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ROLES = ["agent_client", "developer_client"]
# The last is a number, but too large for the columns (PostgreSQL integers).
NOT_NUMBERS = ["abc", "²", "٤٠٤", "-1", "1e3", "3000000000"]


@pytest.fixture
def dead_job():
    provider = ProviderFactory(name="Northfield University")
    return JobFactory(dead=True, trainee=TraineeFactory(last_name="Lovelace", provider=provider))


def _shows(response) -> bool:
    assert response.status_code == 200
    return "Lovelace" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("parameter", ["error_status", "error_code", "provider"])
@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_filter_value_that_is_not_a_number_shows_no_jobs(
    request, role, dead_job, parameter, value
):
    client = request.getfixturevalue(role)
    assert not _shows(client.get(LIST, {parameter: value}))
    csv = client.get(CSV, {parameter: value})
    assert csv.status_code == 200
    assert "Lovelace" not in b"".join(csv.streaming_content).decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_filters_still_find_jobs_by_their_numbers(request, role, dead_job):
    client = request.getfixturevalue(role)
    assert _shows(client.get(LIST, {"error_status": "404"}))
    assert _shows(client.get(LIST, {"error_code": "10001"}))
    assert _shows(client.get(LIST, {"provider": str(dead_job.trainee.provider_id)}))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("term", ["²", "1²", "99999999999999999999999"])
def test_searching_for_something_that_is_not_an_id_is_not_an_error(request, role, dead_job, term):
    client = request.getfixturevalue(role)
    assert not _shows(client.get(LIST, {"q": term}))


@pytest.mark.parametrize("role", ROLES)
def test_searching_for_a_trainee_id_in_arabic_indic_digits_is_not_that_trainee(
    request, role, dead_job
):
    client = request.getfixturevalue(role)
    assert _shows(client.get(LIST, {"q": str(dead_job.trainee_id)}))
    assert not _shows(client.get(LIST, {"q": str(dead_job.trainee_id).translate(ARABIC_INDIC)}))


@pytest.mark.parametrize("value", ["²", "abc", "٣"])
def test_the_queues_page_says_no_trainee_matches_what_is_not_an_id(developer_client, value):
    response = developer_client.get(reverse("admin:jobs-queues"), {"trainee": value})
    assert response.status_code == 200
    assert f"No trainee matches &#x27;{value}&#x27;" in response.content.decode()
    assert 'id="trainee-jobs"' not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_a_dead_jobs_history_is_its_jobs_history(request, role, dead_job, superuser):
    """simple-history keeps the rows on Job; the dead-job page's History link was a 500."""
    client = request.getfixturevalue(role)
    Job.objects.filter(pk=dead_job.pk).retry(actor=superuser, reason="DQT is back")
    response = client.get(f"{LIST}{dead_job.pk}/history/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:jobs_job_history", args=[dead_job.pk])
    assert "DQT is back" in response.content.decode()
    version = Job.history.filter(id=dead_job.pk).latest("history_date").history_id
    response = client.get(f"{LIST}{dead_job.pk}/history/{version}/")
    assert response.status_code == 302
    assert client.get(f"{LIST}%C2%B2/history/").status_code == 404


@pytest.mark.parametrize("option", ["--trainee", "--status", "--code"])
def test_the_command_refuses_a_number_that_is_not_ascii_digits(dead_job, option):
    value = str(dead_job.trainee_id if option == "--trainee" else 404).translate(ARABIC_INDIC)
    with pytest.raises(CommandError, match="digits 0-9"):
        call_command("dead_jobs", option, value)


def test_the_command_counts_no_jobs_for_a_status_no_column_can_hold(dead_job, capsys):
    call_command("dead_jobs", "--status", "3000000000")
    assert "0 dead jobs, 0 trainees" in capsys.readouterr().out
