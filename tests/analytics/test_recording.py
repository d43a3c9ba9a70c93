"""Events shaped like DfE Analytics' land in the outbox: one per create/update/delete of an
audited model, one per console request, with the request's id; nothing while the stream is
off, nothing for a rolled-back change."""

import pytest
from django.db import transaction

from analytics.models import OutboxEvent
from regsupport.config import settings as app_settings
from tests.factories import ProviderFactory, TraineeFactory

from .conftest import data, events

pytestmark = pytest.mark.django_db


def test_creating_changing_and_deleting_a_trainee_records_entity_events(stream_on, developer):
    trainee = TraineeFactory(last_name="Hopper", course_min_age=11)
    trainee.course_min_age = 12
    trainee.last_name = "Hopper-Murray"
    trainee.save_with_reason("Corrected by provider", actor=developer)
    trainee_id = trainee.pk
    trainee.delete_with_reason("Duplicate", actor=developer)

    created, updated, deleted = [
        e for e in events() if e.get("entity_table_name") == "trainees_trainee"
    ]
    assert [created["event_type"], updated["event_type"], deleted["event_type"]] == [
        "create_entity",
        "update_entity",
        "delete_entity",
    ]
    # An update carries the id and the changed fields (the lock's version among them);
    # personal data goes in hidden_data.
    changed = data(updated)
    assert set(changed) == {"id", "course_min_age", "updated_at", "version"}
    assert (changed["id"], changed["course_min_age"]) == ([str(trainee_id)], ["12"])
    assert data(updated, "hidden_data") == {"last_name": ["Hopper-Murray"]}
    assert updated["user_id"] == developer.pk
    assert "course_subject_one" in data(created)
    assert "first_names" in data(created, "hidden_data")
    assert "first_names" not in data(created)
    assert data(deleted) == {"id": [str(trainee_id)]}
    assert updated["environment"] == "test" and updated["occurred_at"]


def test_a_console_request_records_a_web_request_and_its_changes_carry_its_id(
    stream_on, developer_client
):
    OutboxEvent.objects.all().delete()
    response = developer_client.post(
        "/admin/settings/change/features.maintenance_mode/",
        {"value": "true", "reason": "test"},
        HTTP_USER_AGENT="Toaster/1.23",
    )
    request_id = response["X-Request-ID"]
    (request_event,) = events("web_request")
    assert request_event["request_uuid"] == request_id
    assert request_event["request_method"] == "POST"
    assert request_event["request_path"] == "/admin/settings/change/features.maintenance_mode/"
    assert request_event["response_status"] == 302
    assert request_event["request_user_agent"] == "Toaster/1.23"
    (change,) = events("update_entity") or events("create_entity")
    assert change["entity_table_name"] == "regsupport_consolesetting"
    assert change["request_uuid"] == request_id


def test_a_rolled_back_change_records_nothing(stream_on):
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        TraineeFactory()
        raise RuntimeError("the fix failed")
    assert OutboxEvent.objects.count() == before


def test_with_the_stream_off_nothing_is_recorded(stream_on, developer, developer_client):
    app_settings.set(
        "features.google.send_data_to_big_query", False, actor=developer, reason="incident"
    )
    before = OutboxEvent.objects.count()
    TraineeFactory().save_with_reason("any change", actor=developer)
    assert developer_client.get("/admin/trainees/trainee/").status_code == 200
    assert OutboxEvent.objects.count() == before


def test_the_outbox_is_bounded_the_oldest_events_are_dropped_and_counted(
    stream_on, monkeypatch, django_capture_on_commit_callbacks
):
    from analytics.selectors import dropped_total, outbox_size

    monkeypatch.setenv("SETTINGS__ANALYTICS__OUTBOX_LIMIT", "10")
    app_settings.reload()
    provider = ProviderFactory()
    OutboxEvent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        trainees = [TraineeFactory(provider=provider) for _ in range(25)]  # an event each
    assert outbox_size() == 10
    assert dropped_total() == 15
    kept = [int(data(e)["id"][0]) for e in events("create_entity")]
    assert kept == [t.pk for t in trainees[-10:]]  # the newest ten
