"""Data DQT would refuse is refused before it is saved: on the trainee form, in the
services, in the reason boxes, and a DQT fix only for a job whose diagnosis offers it."""

from datetime import date, timedelta

import pytest

from dqt import jobs as dqt_jobs
from dqt import services as dqt_services
from dqt.errors import DqtFixError
from jobs.models import Job
from regsupport.audit import clean_reason, has_visible_characters
from regsupport.errors import ReasonRequired
from tests.factories import JobFactory, LeadPartnerFactory, ProviderFactory, TraineeFactory
from tests.regsupport.test_audit import _change_form_data
from trainees.errors import TraineeError
from trainees.models import Trainee, latest_outcome_date
from trainees.services import trainee_create_for_former_provider, trainee_update

pytestmark = pytest.mark.django_db

TODAY = latest_outcome_date()


def _years_ago(years: int, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - years) - timedelta(days=days)


def _post_edit(client, trainee, **changes):
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(change_reason="Provider sent new details", **changes)
    return client.post(url, data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trn": "123456"}, "A TRN is 7 digits"),
        ({"trn": "12345678"}, "at most 7 characters"),
        ({"trn": "12345a7"}, "A TRN is 7 digits"),
        ({"trn": "١٢٣٤٥٦٧"}, "A TRN is 7 digits"),
        ({"date_of_birth": str(TODAY)}, "Enter a date of birth that is in the past"),
        ({"date_of_birth": str(_years_ago(16) + timedelta(days=1))}, "younger than 16"),
        ({"date_of_birth": "1939-12-31"}, "before 1 January 1940"),
        (
            {"itt_start_date": "2026-09-01", "itt_end_date": "2026-09-01"},
            "The expected end date must be after the start date",
        ),
        (
            {"itt_start_date": "2026-09-01", "itt_end_date": "2026-06-30"},
            "The expected end date must be after the start date",
        ),
        ({"course_min_age": "11", "course_max_age": "20"}, "Age must be 0-19 inclusive."),
        (
            {"course_min_age": "16", "course_max_age": "11"},
            "The maximum age cannot be less than the minimum age",
        ),
    ],
)
def test_the_trainee_form_refuses_what_dqt_would_refuse(client, superuser, changes, message):
    trainee = TraineeFactory(with_trn=True)
    before = Trainee.objects.filter(pk=trainee.pk).values().get()
    client.force_login(superuser)

    response = _post_edit(client, trainee, **changes)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Trainee.objects.filter(pk=trainee.pk).values().get() == before


def test_the_form_takes_the_edges_dqt_accepts(client, superuser):
    trainee = TraineeFactory(with_trn=True)
    client.force_login(superuser)

    response = _post_edit(
        client,
        trainee,
        trn="0123456",
        date_of_birth=str(_years_ago(16)),
        itt_start_date="2026-09-01",
        itt_end_date="2026-09-02",
        course_min_age="0",
        course_max_age="0",
    )

    assert response.status_code == 302
    trainee.refresh_from_db()
    assert (trainee.trn, trainee.date_of_birth, trainee.course_max_age) == (
        "0123456",
        _years_ago(16),
        0,
    )


def test_the_update_service_refuses_a_bad_trn_and_saves_nothing():
    trainee = TraineeFactory(with_trn=True)
    trn = trainee.trn
    trainee.trn = "12 34"

    with pytest.raises(TraineeError, match="TRN: A TRN is 7 digits.*Nothing was changed"):
        trainee_update(trainee=trainee, reason="Typo", actor=None)

    assert Trainee.objects.get(pk=trainee.pk).trn == trn


def test_the_update_service_refuses_an_end_date_before_the_start():
    trainee = TraineeFactory(with_trn=True)
    trainee.itt_end_date = trainee.itt_start_date - timedelta(days=1)

    with pytest.raises(TraineeError, match="ITT end date: The expected end date"):
        trainee_update(trainee=trainee, reason="Dates", actor=None)


def test_a_service_is_not_refused_over_old_data_it_does_not_touch():
    trainee = TraineeFactory(with_trn=True)
    Trainee.objects.filter(pk=trainee.pk).update(course_min_age=18, course_max_age=11)
    trainee.refresh_from_db()
    trainee.email = "still-editable@example.com"

    assert trainee_update(trainee=trainee, reason="Email", actor=None) == {"email"}


def test_adding_a_previous_trainee_refuses_a_date_of_birth_before_1940():
    provider = ProviderFactory(name="Fenwick SCITT", accredited=False)
    lead_partner = LeadPartnerFactory(
        name="Fenwick SCITT", record_type="scitt", urn=None, ukprn=provider.ukprn, provider=provider
    )
    with pytest.raises(TraineeError, match="before 1 January 1940"):
        trainee_create_for_former_provider(
            lead_partner=lead_partner,
            first_names="Ada",
            last_name="Lovelace",
            date_of_birth=date(1935, 12, 10),
            email="",
            reason="Ticket 1",
            actor=None,
        )
    assert not Trainee.objects.filter(last_name="Lovelace").exists()


@pytest.mark.parametrize(
    "reason",
    ["", "   ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u200b \u3164 \u2800 \u00a0"],
)
def test_a_reason_of_only_invisible_characters_is_refused(reason):
    assert not has_visible_characters(reason)
    with pytest.raises(ReasonRequired):
        clean_reason(reason)


def test_a_reason_with_a_visible_character_is_kept_as_given():
    assert clean_reason("\u200b Ticket 42 ") == "\u200b Ticket 42"
    assert clean_reason("é") == "é"


def test_the_change_form_refuses_a_zero_width_reason(client, superuser):
    trainee = TraineeFactory(with_trn=True, email="old@example.com")
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(email="new@example.com", change_reason="\u200b\u200b")

    response = client.post(url, data)

    assert "Give a reason for this change." in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.email == "old@example.com"


def test_a_fix_page_refuses_a_zero_width_reason(agent_client):
    from tests.factories import withdrawn_trainee

    trainee = withdrawn_trainee()
    response = agent_client.post(
        f"/admin/trainees/trainee/{trainee.pk}/unwithdraw/",
        {"confirm": "yes", "reason": "\u2060"},
    )

    assert "Give a reason." in response.content.decode()
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.WITHDRAWN


def _dead_subject_not_found():
    return JobFactory(
        dead=True,
        task_name=dqt_jobs.UPDATE_TRAINEE,
        error_status=400,
        error_code=None,
        error_title="One or more validation errors occurred.",
        error_fields={"initialTeacherTraining.subject1": ["Subject not found"]},
    )


def test_a_dqt_fix_the_diagnosis_does_not_offer_is_refused(superuser):
    job = _dead_subject_not_found()
    born = job.trainee.date_of_birth

    with pytest.raises(DqtFixError, match="Subject not found on DQT.*Nothing was changed"):
        dqt_services.dqt_fix_date_of_birth_and_retry(
            job=job, date_of_birth=date(1990, 1, 1), reason="Wrong fix", actor=superuser
        )

    job.refresh_from_db()
    assert job.state == Job.State.DEAD
    assert Trainee.objects.get(pk=job.trainee_id).date_of_birth == born


def test_the_page_of_a_dqt_fix_the_diagnosis_does_not_offer_refuses(client, superuser):
    job = _dead_subject_not_found()
    client.force_login(superuser)

    response = client.get(f"/admin/dqt/jobs/{job.pk}/fix-date-of-birth/", follow=True)

    assert "This fix does not apply to job" in response.content.decode()
    assert "Fix the date of birth and retry" not in response.content.decode()


def test_fix_date_of_birth_refuses_a_date_dqt_would_refuse(superuser):
    job = JobFactory(dead=True, task_name=dqt_jobs.UPDATE_TRAINEE)

    with pytest.raises(TraineeError, match="younger than 16"):
        dqt_services.dqt_fix_date_of_birth_and_retry(
            job=job, date_of_birth=_years_ago(10), reason="DQT said so", actor=superuser
        )
    job.refresh_from_db()
    assert job.state == Job.State.DEAD
