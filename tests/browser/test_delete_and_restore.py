import pytest

from regsupport.roles import SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_deletes_a_duplicate_then_restores_it(page, login, live_server):
    StaffUserFactory(username="agent", role=SUPPORT_AGENT)
    trainee = TraineeFactory(first_names="Ada", last_name="Lovelace", with_trn=True)

    login("agent")
    page.goto(f"{live_server.url}/admin/trainees/trainee/{trainee.pk}/change/")
    page.click(".object-tools >> text=Delete record")
    page.check("input[value='Duplicate record']")
    page.fill("input[name=ticket]", "https://becomingateacher.zendesk.com/agent/tickets/12345")
    page.fill("textarea[name=reason]", "Same person as trainee 12")
    page.click("input[type=submit][value='Delete record']")

    banner = page.locator("#deleted-banner").inner_text()
    assert "This record was deleted on" in banner
    assert "by agent" in banner
    assert "Duplicate record: Same person as trainee 12" in banner
    assert "tickets/12345" in banner
    # Read-only: the fields are text, there is nothing to save, and no other fix is offered.
    assert page.locator("input[name=first_names]").count() == 0
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator(".object-tools").inner_text().lower().split() == ["restore", "history"]

    page.click("#deleted-banner >> text=Restore this record")
    page.fill("textarea[name=reason]", "Deleted in error, ticket 12345")
    page.click("input[type=submit][value=Restore]")

    assert (
        "Record restored: Ada Lovelace is TRN received again."
        in page.locator(".messagelist").inner_text()
    )
    assert page.locator("#deleted-banner").count() == 0
    assert page.locator("input[name=first_names]").input_value() == "Ada"
    assert "Deleted in error, ticket 12345" in page.locator("#timeline").inner_text()
