"""Register beside DQT, and the message for DQT's "Organisation not found"."""

from datetime import UTC, date, datetime

import pytest

from dqt import payloads
from dqt.comparison import compare_with_dqt, differences, organisation_not_found_message
from dqt.fake.state import teacher_from_trn_request
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db

OPEN_UNIVERSITY = "5c9e1d2d-3fa2-e811-812b-5065f38ba241"
NO_UKPRN_INSTITUTION = "c4db7129-7042-e811-80ff-3863bb3640b8"


def dqt_record_of(trainee, **changes):
    """DQT's GET teacher answer for the record DQT would have made from our TRN request."""
    from dqt.fake.state import FakeDqtState

    state = FakeDqtState()
    record = teacher_from_trn_request(payloads.trn_request(trainee), trn=trainee.trn or "2000001")
    record.update(changes)
    stored = state.put_teacher(record)
    return state.get_teacher(stored["trn"], {"includeInactive": "true"}).body


@pytest.fixture
def trainee():
    return TraineeFactory(with_trn=True, first_names="Ann Marie", last_name="Lee")


def test_a_trainee_matches_the_record_dqt_made_from_it(trainee):
    rows = compare_with_dqt(trainee, dqt_record_of(trainee))
    assert [row.field for row in rows] == [
        "Given names",
        "Last name",
        "Date of birth",
        "Programme type",
        "ITT start date",
        "ITT end date",
        "Provider UKPRN",
        "Training result",
        "QTS date",
    ]
    assert differences(rows) == []


def test_a_different_date_of_birth_is_shown_side_by_side(trainee):
    rows = differences(compare_with_dqt(trainee, dqt_record_of(trainee, dateOfBirth="1980-02-03")))
    assert [(r.field, r.register_value, r.dqt_value) for r in rows] == [
        ("Date of birth", trainee.date_of_birth.isoformat(), "1980-02-03")
    ]


def test_names_match_regardless_of_case_and_spacing(trainee):
    record = dqt_record_of(trainee, firstName="ANN", middleName="marie", lastName=" lee ")
    assert differences(compare_with_dqt(trainee, record)) == []


def test_an_award_on_both_sides_with_the_same_date_matches(trainee):
    trainee.awarded_at = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
    assert (
        differences(compare_with_dqt(trainee, dqt_record_of(trainee, qtsDate="2026-07-15"))) == []
    )


def test_an_award_only_on_dqt_is_a_difference(trainee):
    rows = differences(compare_with_dqt(trainee, dqt_record_of(trainee, qtsDate="2026-07-15")))
    assert [(r.field, r.register_value, r.dqt_value) for r in rows] == [
        ("QTS date", None, "2026-07-15")
    ]


def test_early_years_trainees_compare_the_eyts_date(trainee):
    trainee.training_route = payloads.Route.EARLY_YEARS_POSTGRAD
    trainee.awarded_at = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
    rows = compare_with_dqt(trainee, dqt_record_of(trainee, eytsDate="2026-07-15"))
    assert rows[-1].field == "EYTS date" and rows[-1].matches


def test_training_at_another_provider_shows_dqts_values_missing(trainee):
    record = dqt_record_of(
        trainee,
        initialTeacherTraining=[{"providerUkprn": "10099999", "programmeType": "Core"}],
    )
    by_field = {r.field: r for r in compare_with_dqt(trainee, record)}
    assert by_field["Provider UKPRN"].dqt_value is None
    assert not by_field["Provider UKPRN"].matches
    assert by_field["ITT start date"].register_value == "2026-09-01"


def test_organisation_message_names_the_institution_and_its_ukprn(trainee):
    trainee.degree_institution_uuid = OPEN_UNIVERSITY
    message = organisation_not_found_message(trainee)
    assert "The Open University, UKPRN 10007773" in message
    assert OPEN_UNIVERSITY in message
    assert trainee.trn in message and trainee.slug in message


def test_organisation_message_when_the_institution_has_no_ukprn(trainee):
    trainee.degree_institution_uuid = NO_UKPRN_INSTITUTION
    message = organisation_not_found_message(trainee)
    assert "has no UKPRN in the DfE reference data" in message


def test_organisation_message_without_a_degree_institution_points_at_the_provider(trainee):
    message = organisation_not_found_message(trainee)
    assert f"training provider's UKPRN ({trainee.provider.ukprn})" in message


def test_organisation_message_for_an_institution_outside_the_reference_data(trainee):
    trainee.degree_institution_uuid = "00000000-0000-0000-0000-000000000000"
    assert "not in the DfE reference data" in organisation_not_found_message(trainee)


def test_dates_compare_as_iso_strings(trainee):
    trainee.itt_end_date = date(2027, 6, 30)
    rows = {
        r.field: r
        for r in compare_with_dqt(
            trainee,
            dqt_record_of(
                trainee,
                initialTeacherTraining=[
                    {
                        "providerUkprn": trainee.provider.ukprn,
                        "programmeType": "PrimaryAndSecondaryPostgraduateFeeFunded",
                        "programmeStartDate": "2026-09-01",
                        "programmeEndDate": "2027-07-31",
                    }
                ],
            ),
        )
    }
    assert (rows["ITT end date"].register_value, rows["ITT end date"].dqt_value) == (
        "2027-06-30",
        "2027-07-31",
    )
