"""What we send DQT for a trainee: one builder per request body."""

from datetime import UTC, date, datetime

import pytest

from dqt import payloads
from dqt.errors import NoDqtProgrammeType, TraineeMissingData, UnknownIqtsCountry
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
    assert "husid" not in body  # no HESA id


def test_trn_request_keys_are_in_registers_order_with_the_husid(trainee):
    trainee.middle_names = "Jo"
    trainee.hesa_id = "1712345678901"
    body = payloads.trn_request(trainee)
    assert list(body) == [
        "firstName",
        "middleName",
        "lastName",
        "birthDate",
        "emailAddress",
        "slugid",
        "address",
        "husid",
        "genderCode",
        "initialTeacherTraining",
    ]
    assert body["husid"] == "1712345678901"


def test_names_over_dqts_length_limits_are_sent_whole_as_register_did(trainee):
    trainee.first_names = "A" * 120
    trainee.last_name = "B" * 101
    body = payloads.trn_request(trainee)
    assert (body["firstName"], body["lastName"]) == ("A" * 120, "B" * 101)
    update = payloads.update(trainee, include_personal_details=True)
    assert (update["firstName"], update["lastName"]) == ("A" * 120, "B" * 101)


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


@pytest.mark.parametrize(("country", "code"), [("Ireland", "IE"), ("South Korea", "KR")])
def test_iqts_sends_the_training_country_code(trainee, country, code):
    trainee.training_route = Route.IQTS
    trainee.iqts_country = country
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["trainingCountryCode"] == code
    assert payloads.update(trainee)["initialTeacherTraining"]["trainingCountryCode"] == code


def test_a_trainee_without_an_iqts_country_sends_no_training_country(trainee):
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["trainingCountryCode"] is None


def test_an_iqts_country_without_a_code_is_refused_before_calling_dqt(trainee):
    trainee.training_route = Route.IQTS
    trainee.iqts_country = "Atlantis"
    with pytest.raises(UnknownIqtsCountry, match="no country code for the IQTS country"):
        payloads.check_sendable(trainee)


def test_the_teacher_degree_apprenticeship_is_refused_before_calling_dqt(trainee):
    trainee.training_route = Route.TEACHER_DEGREE_APPRENTICESHIP
    with pytest.raises(NoDqtProgrammeType) as error:
        payloads.check_sendable(trainee)
    assert error.value.title == "No DQT programme type for the training route"
    assert "no programme type for Teacher degree apprenticeship" in str(error.value)
    assert error.value.transient is False


def test_every_other_route_can_be_sent(trainee):
    for route in Route:
        if route != Route.TEACHER_DEGREE_APPRENTICESHIP:
            trainee.training_route = route
            payloads.check_sendable(trainee)


@pytest.mark.parametrize(
    ("route", "study_mode", "end"),
    [
        # Register's spec (trn_request_spec.rb, "itt_end_date is missing") from 1 Sep 2026.
        (Route.PROVIDER_LED_UNDERGRAD, Trainee.StudyMode.PART_TIME, "2032-07-01"),
        (Route.SCHOOL_DIRECT_TUITION_FEE, Trainee.StudyMode.PART_TIME, "2028-07-01"),
        (Route.PROVIDER_LED_UNDERGRAD, Trainee.StudyMode.FULL_TIME, "2029-07-01"),
        (Route.SCHOOL_DIRECT_TUITION_FEE, Trainee.StudyMode.FULL_TIME, "2027-07-01"),
        (Route.OPT_IN_UNDERGRAD, Trainee.StudyMode.FULL_TIME, "2028-07-01"),
        (Route.SCHOOL_DIRECT_TUITION_FEE, None, "2027-07-01"),
    ],
)
def test_a_missing_itt_end_date_sends_registers_estimated_end_date(trainee, route, study_mode, end):
    trainee.itt_end_date = None
    trainee.training_route = route
    trainee.study_mode = study_mode
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["programmeEndDate"] == end


def test_the_estimate_starts_from_the_trainee_start_date_and_keeps_to_the_month(trainee):
    trainee.itt_end_date = None
    trainee.trainee_start_date = date(2026, 4, 30)
    trainee.study_mode = Trainee.StudyMode.FULL_TIME
    # 30 April + 10 months: February has no 30th, so its last day (Rails' months).
    assert payloads.update(trainee)["initialTeacherTraining"]["programmeEndDate"] == "2027-02-28"


def test_without_any_start_or_end_date_the_end_date_is_sent_empty(trainee):
    trainee.itt_start_date = trainee.itt_end_date = None
    assert payloads.trn_request(trainee)["initialTeacherTraining"]["programmeEndDate"] is None


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
    assert "firstName" not in body and "dateOfBirth" not in body


def test_update_sends_registers_keys_nulls_included(trainee):
    body = payloads.update(trainee)
    assert list(body) == ["trn", "husid", "initialTeacherTraining", "qualification"]
    assert (body["husid"], body["qualification"]) == (None, None)
    trainee.hesa_id = "1712345678901"
    assert payloads.update(trainee)["husid"] == "1712345678901"


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


def test_update_sends_personal_details_with_the_date_of_birth_when_dqt_allows_them(trainee):
    body = payloads.update(trainee, include_personal_details=True)
    assert list(body)[4:] == [
        "firstName",
        "middleName",
        "lastName",
        "emailAddress",
        "genderCode",
        "dateOfBirth",
    ]
    assert (body["firstName"], body["lastName"], body["genderCode"], body["dateOfBirth"]) == (
        "Ann Marie",
        "Lee",
        "Female",
        "1990-01-02",
    )


def test_withdrawal_names_the_provider_and_outcome(trainee):
    assert payloads.withdrawal(trainee) == {"ittProviderUkprn": "10012345", "outcome": "Withdrawn"}


def test_award_sends_pass_with_the_outcome_date_not_the_recommendation_day(trainee):
    trainee.recommended_for_award_at = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    trainee.outcome_date = date(2026, 7, 1)
    assert payloads.award(trainee) == {
        "ittProviderUkprn": "10012345",
        "outcome": "Pass",
        "assessmentDate": "2026-07-01",
    }


def test_award_without_an_outcome_date_is_refused(trainee):
    trainee.recommended_for_award_at = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    trainee.outcome_date = None
    with pytest.raises(TraineeMissingData, match="without an outcome date"):
        payloads.award(trainee)
