"""Playbook: incorrectly awarded trainee – undo the award on Register."""

import pytest

from tests.factories import TraineeFactory, awarded_trainee
from trainees.errors import TraineeStateError
from trainees.models import Trainee
from trainees.services import trainee_revert_award

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("recommended_only", [False, True])
def test_undoing_an_award_returns_the_trainee_to_trn_received(support_agent, recommended_only):
    trainee = awarded_trainee(recommended_only=recommended_only)

    trainee_revert_award(trainee=trainee, reason="Awarded in error", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED
    assert trainee.recommended_for_award_at is None
    assert trainee.awarded_at is None
    assert trainee.outcome_date is None
    latest = trainee.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        "Awarded in error",
        support_agent,
    )


def test_undoing_an_award_sends_nothing_to_dqt(support_agent, trainee_changes):
    trainee = awarded_trainee()

    trainee_revert_award(trainee=trainee, reason="Awarded in error", actor=support_agent)

    (sent,) = trainee_changes
    assert sent["event"] == "revert_award"
    assert sent["send_to_dqt"] is False
    assert sent["changed_fields"] == {
        "state",
        "recommended_for_award_at",
        "awarded_at",
        "outcome_date",
    }


@pytest.mark.parametrize(
    "state",
    [
        Trainee.State.DRAFT,
        Trainee.State.SUBMITTED_FOR_TRN,
        Trainee.State.TRN_RECEIVED,
        Trainee.State.WITHDRAWN,
        Trainee.State.DEFERRED,
    ],
)
def test_a_trainee_without_an_award_is_refused(support_agent, state):
    trainee = TraineeFactory(state=state)

    with pytest.raises(TraineeStateError, match="Only an awarded or recommended-for-award"):
        trainee_revert_award(trainee=trainee, reason="x", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == state


def test_the_confirmation_page_reminds_the_agent_to_correct_dqt(agent_client):
    trainee = awarded_trainee()

    page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/revert-award/")

    text = page.content.decode()
    assert "State: Awarded → TRN received" in text
    assert "DQT must be corrected too" in text
    assert "Awarded at:" in text
    assert "Outcome date:" in text


def test_the_undo_award_button_is_only_on_awarded_or_recommended_trainees(agent_client):
    awarded = awarded_trainee()
    active = TraineeFactory(with_trn=True)

    def has_button(trainee):
        page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/change/")
        return f"/admin/trainees/trainee/{trainee.pk}/revert-award/" in page.content.decode()

    assert has_button(awarded) is True
    assert has_button(active) is False


def test_confirming_undoes_the_award(agent_client):
    trainee = awarded_trainee()

    response = agent_client.post(
        f"/admin/trainees/trainee/{trainee.pk}/revert-award/",
        {"confirm": "yes", "reason": "Ticket 12"},
        follow=True,
    )

    assert "Award undone" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


def test_posting_undo_award_for_a_trainee_in_training_is_refused(agent_client):
    trainee = TraineeFactory(with_trn=True)

    response = agent_client.post(
        f"/admin/trainees/trainee/{trainee.pk}/revert-award/",
        {"confirm": "yes", "reason": "Ticket 12"},
        follow=True,
    )

    assert "Only an awarded or recommended-for-award" in response.content.decode()


def test_the_list_action_undoes_awards(agent_client):
    trainees = [awarded_trainee(), awarded_trainee(recommended_only=True)]

    response = agent_client.post(
        "/admin/trainees/trainee/",
        {
            "action": "revert_award_selected",
            "_selected_action": [t.pk for t in trainees],
            "confirm": "yes",
            "reason": "Batch recommended in error",
        },
        follow=True,
    )

    assert "Award undone for 2 trainee(s)." in response.content.decode()
    assert {t.state for t in Trainee.objects.filter(pk__in=[t.pk for t in trainees])} == {
        Trainee.State.TRN_RECEIVED
    }
