import pytest

from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, withdrawn_trainee
from trainees.models import Trainee

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_agent_unwithdraws_a_trainee_through_the_admin(page, login, live_server):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = withdrawn_trainee(
        first_names="Ada", last_name="Lovelace", before_state=Trainee.State.DEFERRED
    )

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/")
    page.fill("#searchbar", trainee.slug)
    page.press("#searchbar", "Enter")
    page.click("text=Ada Lovelace")
    page.click("text=Unwithdraw")

    changes = page.locator(".confirmation-changes").inner_text()
    assert "State: Withdrawn → Deferred" in changes
    assert "Withdraw reasons details: Moved abroad → —" in changes
    page.fill("textarea[name=reason]", "Withdrawn in error, ticket 4321")
    page.click("input[type=submit][value=Unwithdraw]")

    assert (
        "Withdrawal undone: Ada Lovelace is Deferred again."
        in page.locator(".messagelist").inner_text()
    )
    assert page.locator(".field-state .readonly").inner_text() == "Deferred"
    assert "Withdrawn in error, ticket 4321" in page.locator("#timeline").inner_text()
    assert "Unwithdraw" not in page.locator(".object-tools").inner_text()
