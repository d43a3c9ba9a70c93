"""`run_fake_dqt --from-register`: the fake holds what DQT would for Register's trainees."""

from datetime import UTC, datetime

import pytest

from dqt.fake.register_mirror import mirror_register_trainees
from dqt.fake.state import FakeDqtState
from tests.factories import TraineeFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def test_trainees_with_a_trn_are_on_dqt_in_training():
    trainee = TraineeFactory(with_trn=True)
    TraineeFactory(submitted=True)  # no TRN yet: not on DQT
    state = FakeDqtState()
    assert mirror_register_trainees(state) == 1
    record = state.teacher(trainee.trn)
    assert record["dateOfBirth"] == trainee.date_of_birth.isoformat()
    assert record["slugId"] == trainee.slug
    assert record["initialTeacherTraining"][0]["result"] == "InTraining"


def test_awarded_trainees_have_their_qts_date_on_dqt():
    trainee = TraineeFactory(
        with_trn=True,
        state=Trainee.State.AWARDED,
        awarded_at=datetime(2026, 7, 15, 9, 0, tzinfo=UTC),
    )
    state = FakeDqtState()
    mirror_register_trainees(state)
    record = state.teacher(trainee.trn)
    assert record["qtsDate"] == "2026-07-15"
    assert record["initialTeacherTraining"][0]["result"] == "Pass"
    assert record["qtsRegistrations"][0]["teacherStatus"] == "71"  # qualified teacher (trained)


def test_withdrawn_trainees_are_withdrawn_on_dqt():
    trainee = TraineeFactory(with_trn=True, state=Trainee.State.WITHDRAWN)
    state = FakeDqtState()
    mirror_register_trainees(state)
    record = state.teacher(trainee.trn)
    assert record["initialTeacherTraining"][0]["result"] == "Withdrawn"
    # A withdrawal on DQT clears the registration's status; the registration stays.
    assert record["qtsRegistrations"] == [
        {"teacherStatus": None, "earlyYearsStatus": None, "qtsDate": None, "eytsDate": None}
    ]


def test_discarded_trainees_are_left_out():
    TraineeFactory(with_trn=True, discarded_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert mirror_register_trainees(FakeDqtState()) == 0


@pytest.mark.django_db
def test_dqt_keeps_the_date_of_birth_it_was_registered_with():
    from datetime import date

    from dqt.fake.register_mirror import dqt_record_for

    trainee = TraineeFactory(with_trn=True, date_of_birth=date(1990, 3, 4))
    trainee.date_of_birth = date(1990, 3, 5)
    trainee.save_with_reason("Provider corrected the date of birth")
    assert dqt_record_for(trainee)["dateOfBirth"] == "1990-03-04"
