"""Editing a trainee in the admin goes through the update service: reason kept, DQT told."""

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
