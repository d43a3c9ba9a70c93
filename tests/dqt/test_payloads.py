"""What we send DQT for a trainee: one builder per request body."""

from datetime import UTC, date, datetime

import pytest

from dqt import payloads
from dqt.errors import TraineeMissingData
from tests.factories import ProviderFactory, TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

Route = Trainee.TrainingRoute
OPEN_UNIVERSITY = "5c9e1d2d-3fa2-e811-812b-5065f38ba241"
NO_UKPRN_INSTITUTION = "c4db7129-7042-e811-80ff-3863bb3640b8"  # closed 2005, no UKPRN


@pytest.fixture
def trainee():
    return TraineeFactory.build(
        first_names="Ann Marie",
        middle_names="",
        last_name="Lee",
        date_of_birth=date(1990, 1, 2),
        email="ann@example.com",
        sex=Trainee.Sex.FEMALE,
        provider=ProviderFactory.build(ukprn="10012345"),
        training_route=Route.PROVIDER_LED_POSTGRAD,
        state=Trainee.State.TRN_RECEIVED,
        trn="1234567",
        course_subject_one="mathematics",
        course_subject_two="physics",
        course_subject_three=None,
        course_min_age=11,
        course_max_age=16,
        itt_start_date=date(2026, 9, 1),
        itt_end_date=date(2027, 7, 31),
    )


def test_trn_request_has_registers_fields(trainee):
    body = payloads.trn_request(trainee)
    assert body["firstName"] == "Ann Marie"
    assert "middleName" not in body  # top-level nulls are dropped
    assert body["lastName"] == "Lee"
    assert body["birthDate"] == "1990-01-02"
    assert body["emailAddress"] == "ann@example.com"
    assert body["slugid"] == trainee.slug
    assert body["genderCode"] == "Female"
    assert set(body["address"].values()) == {None}
    assert "qualification" not in body


def test_trn_request_training_carries_provider_dates_ages_and_subject_codes(trainee):
    itt = payloads.trn_request(trainee)["initialTeacherTraining"]
    assert itt["providerUkprn"] == "10012345"
    assert itt["programmeStartDate"] == "2026-09-01"
    assert itt["programmeEndDate"] == "2027-07-31"
    assert itt["programmeType"] == "PrimaryAndSecondaryPostgraduateFeeFunded"
    assert (itt["subject1"], itt["subject2"], itt["subject3"]) == ("100403", "100425", None)
    assert (itt["ageRangeFrom"], itt["ageRangeTo"]) == (11, 16)


@pytest.mark.parametrize(
    ("route", "programme_type"),
    [
        (Route.ASSESSMENT_ONLY, "AssessmentOnlyRoute"),
        (Route.EARLY_YEARS_ASSESSMENT_ONLY, "EYITTAssessmentOnly"),
        (Route.EARLY_YEARS_POSTGRAD, "EYITTGraduateEntry"),
        (Route.EARLY_YEARS_SALARIED, "EYITTGraduateEmploymentBased"),
        (Route.EARLY_YEARS_UNDERGRAD, "EYITTUndergraduate"),
        (Route.HPITT_POSTGRAD, "HighPotentialITT"),
        (Route.OPT_IN_UNDERGRAD, "UndergraduateOptIn"),
        (Route.PG_TEACHING_APPRENTICESHIP, "Apprenticeship"),
        (Route.PROVIDER_LED_POSTGRAD, "PrimaryAndSecondaryPostgraduateFeeFunded"),
        (Route.PROVIDER_LED_UNDERGRAD, "PrimaryAndSecondaryUndergraduateFeeFunded"),
        (Route.SCHOOL_DIRECT_SALARIED, "SchoolDirectTrainingProgrammeSalaried"),
        (Route.SCHOOL_DIRECT_TUITION_FEE, "SchoolDirectTrainingProgramme"),
        (Route.IQTS, "InternationalQualifiedTeacherStatus"),
        (Route.TEACHER_DEGREE_APPRENTICESHIP, None),
    ],
)
def test_each_route_maps_to_registers_programme_type(trainee, route, programme_type):
    trainee.training_route = route
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["programmeType"] == (
        programme_type
    )


def test_iqts_sends_its_qualification_type(trainee):
    trainee.training_route = Route.IQTS
    itt = payloads.trn_request(trainee)["initialTeacherTraining"]
    assert itt["ittQualificationType"] == "InternationalQualifiedTeacherStatus"


@pytest.mark.parametrize(
    ("sex", "code"),
    [
        (Trainee.Sex.MALE, "Male"),
        (Trainee.Sex.FEMALE, "Female"),
        (Trainee.Sex.OTHER, "Other"),
        (Trainee.Sex.PREFER_NOT_TO_SAY, "NotProvided"),
        (Trainee.Sex.SEX_NOT_PROVIDED, "NotAvailable"),
    ],
)
def test_sex_maps_to_dqts_gender_code(trainee, sex, code):
    trainee.sex = sex
    assert payloads.trn_request(trainee)["genderCode"] == code


def test_every_demo_subject_has_a_hecos_code(trainee):
    from regsupport.demo import SUBJECTS

    for subject in [*SUBJECTS, "early years teaching"]:
        trainee.course_subject_one = subject
        code = payloads.trn_request(trainee)["initialTeacherTraining"]["subject1"]
        assert code.isdigit() and len(code) == 6, subject


def test_pseudo_codes_for_subjects_hecos_lacks(trainee):
    trainee.course_subject_one = "Citizenship"
    trainee.course_subject_two = "Physical education"
    trainee.course_subject_three = "Design and technology"
    itt = payloads.trn_request(trainee)["initialTeacherTraining"]
    assert (itt["subject1"], itt["subject2"], itt["subject3"]) == ("999001", "999002", "999003")


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("Ancient Hebrew", "101117"),
        ("art and design", "101361"),
        ("child development", "100456"),
        ("Japanese language", "101169"),
    ],
)
def test_registers_subject_names_that_used_to_go_as_text_get_their_codes(trainee, subject, code):
    trainee.course_subject_one = subject
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["subject1"] == code


@pytest.mark.parametrize(
    "subject", ["science", "Underwater basket weaving", "citizenship", "Mathematics", "100403"]
)
def test_a_name_register_could_not_map_is_sent_as_null(trainee, subject):
    # Register matched the exact name: another case, an unknown name or a code gave null.
    trainee.course_subject_one = subject
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["subject1"] is None


def test_degree_institution_is_sent_as_its_ukprn(trainee):
    trainee.degree_institution_uuid = OPEN_UNIVERSITY
    qualification = payloads.trn_request(trainee)["qualification"]
    assert qualification["providerUkprn"] == "10007773"
    assert qualification["countryCode"] == "XK"


def test_degree_institution_without_a_ukprn_sends_none(trainee):
    trainee.degree_institution_uuid = NO_UKPRN_INSTITUTION
    assert payloads.trn_request(trainee)["qualification"]["providerUkprn"] is None


def test_update_sends_in_training_for_a_trainee_with_a_trn(trainee):
    body = payloads.update(trainee)
    assert body["trn"] == "1234567"
    assert body["initialTeacherTraining"]["outcome"] == "InTraining"
    assert "firstName" not in body and "birthDate" not in body


def test_update_sends_under_assessment_for_assessment_only(trainee):
    trainee.training_route = Route.ASSESSMENT_ONLY
    assert payloads.update(trainee)["initialTeacherTraining"]["outcome"] == "UnderAssessment"


def test_update_sends_deferred_for_a_deferred_trainee(trainee):
    trainee.state = Trainee.State.DEFERRED
    assert payloads.update(trainee)["initialTeacherTraining"]["outcome"] == "Deferred"


@pytest.mark.parametrize(
    "state",
    [Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.AWARDED, Trainee.State.WITHDRAWN],
)
def test_update_sends_no_outcome_for_completed_trainees(trainee, state):
    trainee.state = state
    assert "outcome" not in payloads.update(trainee)["initialTeacherTraining"]


def test_update_sends_personal_details_only_when_dqt_allows_them(trainee):
    body = payloads.update(trainee, include_personal_details=True)
    assert (body["firstName"], body["lastName"], body["genderCode"]) == (
        "Ann Marie",
        "Lee",
        "Female",
    )
    assert "dateOfBirth" not in body


def test_withdrawal_names_the_provider_and_outcome(trainee):
    assert payloads.withdrawal(trainee) == {"ittProviderUkprn": "10012345", "outcome": "Withdrawn"}


def test_award_sends_pass_with_the_recommendation_date(trainee):
    trainee.recommended_for_award_at = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    assert payloads.award(trainee) == {
        "ittProviderUkprn": "10012345",
        "outcome": "Pass",
        "assessmentDate": "2026-07-15",
    }


def test_award_without_a_recommendation_date_is_refused(trainee):
    trainee.recommended_for_award_at = None
    with pytest.raises(TraineeMissingData, match="without a recommendation date"):
        payloads.award(trainee)
