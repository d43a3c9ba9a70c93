"""The fake Apply over real HTTP, through our client: paging, changed_since, touch, the
provider type, its refusals and every fault."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from apply.client import ApplyClient, ApplyHttpError, ApplyTimeout, touch_application_choices
from apply.fake.state import application_choice
from regsupport.config import settings as app_settings

YEAR = 2024
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def add(fake, apply_id, *, code="2N2", year=YEAR, updated_at=LONG_AGO, **fields):
    return fake.add_choice(
        **application_choice(
            apply_id=apply_id,
            recruitment_cycle_year=year,
            training_provider_code=code,
            updated_at=updated_at,
            **fields,
        )
    )


def page(number=1, *, changed_since=None, year=YEAR):
    return ApplyClient().applications(
        recruitment_cycle_year=year, changed_since=changed_since, page=number
    )


def ids(result):
    return [int(a["id"]) for a in result.data]


def test_an_application_has_apply_s_register_api_shape(fake_apply):
    fake_apply.put_provider("2N2", provider_type="university")
    add(
        fake_apply,
        101,
        first_name="Ava",
        last_name="Khan",
        course_uuid="c6b9f8f0-0000-0000-0000-000000000001",
    )

    application = page().data[0]

    assert application["id"] == "101"
    assert application["type"] == "application"
    attributes = application["attributes"]
    assert set(attributes) >= {
        "support_reference", "status", "updated_at", "submitted_at", "recruited_at",
        "candidate", "contact_details", "course", "qualifications", "hesa_itt_data",
    }  # fmt: skip
    assert attributes["candidate"]["first_name"] == "Ava"
    assert attributes["contact_details"]["email"] == "ava.khan@example.com"
    assert attributes["course"] == {
        "recruitment_cycle_year": YEAR,
        "course_code": "X100",
        "course_uuid": "c6b9f8f0-0000-0000-0000-000000000001",
        "training_provider_code": "2N2",
        "training_provider_type": "university",
        "accredited_provider_type": None,
        "accredited_provider_code": None,
        "site_code": "-",
        "study_mode": "full_time",
    }


def test_applications_come_fifty_a_page_with_pagy_headers(fake_apply):
    for apply_id in range(1, 121):
        add(fake_apply, apply_id, updated_at=LONG_AGO + timedelta(seconds=apply_id))

    first, third = page(1), page(3)

    assert (first.total_pages, len(first.data), len(third.data)) == (3, 50, 20)
    assert ids(first)[:3] == [1, 2, 3]
    assert ids(third)[-1] == 120
    response = requests.get(
        f"{fake_apply.url}/applications",
        params={"recruitment_cycle_year": YEAR, "page": 2},
        headers={"Authorization": f"Bearer {fake_apply.api_token}"},
        timeout=5,
    )
    assert {k: response.headers[k] for k in ("Current-Page", "Page-Items", "Total-Count")} == {
        "Current-Page": "2",
        "Page-Items": "50",
        "Total-Count": "120",
    }


def test_changed_since_returns_only_choices_changed_after_it(fake_apply):
    add(fake_apply, 1, updated_at=LONG_AGO)
    add(fake_apply, 2, updated_at=LONG_AGO + timedelta(days=2))

    assert ids(page(changed_since=LONG_AGO + timedelta(days=1))) == [2]
    assert ids(page(changed_since=None)) == [1, 2]


def test_touching_a_choice_returns_it_again_after_changed_since(fake_apply):
    add(fake_apply, 1)
    add(fake_apply, 2)
    since = datetime.now(UTC) - timedelta(seconds=1)
    assert ids(page(changed_since=since)) == []

    result = touch_application_choices([2, 999])

    assert result == {"touched": [2], "unknown": [999]}
    assert ids(page(changed_since=since)) == [2]


def test_correcting_the_provider_type_changes_the_payload_but_not_updated_at(fake_apply):
    fake_apply.put_provider("2N2", provider_type="university")
    add(fake_apply, 1)
    since = datetime.now(UTC) - timedelta(seconds=1)

    fake_apply.put_provider("2N2", provider_type="scitt")

    assert ids(page(changed_since=since)) == []
    assert page().data[0]["attributes"]["course"]["training_provider_type"] == "scitt"


def test_only_recruited_or_pending_conditions_choices_of_the_year_are_listed(fake_apply):
    add(fake_apply, 1)
    add(fake_apply, 2, status="pending_conditions")
    add(fake_apply, 3, status="offer")
    add(fake_apply, 4, year=2025)

    assert ids(page()) == [1, 2]


def test_a_wrong_token_is_a_401_with_apply_s_error_body(fake_apply, monkeypatch):
    add(fake_apply, 1)
    monkeypatch.setenv("SETTINGS__RECRUITS_API__AUTH_TOKEN", "stale-token")
    app_settings.reload()

    with pytest.raises(ApplyHttpError) as refused:
        page()

    assert refused.value.status == 401
    assert refused.value.transient is False
    assert refused.value.title == "Unauthorized: Please provide a valid API token"
    assert str(refused.value).startswith("status: 401, body: ")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "param is missing or the value is empty or invalid: recruitment_cycle_year"),
        ({"recruitment_cycle_year": "1999"}, "Parameter is invalid: recruitment_cycle_year"),
        (
            {"recruitment_cycle_year": str(YEAR), "changed_since": "yesterday"},
            "Parameter is invalid (should be ISO8601): changed_since",
        ),
        (
            {"recruitment_cycle_year": str(YEAR), "page": "7"},
            "expected 'page' parameter to be between 1 and 1, got 7",
        ),
    ],
)
def test_bad_queries_are_refused_with_422_as_apply_does(fake_apply, query, message):
    add(fake_apply, 1)

    response = requests.get(
        f"{fake_apply.url}/applications",
        params=query,
        headers={"Authorization": f"Bearer {fake_apply.api_token}"},
        timeout=5,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == message


def test_an_injected_500_fails_one_call_and_is_transient(fake_apply):
    add(fake_apply, 1)
    fake_apply.fail_next(status=500)

    with pytest.raises(ApplyHttpError) as failed:
        page()

    assert (failed.value.status, failed.value.transient) == (500, True)
    assert ids(page()) == [1]


def test_a_slow_apply_times_out_the_client(fake_apply, monkeypatch):
    add(fake_apply, 1)
    monkeypatch.setenv("SETTINGS__RECRUITS_API__TIMEOUT_SECONDS", "0.5")
    app_settings.reload()
    fake_apply.slow_down(seconds=3)

    with pytest.raises(ApplyTimeout) as slow:
        page()

    assert slow.value.transient is True
    assert "did not answer within 0.5 seconds" in str(slow.value)


def test_a_malformed_application_comes_without_its_course(fake_apply):
    add(fake_apply, 1)
    add(fake_apply, 2, updated_at=LONG_AGO + timedelta(seconds=1))
    fake_apply.malformed(apply_id=2)

    data = page().data

    assert "course" in data[0]["attributes"]
    assert "course" not in data[1]["attributes"]
    assert "course" in page().data[1]["attributes"]


def test_the_control_api_adds_choices_and_lists_calls(fake_apply):
    created = requests.post(
        f"{fake_apply.base}/_control/application-choices",
        json=application_choice(
            apply_id=5, recruitment_cycle_year=YEAR, training_provider_code="1TF"
        ),
        timeout=5,
    )
    assert created.status_code == 201
    page()

    calls = requests.get(f"{fake_apply.base}/_control/calls", timeout=5).json()["calls"]

    assert calls[-1]["query"]["recruitment_cycle_year"] == str(YEAR)
    assert calls[-1]["authorization"] == f"Bearer {fake_apply.api_token}"
    assert calls[-1]["status"] == 200
