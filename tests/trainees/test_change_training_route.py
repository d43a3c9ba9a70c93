"""Playbook: changing training route (Register's RouteDataManager)."""

import uuid
from datetime import date

import pytest

from tests.factories import TraineeFactory
from trainees.errors import TraineeError
from trainees.models import Trainee
from trainees.services import ROUTE_CLEARED_FIELDS, trainee_change_training_route

pytestmark = pytest.mark.django_db

Route = Trainee.TrainingRoute


def _full_trainee(**kwargs):
    return TraineeFactory(
        course_uuid=uuid.uuid4(),
        course_education_phase=Trainee.CourseEducationPhase.SECONDARY,
        course_subject_two="physics",
        study_mode=Trainee.StudyMode.FULL_TIME,
        training_initiative=Trainee.TrainingInitiative.NOW_TEACH,
        applying_for_bursary=True,
        applying_for_scholarship=False,
        applying_for_grant=False,
        bursary_tier=Trainee.BursaryTier.TIER_ONE,
        placement_detail=Trainee.PlacementDetail.HAS_PLACEMENT_DETAIL,
        progress={"course_details": True, "funding": True, "placements": True, "degrees": True},
        **kwargs,
    )


def test_a_new_route_clears_course_funding_and_placement_fields(support_agent):
    trainee = _full_trainee(with_trn=True)

    trainee_change_training_route(
        trainee=trainee, route=Route.SCHOOL_DIRECT_SALARIED, reason="Ticket 5", actor=support_agent
    )

    trainee.refresh_from_db()
    assert trainee.training_route == Route.SCHOOL_DIRECT_SALARIED
    assert {name: getattr(trainee, name) for name in ROUTE_CLEARED_FIELDS} == dict.fromkeys(
        ROUTE_CLEARED_FIELDS
    )
    assert trainee.first_names and trainee.date_of_birth == date(1995, 4, 12)


def test_a_submitted_trainee_keeps_its_progress_flags(support_agent):
    trainee = _full_trainee(with_trn=True)

    trainee_change_training_route(
        trainee=trainee, route=Route.ASSESSMENT_ONLY, reason="Ticket 5", actor=support_agent
    )

    trainee.refresh_from_db()
    assert trainee.progress["course_details"] is True


def test_a_draft_has_course_funding_and_placement_progress_reset(support_agent):
    trainee = _full_trainee()

    trainee_change_training_route(
        trainee=trainee, route=Route.ASSESSMENT_ONLY, reason="Ticket 5", actor=support_agent
    )

    trainee.refresh_from_db()
    assert trainee.progress == {
        "course_details": False,
        "funding": False,
        "placements": False,
        "degrees": True,
    }


def test_an_early_years_route_gets_early_years_course_details(support_agent):
    trainee = _full_trainee(with_trn=True)

    trainee_change_training_route(
        trainee=trainee, route="early_years_postgrad", reason="Ticket 5", actor=support_agent
    )

    trainee.refresh_from_db()
    assert trainee.course_subject_one == "early years teaching"
    assert (trainee.course_min_age, trainee.course_max_age) == (0, 5)
    assert trainee.course_education_phase == Trainee.CourseEducationPhase.EARLY_YEARS


def test_the_change_is_in_the_history_with_reason_and_agent(support_agent):
    trainee = _full_trainee(with_trn=True)

    trainee_change_training_route(
        trainee=trainee, route=Route.IQTS, reason="Provider asked, ticket 8", actor=support_agent
    )

    latest = trainee.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        "Provider asked, ticket 8",
        support_agent,
    )


def test_the_route_change_is_announced_but_not_for_dqt(support_agent, trainee_changes):
    trainee = _full_trainee(with_trn=True)

    trainee_change_training_route(
        trainee=trainee, route=Route.IQTS, reason="Ticket", actor=support_agent
    )

    (sent,) = trainee_changes
    assert sent["event"] == "change_training_route"
    assert sent["send_to_dqt"] is False
    assert sent["actor"] == support_agent
    assert "training_route" in sent["changed_fields"]
    assert "course_subject_one" in sent["changed_fields"]
    assert "first_names" not in sent["changed_fields"]


def test_the_same_route_is_refused(support_agent):
    trainee = _full_trainee(with_trn=True)

    with pytest.raises(TraineeError, match="already on the Provider-led \\(postgrad\\) route"):
        trainee_change_training_route(
            trainee=trainee, route=Route.PROVIDER_LED_POSTGRAD, reason="x", actor=support_agent
        )

    trainee.refresh_from_db()
    assert trainee.course_subject_one == "mathematics"


@pytest.mark.parametrize("route", ["13", "flying", None, 99, "²", "٤"])
def test_an_unknown_route_is_refused(support_agent, route):
    trainee = _full_trainee(with_trn=True)

    with pytest.raises(TraineeError, match="is not a training route"):
        trainee_change_training_route(trainee=trainee, route=route, reason="x", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.course_subject_one == "mathematics"


# --- admin ---------------------------------------------------------------------------------


def test_the_button_leads_to_a_route_choice_then_a_page_listing_cleared_fields(agent_client):
    trainee = _full_trainee(with_trn=True)
    url = f"/admin/trainees/trainee/{trainee.pk}/change-training-route/"

    change_page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/change/")
    choose = agent_client.get(url)
    confirm = agent_client.get(url, {"route": Route.SCHOOL_DIRECT_SALARIED.value})

    assert url in change_page.content.decode()
    assert 'name="route"' in choose.content.decode()
    page = confirm.content.decode()
    assert "Training route: Provider-led (postgrad) → School direct (salaried)" in page
    assert "Course subject one: mathematics → —" in page
    assert "Bursary tier: Tier one → —" in page
    assert "Nothing is sent to DQT" in page
    assert "Ask the provider to re-enter:" in page
    trainee.refresh_from_db()
    assert trainee.training_route == Route.PROVIDER_LED_POSTGRAD


def test_confirming_the_route_change_applies_it(agent_client, support_agent):
    trainee = _full_trainee(with_trn=True)
    url = f"/admin/trainees/trainee/{trainee.pk}/change-training-route/?route=4"

    response = agent_client.post(url, {"confirm": "yes", "reason": "Ticket 3"}, follow=True)

    assert "changed to School direct (salaried)" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.training_route == Route.SCHOOL_DIRECT_SALARIED
    assert trainee.history.first().history_user == support_agent


def test_choosing_the_current_route_shows_why_nothing_changes(agent_client):
    trainee = _full_trainee(with_trn=True)
    url = f"/admin/trainees/trainee/{trainee.pk}/change-training-route/"

    response = agent_client.get(url, {"route": Route.PROVIDER_LED_POSTGRAD.value}, follow=True)

    assert "already on the Provider-led (postgrad) route" in response.content.decode()


def test_the_list_action_changes_the_route_of_every_selected_trainee(agent_client):
    first, second = _full_trainee(with_trn=True), _full_trainee(with_trn=True)
    data = {"action": "change_training_route_selected", "_selected_action": [first.pk, second.pk]}

    choose = agent_client.post("/admin/trainees/trainee/", data)
    confirm = agent_client.post("/admin/trainees/trainee/", {**data, "route": "3"})
    done = agent_client.post(
        "/admin/trainees/trainee/",
        {**data, "route": "3", "confirm": "yes", "reason": "Batch fix"},
        follow=True,
    )

    assert 'name="route"' in choose.content.decode()
    assert 'type="hidden" name="route" value="3"' in confirm.content.decode()
    assert "Training route changed for 2 trainee(s)." in done.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.training_route == second.training_route == Route.SCHOOL_DIRECT_TUITION_FEE


# --- what DQT will make of it ----------------------------------------------------------------


def _confirmation(agent_client, trainee, route):
    url = f"/admin/trainees/trainee/{trainee.pk}/change-training-route/"
    return agent_client.get(url, {"route": route.value}).content.decode()


def test_the_confirmation_says_dqt_refuses_early_years_to_another_route(agent_client):
    trainee = _full_trainee(with_trn=True, training_route=Route.EARLY_YEARS_POSTGRAD)
    page = _confirmation(agent_client, trainee, Route.SCHOOL_DIRECT_SALARIED)
    assert "DQT will refuse this route" in page
    assert "ProgrammeType cannot be changed" in page


def test_the_confirmation_says_the_next_update_waits_for_the_itt_dates(agent_client):
    trainee = _full_trainee(with_trn=True)
    page = _confirmation(agent_client, trainee, Route.SCHOOL_DIRECT_SALARIED)
    assert "DQT will refuse" not in page
    assert "next update waits until the cleared ITT start and end dates are re-entered" in page


def test_the_confirmation_says_no_update_can_go_for_a_route_without_a_programme_type(
    agent_client,
):
    trainee = _full_trainee(with_trn=True)
    page = _confirmation(agent_client, trainee, Route.TEACHER_DEGREE_APPRENTICESHIP)
    assert "no programme type for the Teacher degree apprenticeship route" in page


def test_a_draft_is_not_said_to_be_refused_by_dqt(agent_client):
    trainee = _full_trainee(training_route=Route.EARLY_YEARS_POSTGRAD)
    page = _confirmation(agent_client, trainee, Route.SCHOOL_DIRECT_SALARIED)
    assert "Nothing is sent to DQT now" in page
    assert "DQT will refuse" not in page
