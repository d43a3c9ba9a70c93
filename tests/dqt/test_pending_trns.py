"""Register's system-admin Pending TRNs page: who waits, for how long, what was asked, and
its Check for TRN and Re-submit for TRN (fixes here, with a reason)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dqt import jobs as dqt_jobs
from dqt.errors import DqtFixError
from dqt.models import TrnRequest
from dqt.selectors import formatted_trn_response
from dqt.services import dqt_check_for_trn, dqt_resubmit_for_trn
from jobs import runner
from jobs.models import Job
from tests.factories import TraineeFactory, TrnRequestFactory
from trainees import services
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

PAGE = "/admin/console/pending-trns/"


def _submitted(dqt, **kwargs):
    """A trainee submitted for TRN whose request DQT holds, with no TRN yet."""
    dqt.configure(trn_delay_seconds=None)
    trainee = TraineeFactory(**kwargs)
    services.trainee_submit_for_trn(trainee=trainee, reason="Provider submitted", actor=None)
    register = Job.objects.get(trainee=trainee, task_name=dqt_jobs.REGISTER_FOR_TRN)
    assert runner.run(register.pk) == "succeeded"
    trainee.refresh_from_db()
    return trainee


def _waiting_since(trainee, days):
    TrnRequest.objects.filter(trainee=trainee).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_the_page_lists_trainees_waiting_longest_first_with_the_request(agent_client, dqt_on):
    never = TraineeFactory(submitted=True, submitted_for_trn_at=timezone.now() - timedelta(days=90))
    recent = _submitted(dqt_on, first_names="Recent")
    oldest = _submitted(dqt_on, first_names="Oldest")
    _waiting_since(oldest, 6)
    TraineeFactory(with_trn=True, first_names="Received")
    deleted = TraineeFactory(submitted=True, first_names="Deleted")
    deleted.discarded_at = timezone.now()
    deleted.save()

    page = agent_client.get(PAGE).content.decode()

    rows = [page.index(f'data-trainee="{t.pk}"') for t in (oldest, recent, never)]
    assert rows == sorted(rows)  # as Register: no request counts as 0 days, last
    assert "No TRN request: DQT was never asked" in page
    assert "Received" not in page and "Deleted" not in page
    assert "6 days waiting" in page and "0 days waiting" in page
    request = TrnRequest.objects.get(trainee=oldest)
    assert f"Request id {request.request_id}" in page
    assert "&quot;status&quot;: &quot;Pending&quot;" in page
    assert f"/admin/trainees/trainee/{oldest.pk}/check-for-trn/" in page
    assert f"/admin/trainees/trainee/{oldest.pk}/resubmit-for-trn/" in page
    poll = Job.objects.get(trainee=oldest, task_name=dqt_jobs.RETRIEVE_TRN)
    assert f"/admin/jobs/job/{poll.pk}/change/" in page


def test_sorting_by_register_lists_in_id_order(agent_client, dqt_on):
    first = _submitted(dqt_on, first_names="First")
    second = _submitted(dqt_on, first_names="Second")
    _waiting_since(second, 9)

    page = agent_client.get(PAGE + "?sort_by=register").content.decode()

    assert page.index(f'data-trainee="{first.pk}"') < page.index(f'data-trainee="{second.pk}"')


def test_a_failed_request_shows_registers_error_taken_apart():
    response = {
        "error": 'status: 400, body: {"title":"Bad","status":400,"errorCode":10001}, '
        'headers: {"content-type" => ["application/problem+json"]}'
    }

    shown = formatted_trn_response(response)

    assert '"status": 400' in shown
    assert '"errorCode": 10001' in shown
    assert '"content-type": [\n        "application/problem+json"' in shown


def test_check_for_trn_records_the_trn_dqt_has_assigned(support_agent, dqt_on):
    trainee = _submitted(dqt_on)
    request = TrnRequest.objects.get(trainee=trainee)
    dqt_on.complete_trn_request(str(request.request_id))

    trn = dqt_check_for_trn(
        trainee=trainee, reason="Provider chased, ticket 4", actor=support_agent
    )

    trainee.refresh_from_db()
    request.refresh_from_db()
    assert trainee.trn == trn and len(trn) == 7
    assert trainee.state == Trainee.State.TRN_RECEIVED
    assert request.state == TrnRequest.State.RECEIVED
    latest = trainee.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        "Provider chased, ticket 4",
        support_agent,
    )
    # The poll still waiting finds the TRN there and finishes.
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)
    assert runner.run(poll.pk) == "succeeded"


def test_check_for_trn_changes_nothing_while_dqt_has_none(support_agent, dqt_on):
    trainee = _submitted(dqt_on)

    assert dqt_check_for_trn(trainee=trainee, reason="Chased", actor=support_agent) is None

    trainee.refresh_from_db()
    assert (trainee.trn, trainee.state) == ("", Trainee.State.SUBMITTED_FOR_TRN)


def test_check_for_trn_without_a_request_says_so_in_registers_words(support_agent, dqt_on):
    trainee = TraineeFactory(submitted=True, first_names="Ada", last_name="Lovelace")

    with pytest.raises(DqtFixError, match=r"Ada Lovelace has no TRN request \(it may have been"):
        dqt_check_for_trn(trainee=trainee, reason="Chased", actor=support_agent)


def test_check_for_trn_reports_dqts_error(support_agent, dqt_on):
    trainee = _submitted(dqt_on)
    dqt_on.fail_next("/v2/trn-requests/", status=500)

    with pytest.raises(DqtFixError, match="API error: status: 500"):
        dqt_check_for_trn(trainee=trainee, reason="Chased", actor=support_agent)


def test_check_for_trn_from_the_page_uses_registers_messages(agent_client, dqt_on):
    trainee = _submitted(dqt_on, first_names="Ada", last_name="Lovelace")
    url = f"/admin/trainees/trainee/{trainee.pk}/check-for-trn/"

    plan = agent_client.get(url).content.decode()
    still = agent_client.post(url, {"confirm": "yes", "reason": "Chased"}, follow=True)
    dqt_on.complete_trn_request(str(TrnRequest.objects.get(trainee=trainee).request_id))
    found = agent_client.post(url, {"confirm": "yes", "reason": "Chased"}, follow=True)

    assert "DQT is asked now for TRN request" in plan
    assert "TRN still not available for Ada Lovelace" in still.content.decode()
    assert still.redirect_chain[-1][0] == "/admin/console/pending-trns/"
    assert "TRN successfully retrieved for Ada Lovelace" in found.content.decode()


def test_resubmitting_discards_the_old_jobs_and_requests_a_new_trn(support_agent, dqt_on):
    trainee = _submitted(dqt_on)
    old = TrnRequest.objects.get(trainee=trainee)
    poll = Job.objects.get(trainee=trainee, task_name=dqt_jobs.RETRIEVE_TRN)

    job = dqt_resubmit_for_trn(trainee=trainee, reason="DQT lost it, ticket 9", actor=support_agent)

    poll.refresh_from_db()
    assert poll.state == Job.State.DISCARDED
    assert poll.discard_reason == "Superseded by a re-submission for TRN: DQT lost it, ticket 9"
    assert not TrnRequest.objects.filter(pk=old.pk).exists()
    deleted = TrnRequest.history.filter(id=old.pk, history_type="-").get()
    assert (deleted.history_change_reason, deleted.history_user) == (
        "DQT lost it, ticket 9",
        support_agent,
    )
    assert job.task_name == dqt_jobs.REGISTER_FOR_TRN
    assert job.history.first().history_change_reason == "DQT lost it, ticket 9"

    assert runner.run(job.pk) == "succeeded"
    new = TrnRequest.objects.get(trainee=trainee)
    assert new.request_id != old.request_id
    assert any(str(new.request_id) in c["path"] for c in dqt_on.calls if c["method"] == "PUT")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"with_trn": True}, "already has TRN"),
        ({"state": Trainee.State.DRAFT}, "is draft, not submitted for TRN"),
    ],
)
def test_resubmitting_is_refused_for_a_trainee_not_waiting_for_a_trn(
    support_agent, dqt_on, kwargs, message
):
    trainee = TraineeFactory(**kwargs)

    with pytest.raises(DqtFixError, match=message):
        dqt_resubmit_for_trn(trainee=trainee, reason="x", actor=support_agent)

    assert not Job.objects.filter(trainee=trainee).exists()


def test_the_pending_trn_fixes_are_refused_with_the_integration_off(support_agent):
    request = TrnRequestFactory()

    with pytest.raises(DqtFixError, match="DQT integration is off"):
        dqt_resubmit_for_trn(trainee=request.trainee, reason="x", actor=support_agent)

    assert TrnRequest.objects.filter(pk=request.pk).exists()


def test_the_trainee_page_offers_the_pending_trn_buttons_only_while_waiting(agent_client, dqt_on):
    waiting = TraineeFactory(submitted=True)
    received = TraineeFactory(with_trn=True)

    def buttons(trainee):
        page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()
        return [name for name in ("check-for-trn", "resubmit-for-trn") if f"/{name}/" in page]

    assert buttons(waiting) == ["check-for-trn", "resubmit-for-trn"]
    assert buttons(received) == []


def test_the_page_needs_a_console_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
