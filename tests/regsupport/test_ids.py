"""Ids typed or carried in a URL are ASCII digits: anything else finds nothing and is never
a server error, on any audited page, as a support agent or a developer."""

import pytest
from django.contrib.contenttypes.models import ContentType

from jobs.models import DeadJob
from regsupport.ids import parse_id, parse_number
from regsupport.models import Console
from tests.factories import JobFactory, ProviderFactory, TraineeFactory
from trainees.models import Trainee

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NOT_IDS = ["abc", "²", "1²", "٣", "-1", "0", "1e3", "99999999999999999999999"]
ROLES = ["agent_client", "developer_client"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), (" 42 ", 42), ("9223372036854775807", 2**63 - 1)]
    + [(text, None) for text in NOT_IDS + ["", " ", "4 2", None]],
)
def test_an_id_is_ascii_digits_within_a_bigint(text, expected):
    assert parse_id(text) == expected


def test_a_number_may_be_zero_but_not_unicode_digits():
    assert parse_number("0") == 0
    assert parse_number("²") is None
    assert parse_number("٣") is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model", ["trainees/trainee", "providers/provider", "jobs/job", "dqt/trnrequest"]
)
@pytest.mark.parametrize("object_id", ["abc", "%C2%B2", "1%C2%B2"])
def test_history_pages_of_a_non_id_are_not_found(request, role, model, object_id):
    client = request.getfixturevalue(role)
    assert client.get(f"/admin/{model}/{object_id}/history/").status_code == 404
    assert client.get(f"/admin/{model}/{object_id}/history/1/").status_code == 404
    assert client.get(f"/admin/{model}/1/history/{object_id}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_a_record_page_with_arabic_indic_digits_is_not_that_record(request, role):
    client = request.getfixturevalue(role)
    trainee = TraineeFactory(last_name="Lovelace")
    unicode_id = str(trainee.pk).translate(ARABIC_INDIC)
    response = client.get(f"/admin/trainees/trainee/{unicode_id}/change/", follow=True)
    assert "Lovelace" not in response.content.decode()
    assert "doesn’t exist" in response.content.decode()
    assert client.get(f"/admin/trainees/trainee/{unicode_id}/history/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_view_on_site_leads_to_the_record_page_or_is_not_found(request, role):
    client = request.getfixturevalue(role)
    trainee = TraineeFactory()
    job = JobFactory(dead=True)

    def shortcut(model, object_id, *, proxy=False):
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=not proxy)
        return client.get(f"/admin/r/{content_type.pk}/{object_id}/")

    response = shortcut(Trainee, trainee.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/trainees/trainee/{trainee.pk}/change/"
    response = shortcut(DeadJob, job.pk, proxy=True)
    assert response["Location"] == f"/admin/jobs/deadjob/{job.pk}/change/"
    # The console's permission model has no table; Django's own view was a 500 here.
    assert shortcut(Console, 1).status_code == 404
    assert shortcut(Trainee, "%C2%B2").status_code == 404
    assert shortcut(Trainee, str(trainee.pk).translate(ARABIC_INDIC)).status_code == 404
    assert shortcut(Trainee, trainee.pk + 1000).status_code == 404


@pytest.mark.django_db
def test_an_action_on_a_selection_that_is_not_ids_changes_nothing(agent_client):
    provider = ProviderFactory()
    response = agent_client.post(
        "/admin/providers/provider/",
        {"action": "convert_to_lead_partner_selected", "_selected_action": [str(provider.pk), "²"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "The selection has something that is not an id. Nothing was changed." in (
        response.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url",
    [
        "/admin/jobs/deadjob/?task_name=%00",
        "/admin/jobs/job/?state__exact=a%00",
        "/admin/jobs/deadjob/csv/?task_name=%00",
        "/admin/trainees/trainee/?q=%00",
    ],
)
def test_a_nul_character_in_a_parameter_is_a_bad_request(request, role, url):
    """PostgreSQL stores no NUL in text: such a filter failed in the database, a 500."""
    JobFactory(dead=True)
    response = request.getfixturevalue(role).get(url)
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()


@pytest.mark.django_db
def test_a_nul_character_in_a_posted_reason_changes_nothing(agent_client):
    job = JobFactory(dead=True)
    response = agent_client.post(
        f"/admin/jobs/deadjob/{job.pk}/retry/", {"confirm": "yes", "reason": "DQT\x00 is back"}
    )
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.state == "dead"
