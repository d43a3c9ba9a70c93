import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jobs import diagnosis
from jobs.diagnosis import Diagnosis, DiagnosisAction
from jobs.models import Job
from tests.factories import JobFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_the_command_retries_the_filtered_dead_jobs_and_says_how_many(superuser, capsys):
    four_oh_fives = JobFactory.create_batch(2, dead=True, error_status=405)
    other = JobFactory(dead=True)
    call_command(
        "dead_jobs",
        "--status",
        "405",
        "--retry",
        "--actor",
        "root",
        "--reason",
        "DQT fixed the 405s",
    )
    assert "2 jobs will be retried" in capsys.readouterr().out
    assert {j.pk for j in four_oh_fives} == set(
        Job.objects.filter(state="enqueued").values_list("pk", flat=True)
    )
    other.refresh_from_db()
    assert other.state == "dead"


def test_the_command_refuses_when_nothing_is_dead(superuser):
    with pytest.raises(CommandError, match="None of these jobs is dead"):
        call_command(
            "dead_jobs", "--status", "418", "--retry", "--actor", "root", "--reason", "teapot"
        )


def test_the_command_needs_a_reason_to_change_jobs(superuser):
    JobFactory(dead=True)
    with pytest.raises(CommandError, match="--reason"):
        call_command("dead_jobs", "--retry", "--actor", "root")
    assert Job.objects.filter(state="dead").count() == 1


def test_the_command_changes_jobs_only_for_an_active_staff_actor():
    StaffUserFactory(username="visitor", is_staff=False)
    JobFactory(dead=True)
    with pytest.raises(CommandError, match="No active staff user with username 'visitor'"):
        call_command("dead_jobs", "--retry", "--actor", "visitor", "--reason", "x")
    assert Job.objects.filter(state="dead").count() == 1


def test_a_registered_diagnosis_shows_on_the_list_and_the_job_page(agent_client, monkeypatch):
    monkeypatch.setattr(diagnosis, "_diagnosers", [])

    def date_of_birth_mismatch(job, *, detailed=True):
        if job.error_code == 10001:
            return Diagnosis(
                title="Date of birth differs from DQT",
                explanation="DQT matches trainees on TRN and date of birth.",
                facts=[("Register date of birth", "1995-04-12")],
                actions=[DiagnosisAction("Compare with DQT", "/admin/")],
            )
        return None

    def broken(job, *, detailed=True):
        raise RuntimeError("a bug in a diagnoser")

    diagnosis.register(broken)
    diagnosis.register(date_of_birth_mismatch)
    job = JobFactory(dead=True)
    listing = agent_client.get("/admin/jobs/deadjob/").content.decode()
    assert "Date of birth differs from DQT" in listing
    page = agent_client.get(reverse("admin:jobs_deadjob_change", args=[job.pk])).content.decode()
    assert "DQT matches trainees on TRN and date of birth." in page
    assert "Compare with DQT" in page
