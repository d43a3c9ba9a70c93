"""The Apply pages of the console: failed Apply jobs in the dead-jobs console, starting the
imports, a run waiting for the Apply team, the trainee's link, and the beat schedule."""

import csv
import io

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse

from apply import jobs as apply_jobs
from apply.models import ImportRun
from apply.tasks import create_trainees_from_apply, import_applications_from_apply
from jobs.models import Job
from regsupport.config import settings as app_settings
from tests.factories import ApplyApplicationFactory, TraineeFactory
from trainees.models import ApplyApplication

from .conftest import YEAR, add_choice, run

pytestmark = pytest.mark.django_db


def _dead_401(fake, monkeypatch):
    add_choice(fake, 1)
    monkeypatch.setenv("SETTINGS__RECRUITS_API__AUTH_TOKEN", "rotated-token")
    app_settings.reload()
    job = apply_jobs.import_applications.enqueue(recruitment_cycle_years=[YEAR])
    assert run(job) == "dead"
    return job


def test_a_dead_apply_job_is_listed_explained_and_downloadable(agent_client, apply_on, monkeypatch):
    job = _dead_401(apply_on, monkeypatch)

    listing = agent_client.get("/admin/jobs/deadjob/").content.decode()
    assert f'<a href="/admin/jobs/deadjob/{job.pk}/change/">' in listing
    assert "Apply refused our API token (401)" in listing
    page = agent_client.get(reverse("admin:jobs_deadjob_change", args=[job.pk])).content.decode()
    assert "SETTINGS__RECRUITS_API__AUTH_TOKEN" in page
    assert reverse("admin:jobs_deadjob_retry", args=[job.pk]) in page
    response = agent_client.get(
        reverse("admin:jobs_deadjob_csv"), {"task_name": apply_jobs.IMPORT_APPLICATIONS}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["job_id"] for r in rows] == [str(job.pk)]
    assert rows[0]["error_message"].startswith("status: 401, body: ")


def test_the_agent_starts_both_imports_for_a_year_and_lands_on_the_run(agent_client, apply_on):
    response = agent_client.post(
        reverse("admin:apply_importrun_start_imports"),
        {"year": "2025", "reason": "Nightly import failed, ticket 7"},
        follow=True,
    )

    run_record = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/apply/importrun/{run_record.pk}/change/"
    assert (run_record.recruitment_cycle_year, run_record.reason) == (
        2025,
        "Nightly import failed, ticket 7",
    )
    assert sorted(run_record.jobs.values_list("task_name", flat=True)) == [
        apply_jobs.CREATE_TRAINEES,
        apply_jobs.IMPORT_APPLICATIONS,
    ]
    assert '<meta http-equiv="refresh" content="2">' in response.content.decode()


def test_starting_the_imports_is_refused_while_the_flag_is_off(agent_client, fake_apply):
    response = agent_client.post(
        reverse("admin:apply_importrun_start_imports"), {"year": "2025", "reason": "x"}, follow=True
    )

    assert "import_applications_from_apply is off" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_run_waiting_for_the_apply_team_shows_the_ids_and_starts_on_request(
    agent_client, apply_on, monkeypatch
):
    monkeypatch.setenv("SETTINGS__RECRUITS_API__TOUCH_URL", "")
    app_settings.reload()
    for apply_id in (101, 102):
        ApplyApplicationFactory(apply_id=apply_id, state=ApplyApplication.State.NON_IMPORTABLE_HEI)
    agent_client.post(
        "/admin/trainees/applyapplication/",
        {
            "action": "reimport_from_apply",
            "_selected_action": list(ApplyApplication.objects.values_list("pk", flat=True)),
            "confirm": "yes",
            "reason": "Publish fixed",
        },
    )
    run_record = ImportRun.objects.get()

    page = agent_client.get(f"/admin/apply/importrun/{run_record.pk}/change/").content.decode()
    assert "Waiting for the Apply team" in page
    assert "101, 102" in page
    assert "http-equiv" not in page

    agent_client.post(reverse("admin:apply_importrun_start", args=[run_record.pk]))

    run_record.refresh_from_db()
    assert run_record.started_at is not None
    assert run_record.jobs.count() == 2


def test_the_trainee_page_links_its_apply_application(agent_client):
    application = ApplyApplicationFactory(apply_id=777, state=ApplyApplication.State.IMPORTED)
    trainee = TraineeFactory(apply_application=application, application_choice_id=777)

    page = agent_client.get(reverse("admin:trainees_trainee_change", args=[trainee.pk]))

    link = reverse("admin:trainees_applyapplication_change", args=[application.pk])
    assert f'<a href="{link}" id="apply-application-link">Apply application 777</a>' in (
        page.content.decode()
    )


def test_beat_starts_the_two_jobs_daily_at_one_and_four_utc(db):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_TIMEZONE == "UTC"
    assert schedule["import-applications-from-apply"]["schedule"] == crontab(minute=0, hour=1)
    assert schedule["create-trainees-from-apply"]["schedule"] == crontab(minute=0, hour=4)

    import_applications_from_apply()
    create_trainees_from_apply()

    assert sorted(Job.objects.values_list("task_name", "queue")) == [
        (apply_jobs.CREATE_TRAINEES, "apply"),
        (apply_jobs.IMPORT_APPLICATIONS, "apply"),
    ]
