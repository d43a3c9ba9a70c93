"""The provider and lead-partner lists: every row, linked and escaped, in a few queries."""

import pytest

from tests.factories import LeadPartnerFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers():
    made = ProviderFactory.create_batch(30)
    made.append(ProviderFactory(name="St <Mary's> SCITT", accredited=False))
    return made


def test_provider_list_shows_every_provider_linked_and_escaped(agent_client, providers):
    response = agent_client.get("/admin/providers/provider/")
    assert response.status_code == 200
    text = response.text
    mary = providers[-1]
    assert (
        f'<a href="/admin/providers/provider/{mary.pk}/change/">St &lt;Mary&#x27;s&gt; SCITT</a>'
        in text
    )
    assert '<td class="field-accredited">No</td>' in text
    assert text.count('class="field-ukprn"') == len(providers)


def test_provider_search_and_filter(agent_client, providers):
    response = agent_client.get("/admin/providers/provider/", {"q": "mary"})
    assert [p.pk for p in response.context["cl"].result_list] == [providers[-1].pk]
    response = agent_client.get("/admin/providers/provider/", {"accredited__exact": "0"})
    assert [p.pk for p in response.context["cl"].result_list] == [providers[-1].pk]


def test_lead_partner_list_names_its_provider(agent_client, providers):
    partner = LeadPartnerFactory(name="Oak Academy", provider=providers[0])
    response = agent_client.get("/admin/providers/leadpartner/")
    assert response.status_code == 200
    assert f'<a href="/admin/providers/leadpartner/{partner.pk}/change/">Oak Academy</a>' in (
        response.text
    )
    assert f'<td class="field-provider">{providers[0].name}</td>' in response.text
    assert '<td class="field-record_type">School</td>' in response.text


@pytest.mark.parametrize("path", ["providers/provider/", "providers/leadpartner/"])
def test_lists_take_at_most_12_queries(
    agent_client, providers, path, django_assert_max_num_queries
):
    LeadPartnerFactory.create_batch(30)
    agent_client.get(f"/admin/{path}")  # a running console has its content types cached
    with django_assert_max_num_queries(12):
        assert agent_client.get(f"/admin/{path}").status_code == 200
