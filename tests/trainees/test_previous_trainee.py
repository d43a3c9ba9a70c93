"""Playbook: adding a previous trainee for a former accredited provider."""

from datetime import date

import pytest

from tests.factories import LeadPartnerFactory, ProviderFactory
from trainees.errors import TraineeError
from trainees.models import Trainee
from trainees.services import trainee_create_for_former_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def former():
    provider = ProviderFactory(name="Fenwick SCITT", accredited=False)
    return LeadPartnerFactory(
        name="Fenwick SCITT", record_type="scitt", urn=None, ukprn=provider.ukprn, provider=provider
    )


def test_a_draft_trainee_is_created_for_the_former_provider(former, support_agent, trainee_changes):
    trainee = trainee_create_for_former_provider(
        lead_partner=former,
        reason="Trainee from 2019 missing, ticket 4",
        actor=support_agent,
        first_names="Ann",
        last_name="Lee",
        date_of_birth=date(1990, 1, 2),
    )

    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.DRAFT
    assert trainee.provider == former.provider
    record = trainee.history.get()
    assert (record.history_change_reason, record.history_user) == (
        "Trainee from 2019 missing, ticket 4",
        support_agent,
    )
    (sent,) = trainee_changes
    assert (sent["event"], sent["send_to_dqt"]) == ("create_previous_trainee", False)


def test_a_lead_partner_without_a_provider_is_refused(support_agent):
    school = LeadPartnerFactory(name="Oak School")

    with pytest.raises(TraineeError, match="has no provider"):
        trainee_create_for_former_provider(
            lead_partner=school, reason="x", actor=support_agent, first_names="A", last_name="B"
        )

    assert Trainee.objects.count() == 0


def test_a_provider_that_is_still_accredited_is_refused(former, support_agent):
    former.provider.accredited = True
    former.provider.save_with_reason("test")

    with pytest.raises(TraineeError, match="still accredited"):
        trainee_create_for_former_provider(
            lead_partner=former, reason="x", actor=support_agent, first_names="A", last_name="B"
        )

    assert Trainee.objects.count() == 0


def test_a_lead_partner_named_differently_from_its_provider_is_refused(former, support_agent):
    former.name = "Fenwick Teaching Alliance"
    former.save_with_reason("test")

    with pytest.raises(TraineeError, match="only for a provider that became this same"):
        trainee_create_for_former_provider(
            lead_partner=former, reason="x", actor=support_agent, first_names="A", last_name="B"
        )


def test_names_are_required(former, support_agent):
    with pytest.raises(TraineeError, match="first and last names"):
        trainee_create_for_former_provider(
            lead_partner=former, reason="x", actor=support_agent, first_names=" ", last_name="B"
        )


def test_the_lead_partner_page_button_creates_the_draft_and_opens_it(agent_client, former):
    url = f"/admin/providers/leadpartner/{former.pk}/add-previous-trainee/"

    page = agent_client.get(f"/admin/providers/leadpartner/{former.pk}/change/").content.decode()
    confirm = agent_client.get(url).content.decode()
    response = agent_client.post(
        url,
        {
            "confirm": "yes",
            "first_names": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1990-01-02",
            "email": "",
            "reason": "Ticket 4",
        },
        follow=True,
    )

    assert url in page
    assert "A new draft trainee is created with provider Fenwick SCITT" in confirm
    trainee = Trainee.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/trainees/trainee/{trainee.pk}/change/"
    assert "Draft trainee Ann Lee created for Fenwick SCITT" in response.content.decode()


def test_the_button_is_hidden_and_refused_for_a_school_lead_partner(agent_client):
    school = LeadPartnerFactory(name="Oak School")
    url = f"/admin/providers/leadpartner/{school.pk}/add-previous-trainee/"

    page = agent_client.get(f"/admin/providers/leadpartner/{school.pk}/change/").content.decode()
    response = agent_client.post(
        url,
        {"confirm": "yes", "first_names": "A", "last_name": "B", "reason": "x"},
        follow=True,
    )

    assert url not in page
    assert "has no provider" in response.content.decode()
    assert Trainee.objects.count() == 0
