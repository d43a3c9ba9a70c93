"""features.maintenance_mode: everyone but staff gets the maintenance page; the console
keeps working for staff, with a banner; staff can still sign in."""

import pytest

from regsupport.config import settings as app_settings
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maintenance(developer):
    app_settings.set("features.maintenance_mode", True, actor=developer, reason="upgrade")


def test_off_there_is_no_banner(developer_client):
    page = developer_client.get("/admin/").content.decode()
    assert "maintenance-banner" not in page


def test_staff_use_the_console_with_a_banner(maintenance, agent_client):
    response = agent_client.get("/admin/trainees/trainee/")
    assert response.status_code == 200
    assert "Maintenance mode is on" in response.content.decode()


def test_non_staff_get_the_maintenance_page(maintenance, client):
    outsider = StaffUserFactory(username="outsider", is_staff=False)
    client.force_login(outsider)
    for url in ("/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 503
        assert "down for maintenance" in response.content.decode()
        assert response["Retry-After"] == "300"


def test_visitors_get_the_maintenance_page_but_staff_can_still_sign_in(maintenance, client):
    StaffUserFactory(username="ann")
    assert client.get("/").status_code == 503
    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert "Maintenance mode is on" in login.content.decode()
    response = client.post("/admin/login/", {"username": "ann", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_switching_it_off_ends_it_at_once(maintenance, developer, client):
    assert client.get("/").status_code == 503
    app_settings.set("features.maintenance_mode", False, actor=developer, reason="done")
    assert client.get("/").status_code == 302
