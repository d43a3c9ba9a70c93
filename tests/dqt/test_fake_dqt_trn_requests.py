"""The fake DQT's TRN requests, and the way it writes its answers, as the real v2 code does.
Real source: V2/Validators/GetOrCreateTrnRequestValidator.cs, V2/Handlers/
GetOrCreateTrnRequestHandler.cs, V2/Controllers/TrnRequestsController.cs; ASP.NET Core 8 and
FluentValidation 11 for the body's shape and the generic messages.
"""

import pytest

from tests.dqt.fake_dqt_calls import (
    TRN,
    add_teacher,
    call,
    put_trn_request,
    trn_request_body,
)

pytestmark = pytest.mark.django_db

IQTS = "InternationalQualifiedTeacherStatus"


def errors(answer):
    assert answer.status_code == 400, answer.text
    return answer.json()["errors"]


# --- how answers are written -------------------------------------------------------------------


def test_an_unknown_trn_request_is_aspnets_not_found_problem(fake_dqt):
    answer = call(fake_dqt, "GET", "/v2/trn-requests/never-made")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json; charset=utf-8"
    body = answer.json()
    assert list(body) == ["type", "title", "status", "traceId"]
    assert body["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.5"
    assert (body["title"], body["status"]) == ("Not Found", 404)


def test_a_validation_problem_is_written_as_dotnet_8_writes_it(fake_dqt):
    body = trn_request_body(itt={"programmeType": None})
    del body["birthDate"]
    del body["lastName"]
    answer = put_trn_request(fake_dqt, body)
    problem = answer.json()
    assert list(problem) == ["type", "title", "status", "errors", "traceId"]
    assert problem["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    # ModelState's order: top-level keys first, shorter before longer.
    assert list(problem["errors"]) == [
        "lastName",
        "birthDate",
        "initialTeacherTraining.programmeType",
    ]
    # System.Text.Json's default encoder writes an apostrophe as \u0027.
    assert "\\u0027Last Name\\u0027 must not be empty." in answer.text
    assert "'" not in answer.text


def test_dqts_security_headers_come_with_every_answer_but_a_401(fake_dqt):
    answer = call(fake_dqt, "GET", "/v2/trn-requests/never-made")
    assert answer.headers["X-Frame-Options"] == "deny"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-XSS-Protection"] == "0"
    refused = call(fake_dqt, "GET", "/v2/trn-requests/never-made", key="not-a-key")
    assert refused.status_code == 401
    assert "X-Frame-Options" not in refused.headers


def test_a_malformed_trn_is_refused_by_get_teacher(fake_dqt):
    answer = call(fake_dqt, "GET", "/v2/teachers/12345")
    assert errors(answer) == {"trn": ["TRN must consist of 7 digits"]}


def test_an_inactive_teacher_is_not_found(fake_dqt):
    add_teacher(fake_dqt, active=False)
    answer = call(fake_dqt, "GET", f"/v2/teachers/{TRN}")
    assert (answer.status_code, answer.json()["title"]) == (404, "Not Found")


# --- validation ----------------------------------------------------------------------------------


def test_a_bad_request_id_gets_both_of_dqts_messages(fake_dqt):
    answer = put_trn_request(fake_dqt, trn_request_body(), request_id="a b" * 40)
    assert errors(answer) == {
        "requestId": [
            "requestId can only contain characters a-z, digits, underscores and dashes.",
            "requestId must be 100 characters or fewer",
        ]
    }


def test_a_repeated_request_with_an_invalid_body_is_refused(fake_dqt):
    assert put_trn_request(fake_dqt, trn_request_body()).status_code == 201
    answer = put_trn_request(fake_dqt, trn_request_body(lastName=""))
    assert errors(answer) == {"lastName": ["'Last Name' must not be empty."]}


def test_a_missing_birth_date_and_gender_get_dqts_messages(fake_dqt):
    body = trn_request_body()
    del body["birthDate"]
    del body["genderCode"]
    assert errors(put_trn_request(fake_dqt, body)) == {
        "birthDate": ["'Birth Date' must not be empty.", "Birth date is out of expected range."],
        "genderCode": ["'Gender Code' has a range of values which does not include '0'."],
    }


def test_the_teacher_degree_apprenticeship_has_no_programme_type(fake_dqt):
    answer = put_trn_request(fake_dqt, trn_request_body(itt={"programmeType": None}))
    assert errors(answer) == {
        "initialTeacherTraining.programmeType": [
            "'Initial Teacher Training Programme Type' must not be empty."
        ]
    }


def test_an_unknown_programme_type_fails_json_binding(fake_dqt):
    answer = put_trn_request(fake_dqt, trn_request_body(itt={"programmeType": "Nonsense"}))
    assert list(errors(answer)) == ["$.initialTeacherTraining.programmeType"]


def test_names_and_email_over_100_characters_are_refused(fake_dqt):
    body = trn_request_body(
        firstName="F" * 101, middleName="M" * 102, lastName="L" * 103, emailAddress="e@" + "x" * 99
    )
    assert errors(put_trn_request(fake_dqt, body)) == {
        "firstName": [
            "The length of 'First Name' must be 100 characters or fewer. You entered 101 characters."
        ],
        "middleName": [
            "The length of 'Middle Name' must be 100 characters or fewer. You entered 102 characters."
        ],
        "lastName": [
            "The length of 'Last Name' must be 100 characters or fewer. You entered 103 characters."
        ],
        "emailAddress": [
            "The length of 'Email Address' must be 100 characters or fewer. You entered 101 characters."
        ],
    }


def test_an_iqts_request_needs_a_training_country(fake_dqt):
    answer = put_trn_request(fake_dqt, trn_request_body(itt={"programmeType": IQTS}))
    assert errors(answer) == {
        "initialTeacherTraining.trainingCountryCode": [
            "'Initial Teacher Training Training Country Code' must not be empty."
        ]
    }
    body = trn_request_body(itt={"programmeType": IQTS, "trainingCountryCode": "IE"})
    assert put_trn_request(fake_dqt, body, request_id="request-2").status_code == 201


def test_other_programmes_must_not_send_a_training_country(fake_dqt):
    answer = put_trn_request(fake_dqt, trn_request_body(itt={"trainingCountryCode": "IE"}))
    assert errors(answer) == {
        "initialTeacherTraining.trainingCountryCode": [
            "'Initial Teacher Training Training Country Code' must be empty."
        ]
    }


def test_an_iqts_programme_alone_may_send_the_iqts_qualification_type(fake_dqt):
    body = trn_request_body(itt={"ittQualificationType": IQTS})
    assert errors(put_trn_request(fake_dqt, body)) == {
        "initialTeacherTraining.ittQualificationType": [
            "The specified condition was not met for 'Initial Teacher Training Itt Qualification Type'."
        ]
    }


# --- after validation: reference data, then the new teacher -------------------------------------


def test_reference_data_is_reported_only_once_validation_passes(fake_dqt):
    unknown_subject = {"subject1": "999999", "trainingCountryCode": "Ireland"}
    first = put_trn_request(fake_dqt, trn_request_body(itt=unknown_subject))
    assert errors(first) == {
        "initialTeacherTraining.trainingCountryCode": [
            "'Initial Teacher Training Training Country Code' must be empty."
        ]
    }
    body = trn_request_body(itt={"programmeType": IQTS, **unknown_subject})
    assert errors(put_trn_request(fake_dqt, body)) == {
        "initialTeacherTraining.subject1": ["Subject not found"],
        "initialTeacherTraining.trainingCountryCode": ["Country not found"],
    }


def test_a_teacher_made_by_a_trn_request_allows_pii_updates_and_keeps_the_husid(fake_dqt):
    created = put_trn_request(fake_dqt, trn_request_body(husid="1234567890123")).json()
    assert list(created) == [
        "requestId",
        "status",
        "trn",
        "potentialDuplicate",
        "qtsDate",
        "slugId",
    ]
    record = fake_dqt.teacher(created["trn"])
    assert record["allowPIIUpdates"] is True
    assert record["husId"] == "1234567890123"
    assert record["initialTeacherTraining"][0]["husId"] == "1234567890123"
    assert record["qtsRegistrations"][0]["teacherStatus"] == "211"
