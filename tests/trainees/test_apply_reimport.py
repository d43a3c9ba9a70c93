"""Playbook: re-importing Apply applications after a provider type is corrected on Publish."""

import csv
import io

import pytest

from tests.factories import ApplyApplicationFactory, TraineeFactory
from trainees.errors import TraineeError
from trainees.models import ApplyApplication
from trainees.services import apply_applications_reimport

pytestmark = pytest.mark.django_db

HEI = ApplyApplication.State.NON_IMPORTABLE_HEI


@pytest.fixture
def hei_apps():
    wanted = [ApplyApplicationFactory(apply_id=i, state=HEI) for i in (101, 102)]
    others = [
        ApplyApplicationFactory(apply_id=201, state=HEI, recruitment_cycle_year=2025),
        ApplyApplicationFactory(apply_id=202, state=HEI, accredited_body_code="1TF"),
        ApplyApplicationFactory(apply_id=203, state=ApplyApplication.State.IMPORTABLE),
    ]
    return wanted, others


def _ids():
    return set(ApplyApplication.objects.values_list("apply_id", flat=True))


def test_reimport_deletes_the_matching_applications_and_returns_their_ids(hei_apps, support_agent):
    result = apply_applications_reimport(
        accredited_body_code="2n2",
        recruitment_cycle_year=2024,
        reason="Ticket",
        actor=support_agent,
    )

    assert result.apply_ids == [101, 102]
    assert _ids() == {201, 202, 203}


def test_the_deletions_are_kept_in_history_with_reason_and_agent(hei_apps, support_agent):
    apply_applications_reimport(
        accredited_body_code="2N2",
        recruitment_cycle_year=2024,
        reason="Publish type fixed",
        actor=support_agent,
    )

    deleted = ApplyApplication.history.filter(history_type="-").order_by("apply_id")
    assert [(r.apply_id, r.history_change_reason, r.history_user) for r in deleted] == [
        (101, "Publish type fixed", support_agent),
        (102, "Publish type fixed", support_agent),
    ]


def test_reimport_says_the_import_jobs_are_not_configured(hei_apps, support_agent):
    result = apply_applications_reimport(
        accredited_body_code="2N2", recruitment_cycle_year=2024, reason="x", actor=support_agent
    )

    assert result.jobs.enqueued is False
    assert "Apply import jobs are not configured" in result.jobs.notice


def test_no_matching_applications_is_refused(hei_apps, support_agent):
    with pytest.raises(TraineeError, match="No Apply applications for accredited body ZZZ"):
        apply_applications_reimport(
            accredited_body_code="ZZZ", recruitment_cycle_year=2024, reason="x", actor=support_agent
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accredited_body_code": " "}, "Give the accredited body code"),
        ({"recruitment_cycle_year": "last year"}, "is not a recruitment cycle year"),
        ({"state": "lost"}, "is not an application state"),
    ],
)
def test_bad_filters_are_refused(hei_apps, support_agent, kwargs, message):
    arguments = {"accredited_body_code": "2N2", "recruitment_cycle_year": 2024, **kwargs}

    with pytest.raises(TraineeError, match=message):
        apply_applications_reimport(**arguments, reason="x", actor=support_agent)

    assert len(_ids()) == 5


def test_applications_that_already_made_trainees_are_refused(hei_apps, support_agent):
    wanted, _ = hei_apps
    TraineeFactory(apply_application=wanted[0])

    with pytest.raises(TraineeError, match="101 \\(trainee"):
        apply_applications_reimport(
            accredited_body_code="2N2", recruitment_cycle_year=2024, reason="x", actor=support_agent
        )

    assert len(_ids()) == 5


# --- admin ---------------------------------------------------------------------------------


def _action(client, action, apps, **extra):
    return client.post(
        "/admin/trainees/applyapplication/",
        {"action": action, "_selected_action": [a.pk for a in apps], **extra},
        follow=True,
    )


def test_the_action_confirms_with_the_ids_then_deletes_them(agent_client, hei_apps):
    wanted, _ = hei_apps

    confirm = _action(agent_client, "reimport_from_apply", wanted).content.decode()
    assert "Delete 2 Apply application(s) (kept in their history): 101, 102" in confirm
    assert len(_ids()) == 5

    done = _action(agent_client, "reimport_from_apply", wanted, confirm="yes", reason="Ticket 2")

    text = done.content.decode()
    assert "Deleted 2 Apply application(s): 101, 102." in text
    assert "Apply import jobs are not configured" in text
    assert _ids() == {201, 202, 203}


def test_the_action_refuses_a_mixed_selection(agent_client, hei_apps):
    wanted, others = hei_apps

    response = _action(
        agent_client, "reimport_from_apply", [wanted[0], others[0]], confirm="yes", reason="x"
    )

    assert "filter the list by all three first" in response.content.decode()
    assert len(_ids()) == 5


def test_the_action_refuses_part_of_a_group(agent_client, hei_apps):
    wanted, _ = hei_apps

    response = _action(agent_client, "reimport_from_apply", wanted[:1], confirm="yes", reason="x")

    assert "but 1 are selected" in response.content.decode()
    assert len(_ids()) == 5


def test_the_apply_ids_download_as_csv(agent_client, hei_apps):
    wanted, _ = hei_apps

    response = _action(agent_client, "download_apply_ids", wanted)

    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("apply_id,")
    assert [line.split(",")[0] for line in lines[1:]] == ["101", "102"]


def test_the_apply_ids_csv_is_safe_to_open_in_a_spreadsheet(agent_client):
    application = ApplyApplicationFactory(apply_id=301, accredited_body_code="=1+2")

    response = _action(agent_client, "download_apply_ids", [application])

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:3] == ["301", "'=1+2", "2024"]
