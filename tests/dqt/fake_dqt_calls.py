"""Raw HTTP calls to the fake DQT, and DQT-shaped records and bodies, for the tests of its rules.

The bodies are written out here rather than built by ``dqt.payloads``, so these tests pin what
DQT answers to a given request whatever our client sends.
"""

from __future__ import annotations

from typing import Any

import requests

TRN = "2400123"
SLUG = "ann-lee-slug"
BIRTH_DATE = "1990-05-01"
UKPRN = "10012345"
OTHER_UKPRN = "10099999"
AWARD_DATE = "2025-07-15"


def call(fake, method: str, path: str, *, json=None, params=None, key: str | None = "test-dqt-key"):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.request(
        method,
        f"{fake.url}{path.lstrip('/')}",
        json=json,
        params=params,
        headers=headers,
        timeout=5,
    )


def itt_row(**changes: Any) -> dict[str, Any]:
    return {
        "providerUkprn": UKPRN,
        "programmeType": "HighPotentialITT",
        "slugId": SLUG,
        "result": "InTraining",
        **changes,
    }


def add_teacher(fake, *, rows: list[dict] | None = None, **changes: Any) -> dict[str, Any]:
    """A teacher as a TRN request from Register made it: slug on the record and its row, PII
    updates allowed."""
    record = {
        "trn": TRN,
        "firstName": "Ann",
        "lastName": "Lee",
        "dateOfBirth": BIRTH_DATE,
        "slugId": SLUG,
        "allowPIIUpdates": True,
        "initialTeacherTraining": [itt_row()] if rows is None else rows,
        **changes,
    }
    return fake.add_teacher(**record)


def itt_outcome(
    fake,
    outcome: str,
    *,
    ukprn: str = UKPRN,
    assessment_date: str | None = None,
    trn: str = TRN,
    slug: str | None = SLUG,
    birth_date: str | None = BIRTH_DATE,
):
    body = {"ittProviderUkprn": ukprn, "outcome": outcome}
    if assessment_date:
        body["assessmentDate"] = assessment_date
    return call(
        fake,
        "PUT",
        f"/v2/teachers/{trn}/itt-outcome",
        json=body,
        params={"slugid": slug, "birthdate": birth_date},
    )


def training(**changes: Any) -> dict[str, Any]:
    """``initialTeacherTraining`` as Register sent it (without the update's outcome)."""
    return {
        "providerUkprn": UKPRN,
        "programmeStartDate": "2025-09-01",
        "programmeEndDate": "2026-07-31",
        "programmeType": "HighPotentialITT",
        "subject1": "100403",
        "ageRangeFrom": 11,
        "ageRangeTo": 16,
        **changes,
    }


def update_body(itt: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {"initialTeacherTraining": training(**{"outcome": "InTraining", **(itt or {})}), **top}


def update(
    fake,
    body: dict[str, Any],
    *,
    trn: str = TRN,
    slug: str | None = SLUG,
    birth_date: str | None = BIRTH_DATE,
):
    return call(
        fake,
        "PATCH",
        f"/v2/teachers/update/{trn}",
        json=body,
        params={"slugId": slug, "birthDate": birth_date},
    )


def trn_request_body(itt: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {
        "firstName": "Ann",
        "lastName": "Lee",
        "birthDate": BIRTH_DATE,
        "genderCode": "Female",
        "slugId": SLUG,
        "initialTeacherTraining": training(**(itt or {})),
        **top,
    }


def put_trn_request(fake, body: dict[str, Any], request_id: str = "request-1"):
    return call(fake, "PUT", f"/v2/trn-requests/{request_id}", json=body)


def problem(status: int, title: str, code: int) -> str:
    """A DQT domain error's body, byte for byte."""
    return f'{{"title":"{title}","status":{status},"errorCode":{code}}}'
