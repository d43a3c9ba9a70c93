"""The fake DQT's update (PATCH /v2/teachers/update/{trn}) as the real v2 code answers it.
Real source: V2/Validators/UpdateTeacherValidator.cs, V2/Handlers/UpdateTeacherHandler.cs,
DataverseAdapter.UpdateTeacher.cs.
"""

import pytest

from tests.dqt.fake_dqt_calls import (
    BIRTH_DATE,
    OTHER_UKPRN,
    SLUG,
    TRN,
    UKPRN,
    add_teacher,
    itt_row,
    problem,
    update,
    update_body,
)

pytestmark = pytest.mark.django_db


def errors(answer):
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert body["title"] == "One or more validation errors occurred."
    return body["errors"]


# --- which ITT row --------------------------------------------------------------------------


def test_a_provider_change_moves_the_row_with_the_trainees_slug(fake_dqt):
    add_teacher(fake_dqt)
    answer = update(fake_dqt, update_body({"providerUkprn": OTHER_UKPRN}))
    assert (answer.status_code, answer.text) == (204, "")
    assert fake_dqt.teacher(TRN)["initialTeacherTraining"][0]["providerUkprn"] == OTHER_UKPRN


def test_two_incomplete_rows_at_different_providers_are_refused(fake_dqt):
    add_teacher(
        fake_dqt,
        rows=[itt_row(slugId=None), itt_row(slugId=None, providerUkprn=OTHER_UKPRN)],
    )
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining": ["Teacher has multiple incomplete ITT records"]
    }


def test_no_row_for_the_provider_is_no_incomplete_itt_record(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(slugId=None, providerUkprn=OTHER_UKPRN)])
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining.providerUkprn": ["Teacher has no incomplete ITT record"]
    }


def test_an_awarded_row_is_not_updated(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Pass")])
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining.providerUkprn": ["Teacher has no incomplete ITT record"]
    }


# --- validation: before DQT looks the teacher up --------------------------------------------


def test_outcome_rules_are_reported_under_outcome_before_the_teacher_lookup(fake_dqt):
    # No teacher with this TRN, yet the answer is the validation error, not 404.
    withdrawn = update(fake_dqt, update_body({"outcome": "Withdrawn"}))
    assert errors(withdrawn) == {
        "outcome": ["Outcome can only be set to Deferred, InTraining or UnderAssessment."]
    }
    under_assessment = update(fake_dqt, update_body({"outcome": "UnderAssessment"}))
    assert errors(under_assessment) == {
        "outcome": ["UnderAssessment outcome only permitted for AssessmentOnlyRoute ProgrammeType."]
    }


def test_an_empty_programme_start_date_has_dqts_message(fake_dqt):
    answer = update(fake_dqt, update_body({"programmeStartDate": None}))
    assert errors(answer) == {
        "initialTeacherTraining.programmeStartDate": [
            "'Initial Teacher Training Programme Start Date' must not be empty."
        ]
    }


def test_the_teacher_degree_apprenticeship_has_no_programme_type(fake_dqt):
    answer = update(fake_dqt, update_body({"programmeType": None}))
    assert errors(answer) == {
        "initialTeacherTraining.programmeType": [
            "'Initial Teacher Training Programme Type' must not be empty."
        ]
    }


def test_a_missing_birth_date_is_refused_under_birth_date(fake_dqt):
    answer = update(fake_dqt, update_body(), birth_date=None)
    assert errors(answer) == {"birthDate": ["Birthdate is required."]}


def test_a_training_country_is_refused_unless_the_programme_is_iqts(fake_dqt):
    answer = update(fake_dqt, update_body({"trainingCountryCode": "IE"}))
    assert errors(answer) == {
        "initialTeacherTraining.trainingCountryCode": [
            "'Initial Teacher Training Training Country Code' must be empty."
        ]
    }


def test_an_iqts_update_needs_no_training_country(fake_dqt):
    iqts = "InternationalQualifiedTeacherStatus"
    add_teacher(fake_dqt, rows=[itt_row(programmeType=iqts)])
    answer = update(fake_dqt, update_body({"programmeType": iqts}))
    assert answer.status_code == 204


def test_names_over_dqts_limit_are_refused(fake_dqt):
    answer = update(fake_dqt, update_body(firstName="A" * 101, lastName="Lee"))
    assert errors(answer) == {
        "firstName": [
            "The length of 'First Name' must be 100 characters or fewer. You entered 101 characters."
        ]
    }


def test_a_last_name_is_needed_once_any_name_is_sent(fake_dqt):
    answer = update(fake_dqt, update_body(firstName="Ann"))
    assert errors(answer) == {"lastName": ["'Last Name' must not be empty."]}


def test_an_email_over_dqts_limit_is_refused(fake_dqt):
    email = "a" * 95 + "@b.com"
    answer = update(fake_dqt, update_body(emailAddress=email))
    assert errors(answer) == {
        "emailAddress": [
            "The length of 'Email Address' must be 100 characters or fewer. You entered 101 characters."
        ]
    }


# --- after the teacher: DQT's record rules --------------------------------------------------


def test_reference_data_is_checked_after_the_teacher_lookup(fake_dqt):
    unknown = update(fake_dqt, update_body({"subject1": "999999"}))
    assert (unknown.status_code, unknown.text) == (
        404,
        problem(404, "Teacher with specified TRN not found", 10001),
    )
    add_teacher(fake_dqt)
    answer = update(fake_dqt, update_body({"subject1": "999999"}))
    assert errors(answer) == {"initialTeacherTraining.subject1": ["Subject not found"]}


def test_several_contacts_with_the_trn_are_409_10002(fake_dqt):
    add_teacher(fake_dqt, duplicateContacts=1)
    answer = update(fake_dqt, update_body())
    assert (answer.status_code, answer.text) == (
        409,
        problem(409, "Multiple teachers found", 10002),
    )


def test_only_the_award_date_of_the_requests_kind_refuses_an_update(fake_dqt):
    add_teacher(fake_dqt, eytsDate="2024-07-01")
    assert update(fake_dqt, update_body()).status_code == 204
    fake_dqt.update_teacher_record(TRN, qtsDate="2024-07-01")
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining.programmeType": ["Teacher already has QTS/EYTS date"]
    }


def test_an_early_years_row_cannot_become_another_programme(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(programmeType="EYITTGraduateEntry")])
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining.programmeType": ["ProgrammeType cannot be changed"]
    }


def test_a_failed_training_cannot_change(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Fail")])
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {"initialTeacherTraining.outcome": ["Unable to change Failed Result."]}


def test_a_withdrawn_training_cannot_become_deferred(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Withdrawn")])
    answer = update(fake_dqt, update_body({"outcome": "Deferred"}))
    assert errors(answer) == {
        "initialTeacherTraining.outcome": ["Result cannot be unwithdrawn to deferred"]
    }


def test_a_withdrawn_assessment_only_row_refuses_in_training_in_dqts_other_wording(fake_dqt):
    # The request's programme allows InTraining (so validation passes); the withdrawn row's
    # does not, and the adapter says so with the error registry's title.
    add_teacher(fake_dqt, rows=[itt_row(programmeType="AssessmentOnlyRoute", result="Withdrawn")])
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {
        "initialTeacherTraining.outcome": [
            "InTraining not permitted for AssessmentOnlyRoute programme types."
        ]
    }


def test_undoing_a_withdrawal_restores_the_trainee_status(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Withdrawn")])
    assert update(fake_dqt, update_body()).status_code == 204
    record = fake_dqt.teacher(TRN)
    assert record["initialTeacherTraining"][0]["result"] == "InTraining"
    assert record["qtsRegistrations"][0]["teacherStatus"] == "211"


def test_undoing_a_withdrawal_needs_the_emptied_qts_registration(fake_dqt):
    add_teacher(
        fake_dqt, rows=[itt_row(result="Withdrawn")], qtsRegistrations=[{"teacherStatus": "211"}]
    )
    answer = update(fake_dqt, update_body())
    assert errors(answer) == {"initialTeacherTraining.outcome": ["Teacher has no QTS record"]}


def test_another_programme_moves_the_trainee_status_with_it(fake_dqt):
    add_teacher(fake_dqt)
    body = update_body({"programmeType": "AssessmentOnlyRoute", "outcome": "UnderAssessment"})
    assert update(fake_dqt, body).status_code == 204
    assert fake_dqt.teacher(TRN)["qtsRegistrations"][0]["teacherStatus"] == "212"


# --- what the update writes -----------------------------------------------------------------


def test_the_date_of_birth_changes_when_dqt_allows_pii_updates(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(slugId=None)])
    body = update_body(firstName="Ann Marie", lastName="Lee", dateOfBirth="1990-05-02")
    assert update(fake_dqt, body).status_code == 204
    record = fake_dqt.teacher(TRN)
    assert (record["firstName"], record["middleName"]) == ("Ann", "Marie")
    assert record["dateOfBirth"] == "1990-05-02"
    # Where the slug does not match, DQT now finds the teacher by the new date only.
    old = update(fake_dqt, update_body(), slug="another-slug", birth_date=BIRTH_DATE)
    assert (old.status_code, old.json()["errorCode"]) == (404, 10001)
    new = update(fake_dqt, update_body(), slug="another-slug", birth_date="1990-05-02")
    assert new.status_code == 204


def test_the_date_of_birth_stays_when_dqt_does_not_allow_pii_updates(fake_dqt):
    add_teacher(fake_dqt, allowPIIUpdates=False)
    assert update(fake_dqt, update_body(dateOfBirth="1990-05-02")).status_code == 204
    assert fake_dqt.teacher(TRN)["dateOfBirth"] == BIRTH_DATE


def test_a_date_of_birth_out_of_range_is_refused(fake_dqt):
    answer = update(fake_dqt, update_body(dateOfBirth="1939-12-31"))
    assert errors(answer) == {"dateOfBirth": ["Birth date is out of expected range."]}


def test_the_husid_goes_on_the_teacher_and_the_row(fake_dqt):
    add_teacher(fake_dqt)
    assert update(fake_dqt, update_body(husId="1234567890123")).status_code == 204
    record = fake_dqt.teacher(TRN)
    assert record["husId"] == "1234567890123"
    assert record["initialTeacherTraining"][0]["husId"] == "1234567890123"


def test_a_husid_another_teacher_holds_is_refused(fake_dqt):
    fake_dqt.add_teacher(trn="2400999", husId="1234567890123")
    add_teacher(fake_dqt)
    answer = update(fake_dqt, update_body(husid="1234567890123"))
    assert errors(answer) == {"husId.husId": ["Husid registered for an existing teacher"]}


def test_the_teacher_takes_the_querys_slug(fake_dqt):
    add_teacher(fake_dqt, slugId=None, rows=[itt_row(slugId=None)])
    assert update(fake_dqt, update_body(), slug=SLUG).status_code == 204
    assert fake_dqt.teacher(TRN)["slugId"] == SLUG
    assert fake_dqt.teacher(TRN)["initialTeacherTraining"][0]["providerUkprn"] == UKPRN
