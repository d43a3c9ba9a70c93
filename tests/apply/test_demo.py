"""`make run`'s Apply demo: the playbook's re-import of 2N2/2024 can be finished from it."""

import json

import pytest

from apply import jobs as apply_jobs
from apply.demo import seed_apply_demo
from apply.selectors import run_progress
from apply.services import apply_reimport
from jobs.models import Job
from trainees.models import ApplyApplication, Trainee

from .conftest import run_all

pytestmark = pytest.mark.django_db


def test_the_demo_holds_the_procedure_s_starting_point(tmp_path):
    state_file = tmp_path / "fake-apply.json"

    assert seed_apply_demo(fake_apply_state=state_file) is True
    assert seed_apply_demo(fake_apply_state=state_file) is False

    states = dict(
        ApplyApplication.objects.filter(accredited_body_code="2N2").values_list("apply_id", "state")
    )
    assert [k for k, v in states.items() if v == ApplyApplication.State.NON_IMPORTABLE_HEI] == [
        3001,
        3002,
        3003,
        3004,
    ]
    assert ApplyApplication.State.IMPORTABLE in states.values()
    assert ApplyApplication.State.NON_IMPORTABLE_DUPLICATE in states.values()
    held = ApplyApplication.objects.get(apply_id=3001)
    assert held.application["attributes"]["course"]["training_provider_type"] == "university"
    apply_side = json.loads(state_file.read_text())
    assert apply_side["providers"]["2N2"]["provider_type"] == "scitt"


def test_re_importing_the_demo_group_makes_three_trainees_and_one_duplicate(apply_on, tmp_path):
    state_file = tmp_path / "fake-apply.json"
    seed_apply_demo(fake_apply_state=state_file)
    apply_on.state.load(state_file)

    run = apply_reimport(
        accredited_body_code="2N2", recruitment_cycle_year=2024, reason="Ticket 42", actor=None
    )
    run_all()
    Job.objects.filter(task_name=apply_jobs.CREATE_TRAINEES).update(state=Job.State.ENQUEUED)
    run_all()

    progress = run_progress(run)
    assert progress.ended
    assert progress.counts == {
        "re-imported": 4,
        "trainees created": 3,
        "duplicates": 1,
        "still HEI": 0,
        "errors": 0,
    }
    priya = ApplyApplication.objects.get(apply_id=3004)
    assert priya.state == ApplyApplication.State.NON_IMPORTABLE_DUPLICATE
    created = Trainee.objects.filter(record_source=Trainee.RecordSource.APPLY)
    assert sorted(t.last_name for t in created) == ["Lee", "Osei", "Price"]
