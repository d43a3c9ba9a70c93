"""The providers list and the convert-into-lead-partner page as an agent uses them."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from providers.models import LeadPartner
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/providers/provider/"


def test_the_providers_list_shows_the_ids_the_command_takes(agent_client):
    provider = ProviderFactory(name="Northern SCITT")
    html = agent_client.get(LIST).content.decode()
    row = html[html.index("Northern SCITT") :]
    row = row[: row.index("</tr>")]
    assert f'<td class="field-id">{provider.pk}</td>' in row


def test_the_record_type_has_no_preselected_choice_and_must_be_chosen(agent_client):
    provider = ProviderFactory(accredited=True)
    data = {"action": "convert_to_lead_partner_selected", ACTION_CHECKBOX_NAME: [str(provider.pk)]}
    html = agent_client.post(LIST, data).content.decode()
    select = html[html.index('name="record_type"') :]
    select = select[: select.index("</select>")]
    assert '<option value="" selected>Choose a record type</option>' in select
    assert select.count("selected") == 1

    response = agent_client.post(LIST, {**data, "confirm": "yes", "reason": "Lost accreditation"})
    assert "Choose the lead partner record type. Nothing was changed." in response.content.decode()
    assert not LeadPartner.objects.filter(provider=provider).exists()
