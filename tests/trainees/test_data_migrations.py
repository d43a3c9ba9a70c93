"""Issue 11 §1's data migrations: training initiative and study mode store Register's
integers, and a row written with the old integers reads the same after migrating; trainees
already recommended or awarded get an outcome date."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ProviderFactory
from trainees.models import Trainee

# Register's ROUTE_INITIATIVES (config/initializers/training_routes.rb) and
# TRAINEE_STUDY_MODE_ENUMS (config/initializers/course_study_modes.rb).
REGISTER_INITIATIVES = {
    "future_teaching_scholars": 0,
    "maths_physics_chairs_programme_researchers_in_schools": 1,
    "now_teach": 2,
    "transition_to_teach": 3,
    "no_initiative": 4,
    "troops_to_teachers": 5,
    "veterans_teaching_undergraduate_bursary": 6,
    "international_relocation_payment": 7,
    "abridged_itt_course": 8,
    "primary_mathematics_specialist": 9,
    "additional_itt_place_for_pe_with_a_priority_subject": 10,
}
REGISTER_STUDY_MODES = {"part_time": 0, "full_time": 1}

BEFORE_REGISTER_INTEGERS = ("trainees", "0003_playbook_permission_moves_to_regsupport")
BEFORE_OUTCOME_DATE = ("trainees", "0004_register_integers")


def _migrate(target):
    """Migrate the test database to ``target`` (a list of nodes) and return its models."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _old_trainee(apps, **fields):
    provider = ProviderFactory()
    return apps.get_model("trainees", "Trainee").objects.create(
        first_names="Old", last_name="Row", provider_id=provider.pk, **fields
    )


def _old_history_row(apps, trainee, **fields):
    fields.setdefault("state", 0)
    return apps.get_model("trainees", "HistoricalTrainee").objects.create(
        id=trainee.pk,
        first_names="Old",
        last_name="Row",
        slug=trainee.slug,
        provider_id=trainee.provider_id,
        progress={},
        created_at=trainee.created_at,
        updated_at=trainee.updated_at,
        history_date=trainee.created_at,
        history_type="+",
        **fields,
    )


def test_initiatives_and_study_modes_are_registers_integers():
    assert {i.name.lower(): i.value for i in Trainee.TrainingInitiative} == REGISTER_INITIATIVES
    assert {m.name.lower(): m.value for m in Trainee.StudyMode} == REGISTER_STUDY_MODES


# Migrating commits each step, so these tests need a transactional database.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("old_initiative", "meaning"),
    [
        (0, Trainee.TrainingInitiative.TRANSITION_TO_TEACH),
        (1, Trainee.TrainingInitiative.NOW_TEACH),
        (2, Trainee.TrainingInitiative.MATHS_PHYSICS_CHAIRS_PROGRAMME_RESEARCHERS_IN_SCHOOLS),
        (3, Trainee.TrainingInitiative.FUTURE_TEACHING_SCHOLARS),
        (4, Trainee.TrainingInitiative.NO_INITIATIVE),
        (7, Trainee.TrainingInitiative.INTERNATIONAL_RELOCATION_PAYMENT),
        (8, Trainee.TrainingInitiative.PRIMARY_MATHEMATICS_SPECIALIST),
    ],
)
def test_a_stored_training_initiative_keeps_its_meaning(old_initiative, meaning):
    old = _migrate([BEFORE_REGISTER_INTEGERS])
    row = _old_trainee(old, training_initiative=old_initiative)
    _old_history_row(old, row, training_initiative=old_initiative)

    _migrate(_latest())

    trainee = Trainee.objects.get(pk=row.pk)
    assert trainee.training_initiative == meaning
    assert trainee.history.get().training_initiative == meaning


@pytest.mark.django_db(transaction=True)
def test_a_stored_study_mode_keeps_its_meaning():
    old = _migrate([BEFORE_REGISTER_INTEGERS])
    full_time = _old_trainee(old, study_mode=0)  # the old FULL_TIME
    part_time = _old_trainee(old, study_mode=1)  # the old PART_TIME
    _old_history_row(old, full_time, study_mode=0)

    _migrate(_latest())

    assert Trainee.objects.get(pk=full_time.pk).get_study_mode_display() == "Full time"
    assert Trainee.objects.get(pk=part_time.pk).get_study_mode_display() == "Part time"
    assert Trainee.objects.get(pk=full_time.pk).history.get().study_mode == (
        Trainee.StudyMode.FULL_TIME
    )


@pytest.mark.django_db(transaction=True)
def test_recommended_and_awarded_trainees_get_an_outcome_date():
    old = _migrate([BEFORE_OUTCOME_DATE])
    # 23:30 UTC on 1 July is 2 July in London, the day the console showed.
    recommended_at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    awarded_at = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)
    recommended = _old_trainee(old, state=3, recommended_for_award_at=recommended_at)
    awarded = _old_trainee(
        old, state=6, recommended_for_award_at=recommended_at, awarded_at=awarded_at
    )
    in_training = _old_trainee(old, state=2)
    _old_history_row(
        old, awarded, state=6, recommended_for_award_at=recommended_at, awarded_at=awarded_at
    )

    _migrate(_latest())

    assert Trainee.objects.get(pk=recommended.pk).outcome_date == date(2026, 7, 2)
    assert Trainee.objects.get(pk=awarded.pk).outcome_date == date(2026, 7, 20)
    assert Trainee.objects.get(pk=in_training.pk).outcome_date is None
    assert Trainee.objects.get(pk=awarded.pk).history.get().outcome_date == date(2026, 7, 20)
