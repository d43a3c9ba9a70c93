"""Playbook: unwithdrawing a withdrawn trainee – service, trainee page button, list action."""

import pytest

from tests.factories import StaffUserFactory, TraineeFactory, withdrawn_trainee
from trainees.errors import TraineeStateError
from trainees.models import Trainee
from trainees.selectors import trainee_state_before_withdrawal
from trainees.services import trainee_unwithdraw, trainee_unwithdraw_plan
from trainees.signals import trainee_changed

pytestmark = pytest.mark.django_db


def test_unwithdraw_restores_the_state_before_the_withdrawal_and_clears_withdrawal_data(
    support_agent,
):
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)

    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error, ticket 42", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.DEFERRED
    assert trainee.withdraw_date is None
    assert trainee.withdraw_reasons_details is None
    assert trainee.withdraw_reasons_dfe_details is None
    assert list(trainee.withdrawal_reasons.all()) == []


def test_unwithdraw_records_one_history_row_with_reason_and_agent(support_agent):
    trainee = withdrawn_trainee()
    rows_before = trainee.history.count()

    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    assert trainee.history.count() == rows_before + 1
    latest = trainee.history.first()
    assert latest.history_change_reason == "Withdrawn in error"
    assert latest.history_user == support_agent
    assert latest.state == Trainee.State.TRN_RECEIVED


def test_unwithdraw_leaves_earlier_history_rows_untouched(support_agent):
    trainee = withdrawn_trainee()
    earlier = list(trainee.history.order_by("history_id").values())

    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    assert list(trainee.history.order_by("history_id").values())[: len(earlier)] == earlier


def test_a_field_edit_after_the_withdrawal_does_not_change_the_restored_state(support_agent):
    # Register's "last audit" rule would have picked trn_received here.
    trainee = withdrawn_trainee(before_state=Trainee.State.SUBMITTED_FOR_TRN, trn="")
    trainee.last_name = "Corrected"
    trainee.save_with_reason("Typo in surname")

    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.SUBMITTED_FOR_TRN


def test_the_last_state_set_before_the_latest_withdrawal_wins(support_agent):
    trainee = withdrawn_trainee()
    trainee_unwithdraw(trainee=trainee, reason="First error", actor=support_agent)
    trainee.refresh_from_db()
    trainee.defer()
    trainee.save_with_reason("Deferred by provider")
    trainee.withdraw()
    trainee.save_with_reason("Withdrawn again")

    trainee_unwithdraw(trainee=trainee, reason="Second error", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.DEFERRED


def test_trn_received_is_used_only_when_the_history_has_no_earlier_state(support_agent):
    trainee = TraineeFactory(state=Trainee.State.WITHDRAWN)

    assert trainee_state_before_withdrawal(trainee=trainee).from_history is False
    trainee_unwithdraw(trainee=trainee, reason="Imported as withdrawn", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


@pytest.mark.parametrize(
    "state",
    [s for s in Trainee.State if s != Trainee.State.WITHDRAWN],
)
def test_a_trainee_who_is_not_withdrawn_is_refused_and_unchanged(support_agent, state):
    trainee = TraineeFactory(state=state)
    rows_before = trainee.history.count()

    with pytest.raises(TraineeStateError, match="Only a withdrawn trainee can be unwithdrawn"):
        trainee_unwithdraw(trainee=trainee, reason="Try", actor=support_agent)

    assert trainee.history.count() == rows_before


def test_a_blank_reason_is_refused(support_agent):
    trainee = withdrawn_trainee()

    with pytest.raises(Exception, match="Give a reason"):
        trainee_unwithdraw(trainee=trainee, reason="  ", actor=support_agent)

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def test_a_discarded_trainee_is_refused(support_agent):
    from django.utils import timezone

    trainee = withdrawn_trainee(discarded_at=timezone.now())

    with pytest.raises(Exception, match="deleted"):
        trainee_unwithdraw(trainee=trainee, reason="Try", actor=support_agent)


def test_unwithdraw_announces_the_change_for_dqt(support_agent, trainee_changes):
    trainee = withdrawn_trainee()

    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    assert len(trainee_changes) == 1
    sent = trainee_changes[0]
    assert sent["trainee"].pk == trainee.pk
    assert sent["event"] == "unwithdraw"
    assert sent["send_to_dqt"] is True
    assert sent["actor"] == support_agent
    assert sent["changed_fields"] == {
        "state",
        "withdraw_date",
        "withdraw_reasons_details",
        "withdraw_reasons_dfe_details",
        "withdrawal_reasons",
    }


def test_a_failing_listener_rolls_the_unwithdrawal_back(support_agent):
    trainee = withdrawn_trainee()

    def broken(sender, **kwargs):
        raise RuntimeError("listener failed")

    trainee_changed.connect(broken, dispatch_uid="broken")
    try:
        with pytest.raises(RuntimeError):
            trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)
    finally:
        trainee_changed.disconnect(dispatch_uid="broken")

    fresh = Trainee.objects.get(pk=trainee.pk)
    assert fresh.state == Trainee.State.WITHDRAWN
    assert fresh.withdrawal_reasons.count() == 1


# --- admin: the trainee page button -------------------------------------------------------


def _url(trainee, fix="unwithdraw"):
    return f"/admin/trainees/trainee/{trainee.pk}/{fix}/"


def test_the_trainee_page_shows_unwithdraw_only_for_a_withdrawn_trainee(agent_client):
    withdrawn = withdrawn_trainee()
    active = TraineeFactory(with_trn=True)

    assert (
        _url(withdrawn)
        in agent_client.get(f"/admin/trainees/trainee/{withdrawn.pk}/change/").content.decode()
    )
    assert (
        _url(active)
        not in agent_client.get(f"/admin/trainees/trainee/{active.pk}/change/").content.decode()
    )


def test_the_confirmation_page_shows_the_state_to_restore_and_what_is_cleared(agent_client):
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)

    page = agent_client.get(_url(trainee)).content.decode()

    assert "State: Withdrawn → Deferred" in page
    assert "Withdraw reasons details: Moved abroad → —" in page
    assert "Withdraw reasons dfe details: Provider emailed DfE → —" in page
    assert "Withdrawal reasons: Another reason → —" in page
    assert 'name="reason"' in page
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def test_confirming_with_a_reason_unwithdraws_and_says_so(agent_client, support_agent):
    trainee = withdrawn_trainee()

    response = agent_client.post(
        _url(trainee), {"confirm": "yes", "reason": "Ticket 99"}, follow=True
    )

    assert "Withdrawal undone" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED
    assert trainee.history.first().history_user == support_agent


def test_confirming_without_a_reason_changes_nothing(agent_client):
    trainee = withdrawn_trainee()

    response = agent_client.post(_url(trainee), {"confirm": "yes", "reason": " "})

    assert response.status_code == 200
    assert "Give a reason." in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def test_reaching_unwithdraw_for_a_trainee_who_is_not_withdrawn_shows_why(agent_client):
    trainee = TraineeFactory(with_trn=True)

    response = agent_client.get(_url(trainee), follow=True)

    assert "Only a withdrawn trainee can be unwithdrawn" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


def test_staff_without_the_playbook_permission_cannot_unwithdraw(client):
    viewer = StaffUserFactory(username="viewer", is_superuser=False)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(
        Permission.objects.get(codename="view_trainee"),
        Permission.objects.get(codename="change_trainee"),
    )
    client.force_login(viewer)
    trainee = withdrawn_trainee()

    page = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()
    response = client.post(_url(trainee), {"confirm": "yes", "reason": "Try"})

    assert _url(trainee) not in page
    assert response.status_code == 403
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def test_developers_can_unwithdraw_too(developer_client):
    trainee = withdrawn_trainee()

    developer_client.post(_url(trainee), {"confirm": "yes", "reason": "Ticket 7"})

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


# --- admin: list action ---------------------------------------------------------------


def _action(client, action, trainees, **extra):
    return client.post(
        "/admin/trainees/trainee/",
        {"action": action, "_selected_action": [t.pk for t in trainees], **extra},
        follow=True,
    )


def test_the_list_action_confirms_then_unwithdraws_every_selected_trainee(agent_client):
    first = withdrawn_trainee(before_state=Trainee.State.DEFERRED)
    second = withdrawn_trainee()

    page = _action(agent_client, "unwithdraw_selected", [first, second]).content.decode()
    assert "State: Withdrawn → Deferred" in page
    first.refresh_from_db()
    assert first.state == Trainee.State.WITHDRAWN

    response = _action(
        agent_client, "unwithdraw_selected", [first, second], confirm="yes", reason="Batch error"
    )

    assert "Withdrawal undone for 2 trainee(s)." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (Trainee.State.DEFERRED, Trainee.State.TRN_RECEIVED)


def test_the_list_action_refuses_a_selection_with_a_trainee_who_is_not_withdrawn(agent_client):
    withdrawn = withdrawn_trainee()
    active = TraineeFactory(with_trn=True)

    response = _action(
        agent_client, "unwithdraw_selected", [withdrawn, active], confirm="yes", reason="Batch"
    )

    assert "Nothing was changed." in response.content.decode()
    withdrawn.refresh_from_db()
    assert withdrawn.state == Trainee.State.WITHDRAWN


def test_staff_without_the_playbook_permission_do_not_get_the_fix_actions(client):
    from django.contrib.auth.models import Permission

    viewer = StaffUserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_trainee"))
    client.force_login(viewer)
    trainee = withdrawn_trainee()

    page = client.get("/admin/trainees/trainee/").content.decode()
    _action(client, "unwithdraw_selected", [trainee], confirm="yes", reason="Try")

    assert "unwithdraw_selected" not in page
    assert "Remove duplicates (CSV)" not in page
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


# --- what DQT is told ------------------------------------------------------------------------


def _dqt_jobs(trainee):
    from jobs.models import Job

    return list(Job.objects.filter(trainee=trainee, task_name__startswith="dqt."))


def test_unwithdrawing_to_deferred_warns_and_queues_no_update_dqt_would_refuse(
    dqt_on, agent_client
):
    trainee = withdrawn_trainee(before_state=Trainee.State.DEFERRED)
    url = f"/admin/trainees/trainee/{trainee.pk}/unwithdraw/"

    page = agent_client.get(url).content.decode()
    agent_client.post(url, {"confirm": "yes", "reason": "Withdrawn in error"})

    assert "Result cannot be unwithdrawn to deferred" in page
    assert f"ask the DQT team to set the result of the training of TRN {trainee.trn}" in page
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.DEFERRED
    assert _dqt_jobs(trainee) == []


def test_unwithdrawing_to_submitted_for_trn_with_a_trn_sends_nothing(dqt_on, support_agent):
    trainee = withdrawn_trainee(before_state=Trainee.State.SUBMITTED_FOR_TRN)

    plan = trainee_unwithdraw_plan(trainee=trainee)
    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    assert "Register sends no update while a trainee is submitted for TRN" in " ".join(plan.notes)
    assert Trainee.objects.get(pk=trainee.pk).state == Trainee.State.SUBMITTED_FOR_TRN
    assert _dqt_jobs(trainee) == []


def test_unwithdrawing_to_trn_received_tells_dqt(dqt_on, support_agent):
    trainee = withdrawn_trainee()

    plan = trainee_unwithdraw_plan(trainee=trainee)
    trainee_unwithdraw(trainee=trainee, reason="Withdrawn in error", actor=support_agent)

    assert "takes its training back from withdrawn to in training" in " ".join(plan.notes)
    assert [job.task_name for job in _dqt_jobs(trainee)] == ["dqt.update_trainee"]
