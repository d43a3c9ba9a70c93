"""The trainee page and its history read a trainee's history in a fixed number of queries,
however long it is."""

import pytest

from tests.factories import TraineeFactory
from trainees.models import WithdrawalReason

pytestmark = pytest.mark.django_db

HISTORY_ROWS = 40


def _warm(client, url):
    """A running console has read its content types and settings flags already (each
    cached per process); the count is of the page's own queries."""
    assert client.get(url).status_code == 200
    return url


@pytest.fixture
def long_history():
    """A trainee with HISTORY_ROWS history rows, its withdrawal reasons changing in most."""
    trainee = TraineeFactory(first_names="Ada", last_name="Lovelace")
    reasons = list(WithdrawalReason.objects.order_by("pk")[:4])
    for step in range(HISTORY_ROWS - 1):
        trainee.middle_names = f"Step {step}"
        trainee.save_with_reason(f"Step {step}")
        trainee.withdrawal_reasons.set(reasons[: 1 + step % len(reasons)])
    return trainee


def test_trainee_page_takes_at_most_12_queries(
    developer_client, long_history, django_assert_max_num_queries
):
    url = _warm(developer_client, f"/admin/trainees/trainee/{long_history.pk}/change/")
    with django_assert_max_num_queries(12):
        response = developer_client.get(url)
    assert response.status_code == 200
    # The timeline still names the reasons each change set.
    reasons = WithdrawalReason.objects.order_by("pk")
    first, second = str(reasons[0]), str(reasons[1])
    assert f"{first}, {second}" in response.text


def test_history_page_takes_at_most_12_queries(
    developer_client, long_history, django_assert_max_num_queries
):
    url = _warm(developer_client, f"/admin/trainees/trainee/{long_history.pk}/history/")
    with django_assert_max_num_queries(12):
        response = developer_client.get(url)
    assert response.status_code == 200
    assert "Step 7" in response.text
    assert str(WithdrawalReason.objects.order_by("pk")[1]) in response.text
