"""Deleting a trainee record with Register's reasons, and restoring one deleted in error."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from regsupport.errors import ReasonRequired
from tests.factories import StaffUserFactory, TraineeFactory, awarded_trainee, withdrawn_trainee
from trainees.errors import TraineeError, TraineeStateError
from trainees.models import Trainee
from trainees.services import (
    DELETE_REASONS,
    trainee_delete,
    trainee_restore,
    trainee_unwithdraw,
)

pytestmark = pytest.mark.django_db


def _url(trainee, fix):
    return f"/admin/trainees/trainee/{trainee.pk}/{fix}/"


def _deleted(**kwargs):
    trainee = TraineeFactory(**kwargs)
    trainee.discarded_at = timezone.now()
    trainee.save_with_reason("Duplicate record: deleted in a test")
    return trainee


def test_registers_reasons_are_offered_in_registers_order():
    assert DELETE_REASONS == (
        "Duplicate record",
        "Record added in error",
        "Trainee already has QTS",
        "Trainee did not start training",
    )


def test_deleting_discards_the_record_with_the_reason_and_ticket(support_agent, trainee_changes):
    trainee = TraineeFactory(with_trn=True)

    trainee_delete(
        trainee=trainee,
        delete_reason="Duplicate record",
        reason="Same person as trainee 12",
        ticket="https://becomingateacher.zendesk.com/agent/tickets/12345",
        actor=support_agent,
    )

    trainee.refresh_from_db()
    assert trainee.discarded_at is not None
    assert Trainee.objects.kept().filter(pk=trainee.pk).exists() is False
    latest = trainee.history.first()
    assert latest.history_user == support_agent
    assert latest.history_change_reason == (
        "Duplicate record: Same person as trainee 12\n"
        "Ticket: https://becomingateacher.zendesk.com/agent/tickets/12345"
    )
    (sent,) = trainee_changes
    assert (sent["event"], sent["send_to_dqt"], sent["changed_fields"]) == (
        "delete",
        False,
        {"discarded_at"},
    )


def test_another_reason_is_the_agents_own_words():
    trainee = TraineeFactory()

    trainee_delete(
        trainee=trainee, delete_reason="Another reason", reason="Test record", actor=None
    )

    assert trainee.history.first().history_change_reason == "Test record"


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_blank_reason_is_refused_even_with_a_delete_reason(reason):
    trainee = TraineeFactory()

    with pytest.raises(ReasonRequired):
        trainee_delete(trainee=trainee, delete_reason="Duplicate record", reason=reason, actor=None)

    trainee.refresh_from_db()
    assert trainee.discarded_at is None


def test_an_unknown_delete_reason_is_refused():
    trainee = TraineeFactory()

    with pytest.raises(TraineeError, match="Choose why the record is deleted"):
        trainee_delete(trainee=trainee, delete_reason="Bored", reason="x", actor=None)

    trainee.refresh_from_db()
    assert trainee.discarded_at is None


@pytest.mark.parametrize("recommended_only", [True, False])
def test_a_recommended_or_awarded_trainee_is_never_deleted(recommended_only):
    trainee = awarded_trainee(recommended_only=recommended_only)

    with pytest.raises(TraineeStateError, match="Register never deletes a trainee recommended"):
        trainee_delete(trainee=trainee, delete_reason="Duplicate record", reason="x", actor=None)

    trainee.refresh_from_db()
    assert trainee.discarded_at is None


def test_a_deleted_trainee_is_not_deleted_twice():
    trainee = _deleted()
    discarded_at = trainee.discarded_at

    with pytest.raises(TraineeError, match="was already deleted on"):
        trainee_delete(trainee=trainee, delete_reason="Duplicate record", reason="x", actor=None)

    trainee.refresh_from_db()
    assert trainee.discarded_at == discarded_at


def test_restoring_keeps_the_trainee_again_with_the_reason(support_agent, trainee_changes):
    trainee = _deleted(state=Trainee.State.DEFERRED)

    trainee_restore(trainee=trainee, reason="Deleted in error, ticket 77", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.discarded_at is None
    assert trainee.state == Trainee.State.DEFERRED
    latest = trainee.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        "Deleted in error, ticket 77",
        support_agent,
    )
    (sent,) = trainee_changes
    assert (sent["event"], sent["send_to_dqt"]) == ("restore", False)


def test_a_kept_trainee_cannot_be_restored():
    trainee = TraineeFactory()

    with pytest.raises(TraineeError, match="is not deleted: there is nothing to restore"):
        trainee_restore(trainee=trainee, reason="x", actor=None)


def test_a_restored_trainee_can_be_fixed_again(support_agent):
    trainee = withdrawn_trainee()
    trainee.discarded_at = timezone.now()
    trainee.save_with_reason("Duplicate record: x")
    with pytest.raises(TraineeError, match="restore the record first"):
        trainee_unwithdraw(trainee=trainee, reason="x", actor=support_agent)

    trainee_restore(trainee=trainee, reason="Deleted in error", actor=support_agent)
    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


# --- the console ----------------------------------------------------------------------------


def test_the_delete_button_is_offered_only_where_register_offers_it(agent_client):
    def has_button(trainee):
        page = agent_client.get(_url(trainee, "change")).content.decode()
        return _url(trainee, "delete-record") in page

    assert has_button(TraineeFactory(with_trn=True)) is True
    assert has_button(awarded_trainee()) is False
    assert has_button(_deleted()) is False


def test_the_delete_page_offers_registers_reasons_and_the_ticket(agent_client):
    trainee = TraineeFactory(with_trn=True)

    page = agent_client.get(_url(trainee, "delete-record")).content.decode()

    for reason in (*DELETE_REASONS, "Another reason"):
        assert f'value="{reason}"' in page
    assert "Zendesk ticket URL (optional)" in page
    assert "Discarded at: — →" in page
    assert f"DQT, which keeps TRN {trainee.trn}" in page


def test_confirming_deletes_and_the_page_says_so(agent_client, support_agent):
    trainee = TraineeFactory(first_names="Ada", last_name="Lovelace")

    response = agent_client.post(
        _url(trainee, "delete-record"),
        {
            "confirm": "yes",
            "delete_reason": "Record added in error",
            "ticket": "",
            "reason": "Provider added her twice",
        },
        follow=True,
    )

    text = response.content.decode()
    assert "Record deleted: Ada Lovelace." in text
    assert "This record was deleted on" in text
    assert "Record added in error: Provider added her twice" in text
    trainee.refresh_from_db()
    assert trainee.discarded_at is not None


def test_confirming_without_a_delete_reason_changes_nothing(agent_client):
    trainee = TraineeFactory()

    response = agent_client.post(
        _url(trainee, "delete-record"), {"confirm": "yes", "reason": "Provider added twice"}
    )

    assert "This field is required." in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.discarded_at is None


def test_a_deleted_trainees_page_has_a_banner_and_is_read_only(agent_client):
    trainee = _deleted(first_names="Ada")

    page = agent_client.get(_url(trainee, "change")).content.decode()

    assert 'id="deleted-banner"' in page
    assert "Reason: Duplicate record: deleted in a test" in page
    assert _url(trainee, "restore") in page
    assert 'name="first_names"' not in page
    assert 'name="_save"' not in page
    response = agent_client.post(
        _url(trainee, "change"), {"first_names": "Eve", "change_reason": "Edit"}
    )
    assert response.status_code == 403
    trainee.refresh_from_db()
    assert trainee.first_names == "Ada"


def test_a_kept_trainees_page_has_no_banner(agent_client):
    trainee = TraineeFactory()

    page = agent_client.get(_url(trainee, "change")).content.decode()

    assert 'id="deleted-banner"' not in page
    assert 'name="first_names"' in page
    assert _url(trainee, "restore") not in page


def test_restoring_from_the_console(agent_client):
    trainee = _deleted(email="ada@example.com")
    twin = TraineeFactory(email="ADA@example.com")

    page = agent_client.get(_url(trainee, "restore")).content.decode()
    assert "Discarded at:" in page
    assert f"Kept trainee(s) {twin.pk} have the same email" in page

    response = agent_client.post(
        _url(trainee, "restore"), {"confirm": "yes", "reason": "Deleted in error"}, follow=True
    )

    assert "Record restored:" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.discarded_at is None


def test_staff_without_the_playbook_permission_cannot_delete(client):
    viewer = StaffUserFactory(username="viewer")
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_trainee", "change_trainee"])
    )
    client.force_login(viewer)
    trainee = TraineeFactory()

    response = client.post(
        _url(trainee, "delete-record"),
        {"confirm": "yes", "delete_reason": "Duplicate record", "reason": "x"},
    )

    assert response.status_code == 403
    trainee.refresh_from_db()
    assert trainee.discarded_at is None
