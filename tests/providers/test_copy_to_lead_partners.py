"""Playbook: converting providers into lead partners – service, command, admin action."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from providers.errors import ProviderError
from providers.models import LeadPartner, LeadPartnerUser, Provider
from providers.services import providers_copy_to_lead_partners
from tests.factories import (
    LeadPartnerFactory,
    LeadPartnerUserFactory,
    ProviderFactory,
    ProviderUserFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    provider = ProviderFactory(name="Northfield University")
    ProviderUserFactory(provider=provider)
    ProviderUserFactory(provider=provider)
    return provider


def _history_rows():
    return Provider.history.count() + LeadPartner.history.count() + LeadPartnerUser.history.count()


def test_a_provider_becomes_a_lead_partner_with_its_users(provider, support_agent):
    (conversion,) = providers_copy_to_lead_partners(
        provider_ids=[provider.pk],
        record_type="hei",
        reason="Lost accreditation",
        actor=support_agent,
    )

    provider.refresh_from_db()
    lead_partner = LeadPartner.objects.get(provider=provider)
    assert (lead_partner.name, lead_partner.record_type, lead_partner.ukprn) == (
        "Northfield University",
        "hei",
        provider.ukprn,
    )
    assert provider.accredited is False
    assert set(lead_partner.users.all()) == set(provider.users.all())
    assert conversion.lead_partner_created is True
    record = provider.history.first()
    assert (record.history_change_reason, record.history_user) == (
        "Lost accreditation",
        support_agent,
    )


def test_the_provider_keeps_its_users(provider, support_agent):
    providers_copy_to_lead_partners(
        provider_ids=[provider.pk], record_type="scitt", reason="x", actor=support_agent
    )

    assert provider.users.count() == 2


def test_a_second_run_changes_nothing(provider, support_agent):
    providers_copy_to_lead_partners(
        provider_ids=[provider.pk], record_type="hei", reason="x", actor=support_agent
    )
    rows = _history_rows()

    (conversion,) = providers_copy_to_lead_partners(
        provider_ids=[provider.pk], record_type="scitt", reason="again", actor=support_agent
    )

    assert conversion.changed is False
    assert _history_rows() == rows
    assert LeadPartner.objects.get(provider=provider).record_type == "hei"


def test_lead_partner_users_no_longer_at_the_provider_are_removed(provider, support_agent):
    providers_copy_to_lead_partners(
        provider_ids=[provider.pk], record_type="hei", reason="x", actor=support_agent
    )
    lead_partner = LeadPartner.objects.get(provider=provider)
    stale = LeadPartnerUserFactory(lead_partner=lead_partner).user

    (conversion,) = providers_copy_to_lead_partners(
        provider_ids=[provider.pk], record_type="hei", reason="sync", actor=support_agent
    )

    assert conversion.users_removed == [stale]
    assert stale not in lead_partner.users.all()


@pytest.mark.parametrize("record_type", ["school", "", "university"])
def test_an_invalid_record_type_is_refused_before_anything_changes(
    provider, support_agent, record_type
):
    with pytest.raises(ProviderError, match="not a valid record type"):
        providers_copy_to_lead_partners(
            provider_ids=[provider.pk], record_type=record_type, reason="x", actor=support_agent
        )

    provider.refresh_from_db()
    assert provider.accredited is True
    assert not LeadPartner.objects.exists()


def test_unknown_provider_ids_are_reported_and_nothing_changes(provider, support_agent):
    with pytest.raises(ProviderError, match="No provider with id 999998, 999999"):
        providers_copy_to_lead_partners(
            provider_ids=[provider.pk, 999998, 999999],
            record_type="hei",
            reason="x",
            actor=support_agent,
        )

    provider.refresh_from_db()
    assert provider.accredited is True


@pytest.mark.parametrize("bad_id", ["²", "٣", "abc"])
def test_ids_that_are_not_ascii_digits_are_refused(provider, support_agent, bad_id):
    with pytest.raises(ProviderError, match=f"Not provider ids: {bad_id}"):
        providers_copy_to_lead_partners(
            provider_ids=[provider.pk, bad_id], record_type="hei", reason="x", actor=support_agent
        )

    provider.refresh_from_db()
    assert provider.accredited is True


def test_a_ukprn_already_used_by_another_lead_partner_is_refused(provider, support_agent):
    LeadPartnerFactory(record_type="hei", ukprn=provider.ukprn, urn=None)

    with pytest.raises(ProviderError, match="Another lead partner has this UKPRN"):
        providers_copy_to_lead_partners(
            provider_ids=[provider.pk], record_type="hei", reason="x", actor=support_agent
        )

    provider.refresh_from_db()
    assert provider.accredited is True


def test_one_refused_provider_leaves_the_others_unchanged(provider, support_agent):
    clash = ProviderFactory()
    LeadPartnerFactory(record_type="hei", ukprn=clash.ukprn, urn=None)

    with pytest.raises(ProviderError):
        providers_copy_to_lead_partners(
            provider_ids=[provider.pk, clash.pk], record_type="hei", reason="x", actor=support_agent
        )

    provider.refresh_from_db()
    assert provider.accredited is True
    assert not LeadPartner.objects.filter(provider=provider).exists()


# --- command --------------------------------------------------------------------------------


def test_the_command_converts_and_reports(provider):
    other = ProviderFactory(name="Eastgate SCITT")
    StaffUserFactory(username="sam")
    out = StringIO()

    call_command(
        "copy_providers_to_lead_partners",
        "--provider-ids",
        str(provider.pk),
        str(other.pk),
        "--record-type",
        "hei",
        "--reason",
        "Ticket 5",
        "--actor",
        "sam",
        stdout=out,
    )

    assert (
        f"Providers with ids {provider.pk}, {other.pk} and their users copied to lead partners "
        "successfully." in out.getvalue()
    )
    assert LeadPartner.objects.filter(provider__in=[provider, other]).count() == 2
    assert provider.history.first().history_user.username == "sam"


def test_the_command_run_twice_says_nothing_changed(provider):
    args = ["--provider-ids", str(provider.pk), "--record-type", "hei", "--reason", "x"]
    call_command("copy_providers_to_lead_partners", *args, stdout=StringIO())
    out = StringIO()

    call_command("copy_providers_to_lead_partners", *args, stdout=out)

    assert "already a lead partner; nothing changed." in out.getvalue()


@pytest.mark.parametrize(
    ("ids", "record_type", "message"),
    [
        ("999999", "hei", "No provider with id 999999"),
        (None, "school", "not a valid record type"),
        ("²", "hei", "'²' is not an id"),
        ("٣", "hei", "'٣' is not an id"),
    ],
)
def test_the_command_refuses_bad_input(provider, ids, record_type, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "copy_providers_to_lead_partners",
            "--provider-ids",
            ids or str(provider.pk),
            "--record-type",
            record_type,
            "--reason",
            "x",
            stdout=StringIO(),
        )

    assert not LeadPartner.objects.exists()


# --- admin action ---------------------------------------------------------------------------


def _action(client, providers, **extra):
    return client.post(
        "/admin/providers/provider/",
        {
            "action": "convert_to_lead_partner_selected",
            "_selected_action": [p.pk for p in providers],
            **extra,
        },
        follow=True,
    )


def test_the_action_asks_for_the_record_type_and_shows_what_happens(agent_client, provider):
    page = _action(agent_client, [provider]).content.decode()

    assert 'name="record_type"' in page
    assert f"new lead partner &#x27;Northfield University&#x27; (UKPRN {provider.ukprn})" in page
    assert "marked not accredited" in page
    assert not LeadPartner.objects.exists()


def test_confirming_the_action_converts_the_providers(agent_client, provider, support_agent):
    response = _action(agent_client, [provider], confirm="yes", record_type="scitt", reason="T1")

    assert "lead partner &#x27;Northfield University&#x27; created" in response.content.decode()
    lead_partner = LeadPartner.objects.get(provider=provider)
    assert lead_partner.record_type == "scitt"
    assert lead_partner.history.first().history_user == support_agent


def test_staff_without_the_playbook_permission_do_not_get_the_action(client, provider):
    from django.contrib.auth.models import Permission

    viewer = StaffUserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_provider"))
    client.force_login(viewer)

    page = client.get("/admin/providers/provider/").content.decode()
    _action(client, [provider], confirm="yes", record_type="hei", reason="x")

    assert "convert_to_lead_partner_selected" not in page
    provider.refresh_from_db()
    assert provider.accredited is True
