"""The Apply jobs, run by the ledger's runner in this process against the fake Apply over
HTTP (tests/browser/test_apply_reimport.py runs them in a real worker)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apply import jobs as apply_jobs
from apply.diagnosis import TITLES, classify
from apply.jobs import create_trainee, create_trainees, import_applications
from apply.models import ApplyApplicationSyncRequest
from jobs.diagnosis import diagnose
from jobs.models import Job
from regsupport.config import settings as app_settings
from tests.factories import ApplyApplicationFactory, ProviderFactory, TraineeFactory
from trainees.models import ApplyApplication, Trainee

from .conftest import LONG_AGO, YEAR, add_choice, run, run_all

pytestmark = pytest.mark.django_db

IMPORTABLE = ApplyApplication.State.IMPORTABLE
HEI = ApplyApplication.State.NON_IMPORTABLE_HEI
DUPLICATE = ApplyApplication.State.NON_IMPORTABLE_DUPLICATE


def import_now(**arguments):
    job = import_applications.enqueue(recruitment_cycle_years=[YEAR], **arguments)
    outcome = run(job)
    return job, outcome


def application(apply_id):
    return ApplyApplication.objects.get(apply_id=apply_id)


# --- import_applications_from_apply -------------------------------------------------------


def test_each_application_is_kept_with_its_payload_body_code_and_year(apply_on):
    apply_on.put_provider("2N2", provider_type="scitt")
    add_choice(apply_on, 101, first_name="Ava")
    add_choice(apply_on, 102, code="3EA", accredited_provider_code="2N2")

    assert import_now()[1] == "succeeded"
    assert run_all(apply_jobs.IMPORT_APPLICATION) == ["succeeded", "succeeded"]

    first, second = application(101), application(102)
    assert (first.accredited_body_code, first.recruitment_cycle_year, first.state) == (
        "2N2",
        YEAR,
        IMPORTABLE,
    )
    assert first.application["attributes"]["candidate"]["first_name"] == "Ava"
    assert second.accredited_body_code == "2N2"  # the accrediting provider's, not the trainer's
    assert first.history.first().history_change_reason == "Apply import"


@pytest.mark.parametrize("university", ["training", "accredited"])
def test_a_university_provider_makes_the_application_non_importable_hei(apply_on, university):
    apply_on.put_provider("1UN", provider_type="university")
    apply_on.put_provider("2N2", provider_type="scitt")
    if university == "training":
        add_choice(apply_on, 101, code="1UN", accredited_provider_code="2N2")
    else:
        add_choice(apply_on, 101, code="2N2", accredited_provider_code="1UN")

    import_now()
    run_all()

    assert application(101).state == HEI


def test_an_existing_non_importable_application_is_left_alone(apply_on):
    ApplyApplicationFactory(apply_id=101, state=DUPLICATE, application={"id": "101", "kept": True})
    add_choice(apply_on, 101)

    import_now()
    run_all()

    assert application(101).state == DUPLICATE
    assert application(101).application == {"id": "101", "kept": True}


def test_an_existing_importable_application_takes_the_new_payload(apply_on):
    ApplyApplicationFactory(apply_id=101, state=IMPORTABLE, accredited_body_code="OLD")
    add_choice(apply_on, 101)

    import_now()
    run_all()

    assert application(101).accredited_body_code == "2N2"


def test_every_page_is_read_and_one_successful_sync_is_logged(apply_on):
    for apply_id in range(1, 61):
        add_choice(apply_on, apply_id, updated_at=LONG_AGO + timedelta(seconds=apply_id))

    job, _ = import_now()

    pages = [c["query"]["page"] for c in apply_on.calls]
    assert pages == ["1", "2"]
    assert Job.objects.filter(task_name=apply_jobs.IMPORT_APPLICATION).count() == 60
    sync = ApplyApplicationSyncRequest.objects.get()
    assert (sync.recruitment_cycle_year, sync.successful, sync.response_code) == (YEAR, True, 200)


def test_changed_since_is_the_newest_successful_sync_of_that_year(apply_on):
    newest = timezone.now() - timedelta(days=1)
    for year, successful, when in [
        (YEAR, True, newest - timedelta(days=3)),
        (YEAR, True, newest),
        (YEAR, False, newest + timedelta(hours=2)),
        (YEAR + 1, True, newest + timedelta(hours=3)),
    ]:
        ApplyApplicationSyncRequest.objects.create(
            recruitment_cycle_year=year, successful=successful, response_code=200, created_at=when
        )
    add_choice(apply_on, 1, updated_at=newest - timedelta(hours=1))
    add_choice(apply_on, 2, updated_at=newest + timedelta(hours=1))

    import_now()

    query = apply_on.calls[0]["query"]
    assert query["changed_since"] == newest.replace(microsecond=0).isoformat().replace(
        "+00:00", "Z"
    )
    assert Job.objects.filter(task_name=apply_jobs.IMPORT_APPLICATION).count() == 1


def test_without_a_successful_sync_every_application_is_asked_for(apply_on):
    add_choice(apply_on, 1)

    import_now()

    assert "changed_since" not in apply_on.calls[0]["query"]


def test_the_jobs_do_nothing_while_the_flag_is_off(fake_apply):
    add_choice(fake_apply, 1)

    _, outcome = import_now()

    assert outcome == "succeeded"
    assert fake_apply.calls == []
    assert ApplyApplicationSyncRequest.objects.count() == 0


def test_apply_500_is_retried_then_dead_with_its_diagnosis(apply_on):
    add_choice(apply_on, 1)
    apply_on.fail_next(status=500, count=None)

    job, outcome = import_now()
    assert outcome == "retrying"
    job.max_attempts = 1
    job.state = Job.State.ENQUEUED
    job.save()
    assert run(job) == "dead"

    assert classify(job) == "server_error"
    assert diagnose(job).title == TITLES["server_error"]
    failed = ApplyApplicationSyncRequest.objects.filter(successful=False)
    assert [r.response_code for r in failed] == [500, 500]


def test_apply_401_is_dead_at_once_and_says_to_check_the_token(apply_on, monkeypatch):
    add_choice(apply_on, 1)
    monkeypatch.setenv("SETTINGS__RECRUITS_API__AUTH_TOKEN", "rotated-token")
    app_settings.reload()

    job, outcome = import_now()

    assert outcome == "dead"
    assert job.error_status == 401
    found = diagnose(job)
    assert found.title == "Apply refused our API token (401)"
    assert "recruits_api.auth_token" in found.explanation
    assert [a.label for a in found.actions] == ["Retry", "Discard"]
    assert ApplyApplicationSyncRequest.objects.get().response_code == 401


def test_a_slow_apply_times_out_and_the_job_retries(apply_on, monkeypatch):
    add_choice(apply_on, 1)
    monkeypatch.setenv("SETTINGS__RECRUITS_API__TIMEOUT_SECONDS", "0.5")
    app_settings.reload()
    apply_on.slow_down(seconds=3)

    job, outcome = import_now()

    assert outcome == "retrying"
    assert job.error_title == "Apply timed out"
    assert diagnose(job).title == "Apply did not answer"
    assert ApplyApplicationSyncRequest.objects.count() == 0


def test_a_malformed_application_is_kept_with_invalid_data_and_its_job_is_dead(apply_on):
    add_choice(apply_on, 1)
    add_choice(apply_on, 2, updated_at=LONG_AGO + timedelta(seconds=1))
    apply_on.malformed(apply_id=2)

    import_now()
    outcomes = run_all(apply_jobs.IMPORT_APPLICATION)

    assert sorted(outcomes) == ["dead", "succeeded"]
    kept = application(2)
    assert "no course details" in kept.invalid_data["import"]
    assert "course" not in kept.application["attributes"]
    assert (kept.accredited_body_code, kept.recruitment_cycle_year) == ("", None)
    dead = Job.objects.get(state=Job.State.DEAD)
    found = diagnose(dead)
    assert found.title == "Apply sent an application we cannot read"
    assert [a.label for a in found.actions] == ["Open the application", "Discard"]


# --- create_trainees_from_apply ------------------------------------------------------------


def imported(fake, apply_id, **fields):
    add_choice(fake, apply_id, **fields)
    import_now()
    run_all(apply_jobs.IMPORT_APPLICATION)
    return application(apply_id)


def test_a_draft_trainee_is_created_with_personal_diversity_and_course_data(apply_on, course):
    app = imported(
        apply_on,
        101,
        course_uuid=str(course.uuid),
        first_name="Ngozi",
        last_name="Okafor",
        date_of_birth="1997-02-03",
        email="ngozi@example.com",
        gender="female",
        nationality=["GB", "NG"],
        ethnic_group="Black, African, Black British or Caribbean",
        ethnic_background="Nigerian",
        disabilities=["Long-term illness"],
    )

    run(create_trainees.enqueue(recruitment_cycle_year=YEAR))
    assert run_all(apply_jobs.CREATE_TRAINEE) == ["succeeded"]

    trainee = Trainee.objects.get(apply_application=app)
    assert trainee.state == Trainee.State.DRAFT
    assert trainee.record_source == Trainee.RecordSource.APPLY
    assert trainee.application_choice_id == 101
    assert (trainee.first_names, trainee.last_name, trainee.email) == (
        "Ngozi",
        "Okafor",
        "ngozi@example.com",
    )
    assert trainee.date_of_birth == date(1997, 2, 3)
    assert trainee.sex == Trainee.Sex.FEMALE
    assert trainee.nationalities == ["GB", "NG"]
    assert trainee.ethnic_group == Trainee.EthnicGroup.BLACK
    assert (trainee.ethnic_background, trainee.additional_ethnic_background) == (
        "Another Black background",
        "Nigerian",
    )
    assert trainee.diversity_disclosure == Trainee.DiversityDisclosure.DISCLOSED
    assert trainee.disability_disclosure == Trainee.DisabilityDisclosure.DISABLED
    assert trainee.disabilities == ["Long-standing illness"]
    assert (str(trainee.course_uuid), trainee.training_route, trainee.course_min_age) == (
        str(course.uuid),
        course.route,
        11,
    )
    assert trainee.study_mode == Trainee.StudyMode.FULL_TIME
    app.refresh_from_db()
    assert app.state == ApplyApplication.State.IMPORTED
    assert trainee.history.first().history_change_reason == "Apply import: application 101"


def test_only_importable_applications_of_synced_providers_for_the_year_are_picked(
    apply_on, provider
):
    ProviderFactory(code="9NS", apply_sync_enabled=False)
    picked = ApplyApplicationFactory(accredited_body_code="2N2", recruitment_cycle_year=YEAR)
    ApplyApplicationFactory(accredited_body_code="9NS", recruitment_cycle_year=YEAR)
    ApplyApplicationFactory(accredited_body_code="2N2", recruitment_cycle_year=YEAR + 1)
    ApplyApplicationFactory(accredited_body_code="2N2", recruitment_cycle_year=YEAR, state=HEI)

    run(create_trainees.enqueue(recruitment_cycle_year=YEAR))

    made = Job.objects.filter(task_name=apply_jobs.CREATE_TRAINEE)
    assert [j.arguments["application_id"] for j in made] == [picked.pk]


def _kept_trainee(provider, course, **fields):
    values = {
        "provider": provider,
        "first_names": "Ngozi",
        "last_name": "Okafor",
        "date_of_birth": date(1997, 2, 3),
        "email": "other@example.com",
        "training_route": course.route,
        "itt_start_date": date(YEAR, 9, 1),
    }
    return TraineeFactory(**{**values, **fields})


@pytest.mark.parametrize(
    ("trainee_fields", "duplicate"),
    [
        ({}, True),  # same first name
        ({"first_names": "NGOZI Ada", "last_name": "OKAFOR"}, True),  # first word, any case
        ({"first_names": "Ngozi-Ada"}, False),  # Register drops the hyphen: "ngoziada"
        ({"first_names": "Ada", "email": "NGOZI@example.com"}, True),  # same email
        ({"first_names": "Ada"}, False),  # neither first name nor email
        ({"training_route": Trainee.TrainingRoute.SCHOOL_DIRECT_SALARIED}, False),
        ({"itt_start_date": date(YEAR + 1, 9, 1)}, False),  # starts a year later
        ({"date_of_birth": date(1997, 2, 4)}, False),
        ({"discarded_at": timezone.now()}, False),
    ],
)
def test_register_s_duplicate_rule(apply_on, provider, course, trainee_fields, duplicate):
    _kept_trainee(provider, course, **trainee_fields)
    app = imported(
        apply_on,
        101,
        course_uuid=str(course.uuid),
        first_name="Ngozi",
        last_name="Okafor",
        date_of_birth="1997-02-03",
        email="ngozi@example.com",
    )

    assert run(create_trainee.enqueue(application_id=app.pk)) == "succeeded"

    app.refresh_from_db()
    assert (app.state == DUPLICATE) is duplicate
    assert Trainee.objects.filter(apply_application=app).exists() is not duplicate


def test_a_missing_course_is_a_dead_job_the_console_explains(apply_on, provider):
    app = imported(apply_on, 101, course_uuid="00000000-0000-0000-0000-000000000000")

    job = create_trainee.enqueue(application_id=app.pk)
    assert run(job) == "dead"

    assert job.error_message == "Cannot find course with uuid: 00000000-0000-0000-0000-000000000000"
    found = diagnose(job)
    assert found.title == "The application's course is not in Register"
    assert ("Apply application", "101 (Importable)") in found.facts
    app.refresh_from_db()
    assert app.state == IMPORTABLE
    assert not Trainee.objects.exists()


def test_a_run_s_create_job_waits_until_its_imports_have_ended(apply_on, provider):
    from apply.services import apply_imports_start

    add_choice(apply_on, 1)
    run_record = apply_imports_start(recruitment_cycle_year=YEAR, reason="Ticket 5", actor=None)
    create = run_record.jobs.get(task_name=apply_jobs.CREATE_TRAINEES)

    assert run(create) == "rescheduled"
    importer = run_record.jobs.get(task_name=apply_jobs.IMPORT_APPLICATIONS)
    assert run(importer) == "succeeded"
    assert run_record.jobs.filter(task_name=apply_jobs.IMPORT_APPLICATION).count() == 1
    run_all(apply_jobs.IMPORT_APPLICATION)
    create.state = Job.State.ENQUEUED
    create.save()
    assert run(create) == "succeeded"
    assert run_record.jobs.filter(task_name=apply_jobs.CREATE_TRAINEE).count() == 1
