"""Each known DQT error, as the demo seeds it, gets its diagnosis and its fix buttons."""

from datetime import date

import pytest
from django.core.management import call_command

from dqt import diagnosis
from dqt import jobs as dqt_jobs
from dqt.fixes import FixDateOfBirth
from dqt.lookups import retrieve_teacher
from jobs import runner
from jobs.models import Job
from jobs.services import job_retry
from regsupport.dates import uk_date

pytestmark = pytest.mark.django_db

EXPECTED = {
    diagnosis.SERVER_ERROR: ("DQT server error", ["Retry"]),
    diagnosis.NOT_FOUND: ("DQT cannot find the teacher", ["Retry"]),
    diagnosis.NO_QTS: ("Teacher has no QTS record", ["Retry", "Discard"]),
    diagnosis.NO_INCOMPLETE_ITT: ("Teacher has no incomplete ITT record", ["Retry"]),
    diagnosis.MULTIPLE_ITT: ("Teacher has multiple incomplete ITT records", ["Retry"]),
    diagnosis.ORGANISATION_NOT_FOUND: (
        "Degree organisation not found",
        ["Retry (after DQT added it)"],
    ),
    diagnosis.SUBJECT_NOT_FOUND: ("Subject not found on DQT", ["Open the trainee", "Retry"]),
    diagnosis.ALREADY_QTS: ("Teacher already has QTS/EYTS date", ["Discard (race condition)"]),
    diagnosis.UNWITHDRAW_TO_DEFERRED: (
        "DQT will not take a withdrawn training to deferred",
        ["Retry", "Discard"],
    ),
    diagnosis.PROGRAMME_TYPE_CHANGE: (
        "DQT cannot change the programme type",
        ["Change training route", "Retry", "Discard"],
    ),
    diagnosis.NO_PROGRAMME_TYPE: (
        "No DQT programme type for the training route",
        ["Change training route", "Discard"],
    ),
    diagnosis.UNKNOWN_IQTS_COUNTRY: (
        "No DQT country code for the IQTS country",
        ["Correct the IQTS country", "Retry"],
    ),
    diagnosis.MISSING_TRN: ("Update without a TRN", ["Re-register and poll", "Poll again"]),
    diagnosis.UNKNOWN_TRN_REQUEST: (
        "DQT does not know the TRN request",
        ["Re-register and poll", "Discard"],
    ),
    diagnosis.POLL_TIMED_OUT: ("TRN poll timed out", ["Poll again until"]),
}


@pytest.fixture
def seeded(fake_dqt, tmp_path, settings):
    """The demo with its dead jobs, and the fake DQT holding the records they died against
    (as `make run`'s fake DQT does)."""
    # The demo's three logins, hashed the production way, would take most of the seeding.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", trainees=100, fake_dqt_state=tmp_path / "dqt.json")
    fake_dqt.state.load(tmp_path / "dqt.json")
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
    assert uk_date(registered) in page
    assert "The dates of birth differ" in page
    assert "Fix date of birth and retry" in page


def test_a_trn_dqt_holds_no_active_teacher_for_is_said_to_be_inactive(seeded, developer_client):
    job = Job.objects.filter(error_code=10001, task_name=dqt_jobs.WITHDRAW_TRAINEE).first()
    page = developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "the TRN is inactive, or merged into another, on DQT&#x27;s side" in page
    assert "Fix date of birth" not in page


def test_award_10005_offers_award_on_register_only_where_dqt_holds_the_award(
    seeded, developer_client
):
    pages = [
        developer_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
        for job in Job.objects.filter(error_code=10005, task_name=dqt_jobs.RECOMMEND_FOR_AWARD)
    ]
    awarded_on_dqt = [page for page in pages if "DQT already holds the QTS award" in page]
    withdrawn_on_dqt = [page for page in pages if "DQT has this training withdrawn" in page]
    assert len(awarded_on_dqt) == len(withdrawn_on_dqt) == 1
    assert "Award on Register only" in awarded_on_dqt[0]
    assert "Award on Register only" not in withdrawn_on_dqt[0]
    assert "Undo award" in withdrawn_on_dqt[0]
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


def _retried(job):
    job_retry(job=job, actor=None, reason="Plain retry")
    runner.run(job.pk)
    job.refresh_from_db()
    return job.state


def test_a_demo_date_of_birth_mismatch_fails_again_until_the_fix_is_applied(seeded, dqt_on):
    job = Job.objects.get(error_code=10001, task_name=dqt_jobs.UPDATE_TRAINEE)
    assert _retried(job) == Job.State.DEAD

    dqt_date = retrieve_teacher(job.trainee)["dateOfBirth"]
    FixDateOfBirth().apply(
        job,
        reason="DQT holds the right date",
        actor=None,
        date_of_birth=date.fromisoformat(dqt_date),
    )
    assert runner.run(job.pk) == "succeeded"


def test_a_demo_missing_qts_registration_fails_again_until_dqt_adds_it(seeded, dqt_on):
    job = Job.objects.get(error_code=10006)
    assert _retried(job) == Job.State.DEAD

    # The DQT team restores the trainee-teacher registration.
    dqt_on.update_teacher_record(job.trainee.trn, qtsRegistrations=[{"teacherStatus": "211"}])

    assert _retried(job) == Job.State.SUCCEEDED
