"""The playbook's RetrieveTeacher / FindTeacher from the shell, against the fake DQT."""

import pytest

from dqt.errors import FindTeacherError, TeacherNotFound, TraineeMissingTrn
from dqt.lookups import find_teacher, retrieve_teacher
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db


def test_retrieve_teacher_returns_dqts_record(fake_dqt):
    trainee = TraineeFactory(with_trn=True, last_name="Okafor")
    fake_dqt.add_teacher_for(trainee)
    record = retrieve_teacher(trainee)
    assert record["trn"] == trainee.trn
    assert record["lastName"] == "Okafor"


def test_retrieve_teacher_accepts_a_slug(fake_dqt):
    trainee = TraineeFactory(with_trn=True)
    fake_dqt.add_teacher_for(trainee)
    assert retrieve_teacher(trainee.slug)["trn"] == trainee.trn


def test_retrieve_teacher_without_a_trn_points_to_find_teacher(fake_dqt):
    trainee = TraineeFactory(submitted=True)
    with pytest.raises(TraineeMissingTrn, match=r"has no TRN yet.*find_teacher"):
        retrieve_teacher(trainee)
    assert fake_dqt.calls == []


def test_retrieve_teacher_says_when_the_trn_is_unknown_or_inactive(fake_dqt):
    trainee = TraineeFactory(with_trn=True)
    fake_dqt.add_teacher_for(trainee, active=False)
    with pytest.raises(TeacherNotFound, match=f"no active teacher with TRN {trainee.trn}"):
        retrieve_teacher(trainee)


def test_find_teacher_returns_the_one_match(fake_dqt):
    trainee = TraineeFactory(submitted=True, first_names="Ann Marie", last_name="Lee")
    record = fake_dqt.add_teacher_for(trainee, trn="2999999")
    assert find_teacher(trainee)["trn"] == record["trn"]


def test_find_teacher_with_no_match_names_the_trainee(fake_dqt):
    trainee = TraineeFactory(submitted=True)
    with pytest.raises(
        FindTeacherError, match=f"No teachers found in DQT for trainee {trainee.pk}"
    ):
        find_teacher(trainee)


def test_find_teacher_with_several_matches_lists_their_trns(fake_dqt):
    trainee = TraineeFactory(submitted=True)
    fake_dqt.add_teacher_for(trainee, trn="2999998")
    fake_dqt.add_teacher_for(trainee, trn="2999999")
    with pytest.raises(FindTeacherError, match=r"Multiple teachers found.*2999998, 2999999"):
        find_teacher(trainee)
