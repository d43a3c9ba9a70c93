"""The required reason: admin change forms, delete confirmations, and the shell helper."""

from datetime import date

import pytest

from regsupport.audit import ReasonRequired
from tests.factories import ProviderFactory, TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def _change_form_data(client, url):
    """The change form as the browser would post it, unchanged."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, dict):
            import json

            data[name] = json.dumps(value)
        else:
            data[name] = getattr(value, "pk", value)
    # Inline management forms, if any.
    for formset in response.context.get("inline_admin_formsets", []):
        mgmt = formset.formset.management_form
        for name in mgmt.fields:
            data[f"{mgmt.prefix}-{name}"] = mgmt[name].value()
    return data


def test_saving_a_trainee_without_a_reason_shows_an_error_and_writes_nothing(client, superuser):
    trainee = TraineeFactory(last_name="Before")
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(last_name="After", change_reason="   ")
    history_before = trainee.history.count()

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Give a reason for this change." in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.last_name == "Before"
    assert trainee.history.count() == history_before


def test_saving_with_a_reason_records_it_and_the_staff_user(client, superuser):
    trainee = TraineeFactory(last_name="Before")
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(last_name="After", change_reason="Name change confirmed by the provider")

    response = client.post(url, data)

    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    trainee.refresh_from_db()
    assert trainee.last_name == "After"
    latest = trainee.history.first()
    assert latest.history_change_reason == "Name change confirmed by the provider"
    assert latest.history_user == superuser
    assert latest.last_name == "After"


def test_the_reason_field_is_on_every_audited_change_form(client, superuser):
    client.force_login(superuser)
    provider = ProviderFactory()
    for url in [
        f"/admin/providers/provider/{provider.pk}/change/",
        "/admin/providers/provider/add/",
        f"/admin/trainees/trainee/{TraineeFactory().pk}/change/",
        "/admin/providers/leadpartner/add/",
        "/admin/providers/user/add/",
        "/admin/trainees/applyapplication/add/",
    ]:
        page = client.get(url).content.decode()
        assert 'name="change_reason"' in page, url
        assert "Reason for change" in page, url


def test_deleting_without_a_reason_is_refused(client, superuser):
    provider = ProviderFactory()
    client.force_login(superuser)
    url = f"/admin/providers/provider/{provider.pk}/delete/"

    response = client.post(url, {"post": "yes", "change_reason": ""})

    assert response.status_code == 200
    assert "Give a reason for deleting this record." in response.content.decode()
    assert type(provider).objects.filter(pk=provider.pk).exists()


def test_deleting_with_a_reason_keeps_it_on_the_deletion_history_row(client, superuser):
    provider = ProviderFactory()
    client.force_login(superuser)
    url = f"/admin/providers/provider/{provider.pk}/delete/"

    response = client.post(url, {"post": "yes", "change_reason": "Created in error"})

    assert response.status_code == 302
    assert not type(provider).objects.filter(pk=provider.pk).exists()
    deletion = provider.history.model.objects.filter(id=provider.pk, history_type="-").get()
    assert deletion.history_change_reason == "Created in error"
    assert deletion.history_user == superuser


def test_bulk_delete_action_is_not_offered_because_it_takes_no_reason(client, superuser):
    TraineeFactory()
    client.force_login(superuser)
    page = client.get("/admin/trainees/trainee/")
    assert "delete_selected" not in page.content.decode()


def test_save_with_reason_records_reason_and_actor_from_the_shell(superuser):
    trainee = TraineeFactory()
    trainee.email = "new@example.com"
    trainee.save_with_reason("Update from the trainee via DQT", actor=superuser)
    row = trainee.history.first()
    assert row.history_change_reason == "Update from the trainee via DQT"
    assert row.history_user == superuser


def test_the_reason_does_not_leak_into_a_later_plain_save(superuser):
    trainee = TraineeFactory()
    trainee.save_with_reason("First, with a reason", actor=superuser)
    trainee.last_name = "Plain"
    trainee.save()
    row = trainee.history.first()
    assert row.last_name == "Plain"
    assert row.history_change_reason is None
    assert row.history_user is None


def test_a_plain_shell_save_is_still_recorded():
    trainee = TraineeFactory()
    before = trainee.history.count()
    trainee.last_name = "Shell"
    trainee.save()
    assert trainee.history.count() == before + 1


def test_save_with_reason_refuses_a_blank_reason():
    trainee = TraineeFactory(last_name="Kept")
    trainee.last_name = "Lost"
    with pytest.raises(ReasonRequired, match="Give a reason"):
        trainee.save_with_reason("  ")
    assert Trainee.objects.get(pk=trainee.pk).last_name == "Kept"


def test_the_trainee_page_shows_a_timeline_with_old_and_new_values(client, superuser):
    trainee = TraineeFactory(last_name="Old", state=Trainee.State.TRN_RECEIVED, trn="1234567")
    trainee.last_name = "New"
    trainee.state = Trainee.State.DEFERRED
    trainee.save_with_reason("Provider asked for a deferral", actor=superuser)
    client.force_login(superuser)

    page = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()

    assert 'id="timeline"' in page
    assert "Provider asked for a deferral" in page
    assert "Old → New" in page
    assert "TRN received → Deferred" in page
    assert "root" in page


def test_the_timeline_labels_a_field_as_its_verbose_name_says(client, superuser):
    trainee = TraineeFactory(itt_start_date=date(2024, 9, 1))
    trainee.itt_start_date = date(2024, 9, 2)
    trainee.save_with_reason("Start date corrected by the provider", actor=superuser)
    client.force_login(superuser)

    page = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()

    assert "<strong>ITT start date</strong>: 1 September 2024 → 2 September 2024" in page
