from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import ApplyApplicationFactory, TraineeFactory
from trainees.errors import TraineeError, TraineeStateError
from trainees.models import Trainee

S = Trainee.State
ALLOWED = {
    "submit_for_trn": {S.DRAFT, S.DEFERRED},
    "recommend_for_award": {S.TRN_RECEIVED},
    "withdraw": {S.SUBMITTED_FOR_TRN, S.TRN_RECEIVED, S.DEFERRED},
    "defer": {S.SUBMITTED_FOR_TRN, S.TRN_RECEIVED},
}
TARGET = {
    "submit_for_trn": S.SUBMITTED_FOR_TRN,
    "recommend_for_award": S.RECOMMENDED_FOR_AWARD,
    "withdraw": S.WITHDRAWN,
    "defer": S.DEFERRED,
}
CASES = [(event, state) for event in ALLOWED for state in S]
ARGUMENTS = {"recommend_for_award": (date(2026, 7, 1),)}


@pytest.mark.parametrize(("event", "state"), CASES)
def test_transition_guards_follow_the_reference(event, state):
    trainee = Trainee(state=state, first_names="A", last_name="B")
    arguments = ARGUMENTS.get(event, ())
    if state in ALLOWED[event]:
        getattr(trainee, event)(*arguments)
        assert trainee.state == TARGET[event]
    else:
        with pytest.raises(TraineeStateError, match=f"Cannot {event.replace('_', ' ')}"):
            getattr(trainee, event)(*arguments)
        assert trainee.state == state


@pytest.mark.parametrize("state", list(S))
def test_award_only_from_recommended_for_award(state):
    trainee = Trainee(state=state, first_names="A", last_name="B")
    when = datetime(2026, 7, 1, tzinfo=UTC)
    if state == S.RECOMMENDED_FOR_AWARD:
        trainee.award(when)
        assert (trainee.state, trainee.awarded_at) == (S.AWARDED, when)
    else:
        with pytest.raises(TraineeStateError):
            trainee.award(when)
        assert trainee.state == state
        assert trainee.awarded_at is None


def test_award_without_a_date_is_refused():
    trainee = Trainee(state=S.RECOMMENDED_FOR_AWARD)
    with pytest.raises(TraineeStateError, match="award date is missing"):
        trainee.award()
    assert trainee.state == S.RECOMMENDED_FOR_AWARD


def test_illegal_transition_message_names_the_current_and_allowed_states():
    trainee = Trainee(state=S.AWARDED)
    with pytest.raises(TraineeStateError) as error:
        trainee.withdraw()
    assert "the trainee is awarded" in str(error.value)
    assert "Submitted for TRN, TRN received, Deferred" in str(error.value)


def test_submit_for_trn_stamps_the_time():
    trainee = Trainee(state=S.DRAFT)
    trainee.submit_for_trn()
    assert trainee.submitted_for_trn_at is not None


@pytest.mark.django_db
def test_submit_for_trn_clears_the_apply_applications_invalid_data():
    application = ApplyApplicationFactory(invalid_data={"degrees": {"subject": "Basket weaving"}})
    trainee = TraineeFactory(apply_application=application)
    trainee.submit_for_trn()
    application.refresh_from_db()
    assert application.invalid_data is None
    assert application.history.first().history_change_reason == "Trainee submitted for TRN"


def test_recommend_for_award_stamps_the_time_and_keeps_the_outcome_date():
    trainee = Trainee(state=S.TRN_RECEIVED, itt_start_date=date(2025, 9, 1))
    trainee.recommend_for_award(date(2026, 7, 1))
    assert trainee.recommended_for_award_at is not None
    assert trainee.outcome_date == date(2026, 7, 1)


def test_an_outcome_date_of_today_or_the_itt_start_is_accepted():
    today = timezone.localdate()
    for outcome_date in (today, date(2025, 9, 1), "2025-09-01"):
        trainee = Trainee(state=S.TRN_RECEIVED, itt_start_date=date(2025, 9, 1))
        trainee.recommend_for_award(outcome_date)
        assert trainee.state == S.RECOMMENDED_FOR_AWARD


@pytest.mark.parametrize(
    ("outcome_date", "message"),
    [
        (None, "Enter an outcome date"),
        ("", "Enter an outcome date"),
        ("2026-02-30", "Enter a valid outcome date"),
        ("tomorrow", "Enter a valid outcome date"),
        ("future", "Outcome date must be in the past"),
        (date(2025, 8, 31), "The date must not be before the ITT start date"),
    ],
)
def test_recommend_for_award_refuses_an_outcome_date_register_refuses(outcome_date, message):
    if outcome_date == "future":
        outcome_date = timezone.localdate() + timedelta(days=1)
    trainee = Trainee(state=S.TRN_RECEIVED, itt_start_date=date(2025, 9, 1))
    with pytest.raises(TraineeError) as error:
        trainee.recommend_for_award(outcome_date)
    assert str(error.value) == message
    assert (trainee.state, trainee.outcome_date, trainee.recommended_for_award_at) == (
        S.TRN_RECEIVED,
        None,
        None,
    )


@pytest.mark.parametrize("state", [S.SUBMITTED_FOR_TRN, S.TRN_RECEIVED])
def test_receive_trn_moves_to_trn_received_and_stores_the_trn(state):
    trainee = Trainee(state=state)
    trainee.receive_trn("1234567")
    assert (trainee.state, trainee.trn) == (S.TRN_RECEIVED, "1234567")


@pytest.mark.parametrize("state", [S.DEFERRED, S.WITHDRAWN])
def test_receive_trn_keeps_deferred_and_withdrawn_states(state):
    trainee = Trainee(state=state)
    trainee.receive_trn("1234567")
    assert (trainee.state, trainee.trn) == (state, "1234567")


def test_receive_trn_never_overwrites_an_existing_trn():
    trainee = Trainee(state=S.SUBMITTED_FOR_TRN, trn="7654321")
    trainee.receive_trn("1234567")
    assert trainee.trn == "7654321"


def test_receive_trn_without_any_trn_is_refused():
    trainee = Trainee(state=S.SUBMITTED_FOR_TRN)
    with pytest.raises(TraineeStateError, match="none was given"):
        trainee.receive_trn()


@pytest.mark.parametrize("state", [S.DRAFT, S.RECOMMENDED_FOR_AWARD, S.AWARDED])
def test_receive_trn_is_refused_from_other_states(state):
    trainee = Trainee(state=state)
    with pytest.raises(TraineeStateError):
        trainee.receive_trn("1234567")
    assert trainee.trn == ""
