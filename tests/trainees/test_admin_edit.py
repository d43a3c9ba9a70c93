"""Editing a trainee in the admin goes through the update service: reason kept, DQT told."""

from datetime import date

import pytest

from dqt import jobs as dqt_jobs
from jobs.models import Job
from tests.factories import TraineeFactory
from tests.regsupport.test_audit import _change_form_data
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


def test_an_admin_edit_of_a_field_dqt_holds_enqueues_an_update(dqt_on, client, superuser):
    trainee = TraineeFactory(with_trn=True, course_subject_one="mathematics")
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(course_subject_one="physics", change_reason="Provider corrected the subject")

    response = client.post(url, data)

    assert response.status_code == 302
    trainee.refresh_from_db()
    assert trainee.course_subject_one == "physics"
    assert trainee.history.first().history_change_reason == "Provider corrected the subject"
    assert Job.objects.filter(trainee=trainee, task_name=dqt_jobs.UPDATE_TRAINEE).count() == 1


def test_the_state_cannot_be_edited_on_the_form(client, superuser):
    trainee = TraineeFactory(with_trn=True)
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="state"' not in page
    data = _change_form_data(client, url)
    data.update(state=str(Trainee.State.AWARDED.value), change_reason="Trying")
    client.post(url, data)
    trainee.refresh_from_db()
    assert trainee.state == Trainee.State.TRN_RECEIVED


def test_the_form_takes_the_hesa_id_iqts_country_and_trainee_start_date(client, superuser):
    trainee = TraineeFactory(with_trn=True, training_route=Trainee.TrainingRoute.IQTS)
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(
        hesa_id="1234567890123",
        iqts_country="South Korea",
        trainee_start_date="2026-09-15",
        change_reason="Provider sent the international details",
    )

    assert client.post(url, data).status_code == 302

    trainee.refresh_from_db()
    assert (trainee.hesa_id, trainee.iqts_country, str(trainee.trainee_start_date)) == (
        "1234567890123",
        "South Korea",
        "2026-09-15",
    )


def test_an_iqts_country_dqt_cannot_name_is_refused_on_the_form(client, superuser):
    trainee = TraineeFactory(with_trn=True, training_route=Trainee.TrainingRoute.IQTS)
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(iqts_country="Atlantis", change_reason="Typo")

    page = client.post(url, data).content.decode()

    assert "&#x27;Atlantis&#x27; is not a country DQT knows" in page
    trainee.refresh_from_db()
    assert trainee.iqts_country == ""


def test_the_outcome_date_is_shown_but_not_editable(client, superuser):
    from tests.factories import awarded_trainee

    trainee = awarded_trainee(recommended_only=True, outcome_date=date(2026, 11, 2))
    client.force_login(superuser)
    page = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()
    assert 'name="outcome_date"' not in page
    assert "2 November 2026" in page
