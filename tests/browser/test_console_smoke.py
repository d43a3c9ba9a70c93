import pytest

from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_agent_finds_a_trainee_and_reads_its_timeline(page, login, live_server):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(first_names="Grace", last_name="Hopper", trn="7777777")
    trainee.last_name = "Hopper-Murray"
    trainee.save_with_reason("Married name, confirmed by provider")

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/")
    page.fill("#searchbar", "7777777")
    page.press("#searchbar", "Enter")
    page.click("text=Grace Hopper-Murray")

    timeline = page.locator("#timeline")
    assert "Married name, confirmed by provider" in timeline.inner_text()
    assert "Hopper → Hopper-Murray" in timeline.inner_text()
