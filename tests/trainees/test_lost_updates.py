"""No lost updates: a save made from a copy someone else has changed since is refused, and
the refusal names who changed what (optimistic locking, docs/decisions/0013)."""

import pytest
from django.test import Client

from providers.models import Provider
from providers.services import provider_copy_to_lead_partner
from regsupport.errors import StaleVersion
from tests.factories import ProviderFactory, StaffUserFactory, TraineeFactory, withdrawn_trainee
from tests.regsupport.test_audit import _change_form_data
from trainees.models import Trainee
from trainees.services import trainee_defer, trainee_update

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _trainee_url(trainee) -> str:
    return f"/admin/trainees/trainee/{trainee.pk}/change/"


def test_the_second_save_of_a_stale_trainee_form_is_refused_naming_who_changed_what(
    superuser,
):
    trainee = TraineeFactory(with_trn=True, first_names="Ada", course_subject_one="mathematics")
    alice, bob = _client_for(superuser), _client_for(StaffUserFactory(is_superuser=True))
    url = _trainee_url(trainee)
    alice_form, bob_form = _change_form_data(alice, url), _change_form_data(bob, url)

    alice_form.update(first_names="Adah", change_reason="Name typo, ticket 7")
    assert alice.post(url, alice_form).status_code == 302
    bob_form.update(course_subject_one="physics", change_reason="Subject from the provider")
    response = bob.post(url, bob_form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "was changed by someone else after you opened it" in page
    assert "root at" in page
    assert "First names: Ada → Adah" in page
    assert "reason: Name typo, ticket 7" in page
    trainee.refresh_from_db()
    assert (trainee.first_names, trainee.course_subject_one) == ("Adah", "mathematics")
    assert trainee.history.first().history_change_reason == "Name typo, ticket 7"


def test_a_fresh_form_saves_and_bumps_the_version(superuser):
    trainee = TraineeFactory(with_trn=True)
    client = _client_for(superuser)
    url = _trainee_url(trainee)
    version = trainee.version
    form = _change_form_data(client, url)
    form.update(middle_names="Grace", change_reason="Provider sent the middle name")

    assert client.post(url, form).status_code == 302

    trainee.refresh_from_db()
    assert trainee.middle_names == "Grace"
    assert trainee.version == version + 1


def test_an_edit_racing_a_fix_gets_the_fixs_change_not_a_500(superuser, support_agent):
    trainee = TraineeFactory(with_trn=True)
    client = _client_for(superuser)
    url = _trainee_url(trainee)
    form = _change_form_data(client, url)

    trainee_defer(
        trainee=Trainee.objects.get(pk=trainee.pk), reason="Ticket 12", actor=support_agent
    )
    form.update(email="new@example.com", change_reason="New email")
    response = client.post(url, form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "agent at" in page
    assert "State: TRN received → Deferred" in page
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.DEFERRED
    assert trainee.email != "new@example.com"


def test_the_update_service_refuses_a_stale_copy_and_changes_nothing(support_agent):
    trainee = TraineeFactory(with_trn=True, last_name="Lovelace")
    stale = Trainee.objects.get(pk=trainee.pk)
    trainee_defer(trainee=trainee, reason="Ticket 3", actor=support_agent)

    stale.last_name = "Byron"
    with pytest.raises(StaleVersion, match="State: TRN received → Deferred"):
        trainee_update(trainee=stale, reason="Surname", actor=None)

    trainee.refresh_from_db()
    assert trainee.last_name == "Lovelace"


def test_a_service_refuses_a_stale_expected_version(support_agent):
    trainee = TraineeFactory(with_trn=True)
    shown_at = trainee.version
    trainee.email = "changed@example.com"
    trainee.save_with_reason("Provider changed the email", actor=support_agent)

    with pytest.raises(StaleVersion, match="Email: .* → changed@example.com"):
        trainee_update(
            trainee=Trainee.objects.get(pk=trainee.pk),
            reason="Mine",
            actor=None,
            expected_version=shown_at,
        )


def test_saving_a_stale_copy_from_the_shell_is_refused_not_lost(support_agent):
    trainee = TraineeFactory(with_trn=True, first_names="Ada")
    mine, theirs = Trainee.objects.get(pk=trainee.pk), Trainee.objects.get(pk=trainee.pk)
    theirs.first_names = "Augusta"
    theirs.save_with_reason("Preferred name", actor=support_agent)

    mine.middle_names = "King"
    with pytest.raises(StaleVersion, match="First names: Ada → Augusta"):
        mine.save_with_reason("Middle name")

    trainee.refresh_from_db()
    assert (trainee.first_names, trainee.middle_names) == ("Augusta", "")


def test_a_fix_confirmed_from_a_stale_page_is_refused(agent_client, support_agent):
    trainee = withdrawn_trainee()
    url = f"/admin/trainees/trainee/{trainee.pk}/unwithdraw/"
    page = agent_client.get(url).content.decode()
    assert f'name="version" value="{trainee.version}"' in page

    changed = Trainee.objects.get(pk=trainee.pk)
    changed.withdraw_reasons_details = "Moved to Spain"
    changed.save_with_reason("Provider corrected the details", actor=support_agent)
    response = agent_client.post(
        url, {"confirm": "yes", "reason": "Ticket 99", "version": str(trainee.version)}, follow=True
    )

    assert "reason: Provider corrected the details" in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def test_a_provider_fix_refuses_a_stale_expected_version(support_agent):
    provider = ProviderFactory()
    shown_at = provider.version
    Provider.objects.get(pk=provider.pk).save_with_reason("Touched", actor=support_agent)

    with pytest.raises(StaleVersion, match="reason: Touched"):
        provider_copy_to_lead_partner(
            provider=provider,
            record_type="hei",
            reason="Ticket 5",
            actor=None,
            expected_version=shown_at,
        )
    assert Provider.objects.get(pk=provider.pk).accredited


def test_a_stale_provider_form_is_refused(superuser):
    provider = ProviderFactory(name="Old name")
    alice, bob = _client_for(superuser), _client_for(StaffUserFactory(is_superuser=True))
    url = f"/admin/providers/provider/{provider.pk}/change/"
    alice_form, bob_form = _change_form_data(alice, url), _change_form_data(bob, url)
    alice_form.update(name="New name", change_reason="Renamed")
    assert alice.post(url, alice_form).status_code == 302

    bob_form.update(code="X1", change_reason="Code")
    page = bob.post(url, bob_form).content.decode()

    assert "Name: Old name → New name" in page
    provider.refresh_from_db()
    assert (provider.name, provider.code) == ("New name", provider.code)


def test_the_timeline_does_not_show_the_version(superuser):
    trainee = TraineeFactory(with_trn=True)
    trainee.email = "x@example.com"
    trainee.save_with_reason("Email")
    page = _client_for(superuser).get(_trainee_url(trainee)).content.decode()
    assert "x@example.com" in page
    assert "Version:" not in page
