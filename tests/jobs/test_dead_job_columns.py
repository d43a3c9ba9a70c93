"""The dead-jobs list and its CSV are built from one declaration of their columns."""

import csv
import datetime
import html
import io
import re

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from jobs.columns import CSV_COLUMNS, LIST_COLUMNS
from tests.factories import JobFactory, ProviderFactory, TraineeFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/jobs/deadjob/"


def _csv_rows(client) -> tuple[list[str], dict[str, dict[str, str]]]:
    response = client.get(reverse("admin:jobs_deadjob_csv"))
    reader = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    rows = {row["job_id"]: row for row in reader}
    return list(reader.fieldnames or []), rows


def _list_cells(page: str, job_id: int) -> list[tuple[str, str]]:
    """A list row's cells as (field name, the text a user reads)."""
    row = page[page.index(f'value="{job_id}"') :]
    row = row[: row.index("</tr>")]
    return [
        (name, html.unescape(re.sub(r"<[^>]+>", "", content)))
        for _, name, content in re.findall(r'<(t[hd]) class="field-(\w+)">(.*?)</\1>', row)
    ]


def test_the_csv_header_is_the_declared_csv_columns_in_their_order(agent_client):
    JobFactory(dead=True)
    header, _ = _csv_rows(agent_client)
    assert header == [c.csv_header for c in CSV_COLUMNS]
    assert header == [
        "register_id",
        "job_id",
        "job_type",
        "url",
        "job_url",
        "diagnosis",
        "days_waiting",
        "trn",
        "date_of_birth",
        "full_name",
        "email",
        "state",
        "provider_name",
        "provider_ukprn",
        "training_route",
        "itt_start_date",
        "itt_end_date",
        "course_min_age",
        "course_max_age",
        "course_subject_one",
        "course_subject_two",
        "course_subject_three",
        "error_message",
        "error_status",
        "error_code",
        "error_title",
        "attempts",
    ]


def test_a_list_row_has_one_cell_per_declared_list_column_under_its_header(agent_client):
    job = JobFactory(dead=True)
    page = agent_client.get(LIST).content.decode()
    assert [name for name, _ in _list_cells(page, job.pk)] == [c.name for c in LIST_COLUMNS]
    headers = re.findall(r'<th scope="col" class="(?:sortable )?column-(\w+)', page)
    assert headers == [c.name for c in LIST_COLUMNS]
    # Only the columns declaring a sort key sort; days waiting is the list's default order.
    assert re.findall(r'class="sortable column-(\w+)', page) == [
        "trainee_link",
        "trn",
        "days_waiting_display",
    ]
    assert 'class="sortable column-days_waiting_display sorted ascending"' in page


def test_the_csv_says_what_the_list_shows_in_their_shared_columns(agent_client):
    trainee = TraineeFactory(
        with_trn=True,
        first_names="Ann",
        middle_names="",
        last_name="O'Neil & <Co>",
        provider=ProviderFactory(name="Smith & Jones SCITT"),
        date_of_birth=datetime.date(1990, 3, 7),
    )
    with_trainee = JobFactory(dead=True, trainee=trainee)
    without = JobFactory(dead=True, trainee=None, error_code=None, error_title="")
    shared = [c for c in LIST_COLUMNS if c in CSV_COLUMNS]
    assert len(shared) == 10
    page = agent_client.get(LIST).content.decode()
    _, csv_rows = _csv_rows(agent_client)
    for job in (with_trainee, without):
        shown = dict(_list_cells(page, job.pk))
        written = csv_rows[str(job.pk)]
        for column in shared:
            value = written[column.csv_header]
            if column.name == "date_of_birth" and value:
                value = date_format(datetime.date.fromisoformat(value))
            # The list marks an empty cell with a dash where a blank would be unclear.
            assert shown[column.name] in ((value, "—") if value == "" else (value,)), column.name
    assert csv_rows[str(with_trainee.pk)]["full_name"] == "Ann O'Neil & <Co>"
    assert csv_rows[str(without.pk)]["register_id"] == ""
