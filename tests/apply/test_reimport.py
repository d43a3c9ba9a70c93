"""Playbook "Resolving incorrect provider_type on Publish", in one place: the group's
choices touched in Apply (the fake), the rows deleted with history, both jobs started on a
run whose page follows them."""

import csv
import io

import pytest

from apply import jobs as apply_jobs
from apply.models import ImportRun
from apply.services import ApplyImportError, apply_reimport, apply_run_start
from regsupport.config import settings as app_settings
from tests.factories import ApplyApplicationFactory, TraineeFactory
from trainees.models import ApplyApplication

from .conftest import YEAR, add_choice

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


def reimport(**kwargs):
    arguments = {
        "accredited_body_code": "2N2",
        "recruitment_cycle_year": YEAR,
        "reason": "Publish type fixed",
        "actor": None,
    }
    return apply_reimport(**{**arguments, **kwargs})


def test_reimport_touches_deletes_and_starts_both_jobs_on_a_run(apply_on, hei_apps):
    for apply_id in (101, 102):
        add_choice(apply_on, apply_id)

    run = reimport(accredited_body_code="2n2")

    assert run.apply_ids == [101, 102]
    assert run.touched_in_apply is True
    assert _ids() == {201, 202, 203}
    assert sorted(j.task_name for j in run.jobs.all()) == [
        apply_jobs.CREATE_TRAINEES,
        apply_jobs.IMPORT_APPLICATIONS,
    ]
    assert run.started_at is not None
    touched = {c["id"]: c["updated_at"] for c in apply_on.state.choices.values()}
    assert all(value > "2024-01-02" for value in touched.values())


def test_the_deletions_are_kept_in_history_with_reason_and_agent(apply_on, hei_apps, support_agent):
    reimport(actor=support_agent)

    deleted = ApplyApplication.history.filter(history_type="-").order_by("apply_id")
    assert [(r.apply_id, r.history_change_reason, r.history_user) for r in deleted] == [
        (101, "Publish type fixed", support_agent),
        (102, "Publish type fixed", support_agent),
    ]


def test_without_a_touch_url_the_run_waits_for_the_apply_team(apply_on, hei_apps, monkeypatch):
    monkeypatch.setenv("SETTINGS__RECRUITS_API__TOUCH_URL", "")
    app_settings.reload()

    run = reimport()

    assert (run.touched_in_apply, run.started_at, run.jobs.count()) == (False, None, 0)
    assert _ids() == {201, 202, 203}
    assert apply_on.state.calls == []

    apply_run_start(run=run, actor=None)

    run.refresh_from_db()
    assert run.started_at is not None
    assert run.jobs.count() == 2
    with pytest.raises(ApplyImportError, match="already started"):
        apply_run_start(run=run, actor=None)


def test_apply_unreachable_for_the_touch_changes_nothing(apply_on, hei_apps, monkeypatch):
    monkeypatch.setenv("SETTINGS__RECRUITS_API__TOUCH_URL", "http://127.0.0.1:1/touch")
    app_settings.reload()

    with pytest.raises(ApplyImportError, match="Could not touch the application choices"):
        reimport()

    assert len(_ids()) == 5
    assert not ImportRun.objects.exists()


def test_reimport_is_refused_while_the_imports_are_off(fake_apply, hei_apps):
    with pytest.raises(ApplyImportError, match="import_applications_from_apply is off"):
        reimport()

    assert len(_ids()) == 5
    assert fake_apply.calls == []


def test_no_matching_applications_is_refused(apply_on, hei_apps):
    with pytest.raises(ApplyImportError, match="No Apply applications for accredited body ZZZ"):
        reimport(accredited_body_code="ZZZ")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accredited_body_code": " "}, "Give the accredited body code"),
        ({"recruitment_cycle_year": "last year"}, "is not a recruitment cycle year"),
        ({"state": "lost"}, "is not an application state"),
    ],
)
def test_bad_filters_are_refused(apply_on, hei_apps, kwargs, message):
    with pytest.raises(ApplyImportError, match=message):
        reimport(**kwargs)

    assert len(_ids()) == 5


def test_applications_that_already_made_trainees_are_refused(apply_on, hei_apps):
    wanted, _ = hei_apps
    TraineeFactory(apply_application=wanted[0])

    with pytest.raises(ApplyImportError, match="101 \\(trainee"):
        reimport()

    assert len(_ids()) == 5


# --- admin ---------------------------------------------------------------------------------


def _action(client, action, apps, **extra):
    return client.post(
        "/admin/trainees/applyapplication/",
        {"action": action, "_selected_action": [a.pk for a in apps], **extra},
        follow=True,
    )


def test_the_action_confirms_once_then_shows_the_run(agent_client, apply_on, hei_apps):
    wanted, _ = hei_apps

    confirm = _action(agent_client, "reimport_from_apply", wanted).content.decode()
    assert "Delete 2 Apply application(s) (kept in their history): 101, 102" in confirm
    assert "Touch the 2 application choices in Apply" in confirm
    assert len(_ids()) == 5

    done = _action(agent_client, "reimport_from_apply", wanted, confirm="yes", reason="Ticket 2")

    run = ImportRun.objects.get()
    assert done.redirect_chain[-1][0] == f"/admin/apply/importrun/{run.pk}/change/"
    text = done.content.decode()
    assert "Re-import of 2N2 2024 (2 applications)" in text
    assert "Running" in text
    assert _ids() == {201, 202, 203}


def test_the_action_refuses_a_mixed_selection(agent_client, apply_on, hei_apps):
    wanted, others = hei_apps

    response = _action(
        agent_client, "reimport_from_apply", [wanted[0], others[0]], confirm="yes", reason="x"
    )

    assert "filter the list by all three first" in response.content.decode()
    assert len(_ids()) == 5


def test_the_action_refuses_part_of_a_group(agent_client, apply_on, hei_apps):
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
