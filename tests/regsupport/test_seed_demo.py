import pytest
from django.core.management import call_command

from providers.models import LeadPartner, Provider, ProviderUser
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def demo_trainees():
    """The generated trainees, without the two the Apply demo's provider keyed in."""
    return Trainee.objects.exclude(provider__code="2N2")


def test_seed_demo_creates_a_console_worth_exploring(capsys):
    call_command("seed_demo")
    # The three of the trainee demo, and Northern Nine SCITT of the Apply demo (apply/demo.py).
    assert Provider.objects.filter(accredited=True).count() == 4
    assert LeadPartner.objects.count() == 2
    assert ProviderUser.objects.exists()
    assert demo_trainees().count() == 300
    assert set(Trainee.objects.values_list("state", flat=True)) == set(Trainee.State.values)
    assert set(Trainee.objects.values_list("training_route", flat=True)) == set(
        Trainee.TrainingRoute.values
    )
    withdrawn = Trainee.objects.filter(state=Trainee.State.WITHDRAWN)
    assert withdrawn.exists()
    assert all(t.withdrawal_reasons.exists() and t.withdraw_date for t in withdrawn)
    assert not Trainee.objects.filter(state=Trainee.State.AWARDED, awarded_at__isnull=True).exists()
    assert "admin / admin-demo" in capsys.readouterr().out


def test_seed_demo_runs_once(capsys):
    call_command("seed_demo", trainees=20)
    call_command("seed_demo", trainees=20)
    assert demo_trainees().count() == 20
    assert "already present" in capsys.readouterr().out


def test_withdrawn_demo_trainees_have_a_previous_state_in_history():
    call_command("seed_demo", trainees=60)
    trainee = Trainee.objects.filter(state=Trainee.State.WITHDRAWN).first()
    states = list(trainee.history.order_by("history_date").values_list("state", flat=True))
    assert states[0] in (Trainee.State.TRN_RECEIVED, Trainee.State.DEFERRED)
    assert states[-1] == Trainee.State.WITHDRAWN


def test_demo_data_from_before_the_dqt_jobs_gets_its_dead_jobs_on_the_next_run():
    from jobs.models import Job

    call_command("seed_demo", trainees=100)
    Job.objects.all().delete()
    call_command("seed_demo", trainees=100)
    assert Job.objects.filter(task_name__startswith="dqt.", state="dead").count() >= 8
    assert demo_trainees().count() == 100


def test_the_demo_shows_every_support_tool(tmp_path, capsys):
    from dqt import jobs as dqt_jobs
    from dqt.fake.state import FakeDqtState
    from dqt.models import TrnRequest
    from dqt.selectors import pending_awards, pending_trns
    from jobs.models import Job
    from trainees.services import parse_duplicates_csv, trainees_remove_duplicates

    state_file = tmp_path / "fake-dqt.json"
    call_command("seed_demo", fake_dqt_state=state_file)
    out = capsys.readouterr().out

    # Duplicates to remove, and the CSV that removes them.
    csv_text = out[out.index("trainee_id,email") :]
    removal = trainees_remove_duplicates(
        rows=parse_duplicates_csv(csv_text), reason="demo", actor=None, dry_run=True
    )
    assert len(removal.discarded) == 3
    # A deleted record, with Register's reason, to restore.
    (deleted,) = Trainee.objects.discarded()
    assert deleted.history.first().history_change_reason.startswith(
        "Trainee did not start training: "
    )
    # Pending TRNs: none asked, DQT reviewing, DQT has given a TRN, DQT refused.
    pending = list(pending_trns())
    requests = {t.pk: getattr(t, "dqt_trn_request", None) for t in pending}
    assert any(r is None for r in requests.values())
    states = [r.state for r in requests.values() if r is not None]
    assert states.count(TrnRequest.State.REQUESTED) >= 2
    assert TrnRequest.State.FAILED in states
    dqt = FakeDqtState()
    dqt.load(state_file)
    assigned = [r for r in dqt.trn_request_list() if r.get("trn")]
    waiting = [r for r in requests.values() if r and r.state == TrnRequest.State.REQUESTED]
    assert {str(r.request_id) for r in waiting} & {r["requestId"] for r in assigned}
    polling = Job.objects.filter(
        task_name=dqt_jobs.RETRIEVE_TRN, state="scheduled", trainee__in=pending
    )
    assert polling.count() >= 2
    # Pending awards: a dead award job, and trainees whose award job has not failed.
    recommended = list(pending_awards())
    dead_awards = Job.objects.filter(
        task_name=dqt_jobs.RECOMMEND_FOR_AWARD, state="dead", trainee__in=recommended
    )
    assert dead_awards.exists()
    assert len(recommended) > dead_awards.count()
