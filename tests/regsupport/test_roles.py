import pytest
from django.contrib.auth.models import Group

from regsupport.roles import DEVELOPER, SUPPORT_AGENT
from tests.factories import StaffUserFactory, TraineeFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/trainees/trainee/",
    "/admin/providers/provider/",
    "/admin/providers/leadpartner/",
    "/admin/dqt/trnrequest/",
    "/admin/settings/",
]


def _perms(name):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def test_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {SUPPORT_AGENT, DEVELOPER}


def test_support_agent_views_everything_and_changes_trainees_only():
    perms = _perms(SUPPORT_AGENT)
    assert {
        "trainees.view_trainee",
        "providers.view_provider",
        "providers.view_leadpartner",
        "providers.view_user",
        "dqt.view_trnrequest",
        "trainees.view_applyapplication",
    } <= perms
    assert "trainees.change_trainee" in perms
    assert "regsupport.run_playbook_fixes" in perms
    assert "providers.change_provider" not in perms
    assert "trainees.delete_trainee" not in perms
    assert "regsupport.view_settings" in perms
    assert "regsupport.change_settings" not in perms


def test_developer_has_everything_a_support_agent_has_plus_changing_settings():
    assert _perms(SUPPORT_AGENT) < _perms(DEVELOPER)
    assert "regsupport.change_settings" in _perms(DEVELOPER)


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_non_staff_users_cannot_reach_any_admin_page(client, url):
    user = StaffUserFactory(username="outsider", is_staff=False, is_superuser=True)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_support_agent_can_open_and_change_trainees_and_read_settings(agent_client):
    trainee = TraineeFactory()
    assert agent_client.get("/admin/trainees/trainee/").status_code == 200
    page = agent_client.get(f"/admin/trainees/trainee/{trainee.pk}/change/")
    assert page.status_code == 200
    assert 'name="last_name"' in page.content.decode()
    settings_page = agent_client.get("/admin/settings/")
    assert settings_page.status_code == 200
    assert "/admin/settings/change/" not in settings_page.content.decode()
    assert agent_client.get("/admin/providers/provider/add/").status_code == 403


def test_support_agent_sees_providers_read_only(agent_client):
    from tests.factories import ProviderFactory

    provider = ProviderFactory()
    page = agent_client.get(f"/admin/providers/provider/{provider.pk}/change/")
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()


def test_developer_sees_the_settings_page_and_the_console_box(developer_client):
    assert developer_client.get("/admin/settings/").status_code == 200
    index = developer_client.get("/admin/").content.decode()
    assert "Settings and feature flags" in index


def test_support_agent_index_offers_the_settings_page(agent_client):
    index = agent_client.get("/admin/").content.decode()
    assert "Settings and feature flags" in index
