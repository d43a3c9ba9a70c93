import pytest

from tests.factories import ProviderFactory, TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainees():
    provider = ProviderFactory(name="Northfield University")
    return {
        "ada": TraineeFactory(
            first_names="Ada",
            last_name="Lovelace",
            trn="1111111",
            email="ada@example.com",
            provider=provider,
            state=Trainee.State.TRN_RECEIVED,
        ),
        "alan": TraineeFactory(
            first_names="Alan",
            last_name="Turing",
            email="alan@example.com",
            state=Trainee.State.WITHDRAWN,
        ),
    }


def _names(client, query):
    response = client.get("/admin/trainees/trainee/", query)
    assert response.status_code == 200
    return {t.first_names for t in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "1111111"}, {"Ada"}),
        ({"q": "ALAN@example.com"}, {"Alan"}),
        ({"q": "turi"}, {"Alan"}),
        ({"q": "Ada Love"}, {"Ada"}),
        ({"state__exact": str(Trainee.State.WITHDRAWN.value)}, {"Alan"}),
        ({"discarded": "no"}, {"Ada", "Alan"}),
    ],
)
def test_support_agents_find_trainees(agent_client, trainees, query, expected):
    assert _names(agent_client, query) == expected


def test_search_by_slug_and_id(agent_client, trainees):
    ada = trainees["ada"]
    assert _names(agent_client, {"q": ada.slug}) == {"Ada"}
    assert _names(agent_client, {"q": str(ada.pk)}) == {"Ada"}


def test_filter_by_provider(agent_client, trainees):
    ada = trainees["ada"]
    assert _names(agent_client, {"provider__id__exact": ada.provider_id}) == {"Ada"}
