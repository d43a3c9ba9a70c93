"""The fake DQT's itt-outcome (award and withdrawal) checks things in the real order: the
teacher, the provider, the ITT row, a failed or withdrawn row, the QTS registration, the date.
Real source: DataverseAdapter.SetIttResultForTeacher.cs and V2/Handlers/SetIttOutcomeHandler.cs.
"""

import pytest

from tests.dqt.fake_dqt_calls import (
    AWARD_DATE,
    OTHER_UKPRN,
    TRN,
    add_teacher,
    itt_outcome,
    itt_row,
    problem,
)

pytestmark = pytest.mark.django_db

NO_INCOMPLETE_ITT = problem(400, "Teacher has no incomplete ITT record", 10005)
NO_QTS_RECORD = problem(400, "Teacher has no QTS record", 10006)


def test_awarding_a_teacher_withdrawn_on_dqt_is_10005_not_10006(fake_dqt):
    add_teacher(fake_dqt)
    assert itt_outcome(fake_dqt, "Withdrawn").status_code == 200

    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)

    assert (answer.status_code, answer.text) == (400, NO_INCOMPLETE_ITT)
    assert answer.headers["Content-Type"] == "application/problem+json; charset=utf-8"


def test_withdrawing_a_withdrawn_teacher_again_succeeds(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Withdrawn")])
    answer = itt_outcome(fake_dqt, "Withdrawn")
    assert (answer.status_code, answer.json()) == (200, {"trn": TRN, "qtsDate": None})


def test_withdrawing_an_awarded_teacher_succeeds_and_keeps_the_qts_date(fake_dqt):
    add_teacher(fake_dqt)
    itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)

    answer = itt_outcome(fake_dqt, "Withdrawn")

    assert (answer.status_code, answer.json()) == (200, {"trn": TRN, "qtsDate": None})
    record = fake_dqt.teacher(TRN)
    assert record["initialTeacherTraining"][0]["result"] == "Withdrawn"
    assert record["qtsRegistrations"] == [
        {"teacherStatus": None, "earlyYearsStatus": None, "qtsDate": AWARD_DATE, "eytsDate": None}
    ]


def test_withdrawing_without_a_qts_registration_is_10006(fake_dqt):
    add_teacher(fake_dqt, qtsRegistrations=[])
    answer = itt_outcome(fake_dqt, "Withdrawn")
    assert (answer.status_code, answer.text) == (400, NO_QTS_RECORD)
    assert fake_dqt.teacher(TRN)["initialTeacherTraining"][0]["result"] == "InTraining"


def test_a_registration_without_a_trainee_status_is_no_qts_record(fake_dqt):
    add_teacher(fake_dqt, qtsRegistrations=[{"teacherStatus": None}])
    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)
    assert (answer.status_code, answer.text) == (400, NO_QTS_RECORD)


def test_two_matching_qts_registrations_are_10007(fake_dqt):
    add_teacher(fake_dqt, qtsRegistrations=[{"teacherStatus": "211"}, {"teacherStatus": "211"}])
    answer = itt_outcome(fake_dqt, "Withdrawn")
    assert (answer.status_code, answer.text) == (
        400,
        problem(400, "Teacher has multiple QTS records", 10007),
    )


def test_an_unknown_provider_is_10005_before_the_qts_registration_is_looked_at(fake_dqt):
    add_teacher(fake_dqt, qtsRegistrations=[])
    fake_dqt.configure(unknown_ukprns=[OTHER_UKPRN])
    answer = itt_outcome(fake_dqt, "Withdrawn", ukprn=OTHER_UKPRN)
    assert (answer.status_code, answer.text) == (400, NO_INCOMPLETE_ITT)


def test_itt_outcome_finds_rows_at_the_requests_provider_only(fake_dqt):
    # The row has the trainee's slug but another provider: itt-outcome does not take it
    # (the update would).
    add_teacher(fake_dqt, rows=[itt_row(providerUkprn=OTHER_UKPRN)])
    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)
    assert (answer.status_code, answer.text) == (400, NO_INCOMPLETE_ITT)


def test_a_slugless_row_at_the_provider_is_used_when_no_row_has_the_slug(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(slugId=None)])
    assert itt_outcome(fake_dqt, "Withdrawn").status_code == 200


def test_two_rows_at_the_provider_are_10004(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(), itt_row(result="Deferred")])
    answer = itt_outcome(fake_dqt, "Withdrawn")
    assert (answer.status_code, answer.text) == (
        400,
        problem(400, "Teacher has multiple incomplete ITT records", 10004),
    )


def test_a_failed_training_takes_fail_again_and_nothing_else(fake_dqt):
    add_teacher(fake_dqt, rows=[itt_row(result="Fail")])
    assert itt_outcome(fake_dqt, "Fail").json() == {"trn": TRN, "qtsDate": None}
    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)
    assert (answer.status_code, answer.text) == (400, NO_INCOMPLETE_ITT)


def test_an_award_when_the_registration_has_another_qts_date_is_10003(fake_dqt):
    add_teacher(fake_dqt, qtsRegistrations=[{"teacherStatus": "71", "qtsDate": "2024-07-01"}])
    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)
    assert (answer.status_code, answer.text) == (
        400,
        problem(400, "Teacher already has QTS/EYTS date", 10003),
    )


def test_an_award_sets_the_qualified_status_for_the_route(fake_dqt):
    add_teacher(
        fake_dqt, rows=[itt_row(programmeType="AssessmentOnlyRoute", result="UnderAssessment")]
    )
    answer = itt_outcome(fake_dqt, "Pass", assessment_date=AWARD_DATE)
    assert answer.json() == {"trn": TRN, "qtsDate": AWARD_DATE}
    registration = fake_dqt.teacher(TRN)["qtsRegistrations"][0]
    assert (registration["teacherStatus"], registration["qtsDate"]) == ("100", AWARD_DATE)


def test_an_outcome_dqt_cannot_set_is_a_500_once_the_teacher_is_found(fake_dqt):
    add_teacher(fake_dqt)
    unknown = itt_outcome(fake_dqt, "InTraining", trn="2999999")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, 10001)
    answer = itt_outcome(fake_dqt, "InTraining")
    assert (answer.status_code, answer.text) == (500, "")


def test_several_contacts_with_the_trn_are_409_10002(fake_dqt):
    add_teacher(fake_dqt, duplicateContacts=1)
    answer = itt_outcome(fake_dqt, "Withdrawn")
    assert (answer.status_code, answer.text) == (
        409,
        problem(409, "Multiple teachers found", 10002),
    )


def test_itt_outcome_validation_uses_dqts_keys_and_messages(fake_dqt):
    add_teacher(fake_dqt)
    answer = itt_outcome(
        fake_dqt, "Withdrawn", ukprn="", birth_date=None, assessment_date=AWARD_DATE
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert "errorCode" not in body
    assert body["errors"] == {
        "birthDate": ["Birthdate is required."],
        "assessmentDate": ["Assessment date cannot be specified unless outcome is Pass."],
        "ittProviderUkprn": ["ITT provider UKPRN is required."],
    }


def test_an_award_needs_a_date_that_is_not_in_the_future(fake_dqt):
    add_teacher(fake_dqt)
    missing = itt_outcome(fake_dqt, "Pass")
    assert missing.json()["errors"] == {
        "assessmentDate": ["Assessment date must be specified when outcome is Pass."]
    }
    future = itt_outcome(fake_dqt, "Pass", assessment_date="2999-01-01")
    assert future.json()["errors"] == {"assessmentDate": ["QTS date cannot be in the future."]}
