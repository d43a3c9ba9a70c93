"""Each known DQT error, as the demo seeds it, gets its diagnosis and its fix buttons."""

import pytest
from django.core.management import call_command

from dqt import diagnosis
from dqt import jobs as dqt_jobs
from dqt.fake.register_mirror import mirror_register_trainees
from jobs.models import Job

pytestmark = pytest.mark.django_db

EXPECTED = {
    diagnosis.SERVER_ERROR: ("DQT server error", ["Retry"]),
    diagnosis.NOT_FOUND: ("DQT cannot find the teacher", ["Fix date of birth and retry", "Retry"]),
    diagnosis.NO_QTS: ("Teacher has no QTS record", ["Retry", "Discard"]),
    diagnosis.NO_INCOMPLETE_ITT: ("Teacher has no incomplete ITT record", ["Retry"]),
    diagnosis.ORGANISATION_NOT_FOUND: (
        "Degree organisation not found",
        ["Retry (after DQT added it)"],
    ),
    diagnosis.ALREADY_QTS: ("Teacher already has QTS/EYTS date", ["Discard (race condition)"]),
    diagnosis.MISSING_TRN: ("Update without a TRN", ["Re-register and poll", "Poll again"]),
    diagnosis.POLL_TIMED_OUT: ("TRN poll timed out", ["Poll again until"]),
}


@pytest.fixture
def seeded(fake_dqt):
    call_command("seed_demo", trainees=100)
    mirror_register_trainees(fake_dqt.state)
    return {job.pk: diagnosis.classify(job) for job in Job.objects.filter(state=Job.State.DEAD)}


def test_the_demo_has_a_dead_job_of_every_known_kind(seeded):
    assert set(seeded.values()) == set(EXPECTED)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_kind_shows_its_diagnosis_and_fix_on_the_job_page(seeded, kind, developer_client):
    title, buttons = EXPECTED[kind]
    job_id = next(pk for pk, k in seeded.items() if k == kind)
    page = developer_client.get(f"/admin/jobs/job/{job_id}/change/").content.decode()
    assert 'id="diagnosis"' in page
    assert title in page
    for button in buttons:
        assert button in page


def test_repeated_server_errors_say_speak_with_dqt(seeded, developer_client):
    job = Job.objects.filter(error_status=500, attempts=5).first()
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "speak with DQT" in page


def test_a_date_of_birth_mismatch_shows_both_dates(seeded, developer_client):
    job = Job.objects.filter(error_code=10001, task_name=dqt_jobs.UPDATE_TRAINEE).first()
    registered = job.trainee.history.order_by("history_date").first().date_of_birth
    assert registered != job.trainee.date_of_birth
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "Register&#x27;s date of birth" in page
    assert registered.isoformat() in page
    assert "The dates of birth differ" in page


def test_a_date_of_birth_mismatch_with_equal_dates_suspects_an_inactive_trn(
    seeded, developer_client
):
    job = Job.objects.filter(error_code=10001, task_name=dqt_jobs.WITHDRAW_TRAINEE).first()
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "the TRN may be inactive" in page


def test_award_10005_offers_award_on_register_only(seeded, developer_client):
    job = Job.objects.get(error_code=10005, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "Award on Register only" in page
    other = Job.objects.get(error_code=10005, task_name=dqt_jobs.WITHDRAW_TRAINEE)
    assert (
        "Award on Register only"
        not in developer_client.get(f"/admin/jobs/job/{other.pk}/change/").content.decode()
    )


def test_organisation_not_found_names_the_institution_and_its_ukprn(seeded, developer_client):
    job = next(
        Job.objects.get(pk=pk) for pk, k in seeded.items() if k == diagnosis.ORGANISATION_NOT_FOUND
    )
    from dqt.reference_data import degree_institution

    institution = degree_institution(job.trainee.degree_institution_uuid)
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert institution.name in page
    assert institution.ukprn in page


def test_the_dead_jobs_list_shows_diagnosis_titles_without_calling_dqt(
    seeded, fake_dqt, developer_client
):
    calls_before = len(fake_dqt.calls)
    page = developer_client.get("/admin/jobs/deadjob/").content.decode()
    assert "TRN poll timed out" in page
    # A diagnosis that says more than DQT's title is shown under it.
    assert "DQT cannot find the teacher (404, 10001)" in page
    assert "Degree organisation not found on DQT" in page
    assert len(fake_dqt.calls) == calls_before


def test_the_diagnosis_page_opens_while_dqt_is_down(seeded, developer_client, monkeypatch):
    from regsupport.config import settings as app_settings

    monkeypatch.setenv("SETTINGS__DQT__BASE_URL", "http://127.0.0.1:9/")
    app_settings.reload()
    job = Job.objects.filter(error_code=10001).first()
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/")
    assert page.status_code == 200
    assert "DQT lookup failed" in page.content.decode()
