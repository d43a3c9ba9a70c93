"""The trainee form's progress box (a JSON object the column never holds as null)."""

import pytest

from tests.factories import TraineeFactory
from tests.regsupport.test_audit import _change_form_data

pytestmark = pytest.mark.django_db


def test_blanking_the_progress_box_saves_an_empty_progress_not_an_error(client, superuser):
    trainee = TraineeFactory(with_trn=True, progress={"personal_details": True})
    client.force_login(superuser)
    url = f"/admin/trainees/trainee/{trainee.pk}/change/"
    data = _change_form_data(client, url)
    data.update(progress="", change_reason="Provider asked to clear the progress")

    response = client.post(url, data)

    assert response.status_code == 302
    trainee.refresh_from_db()
    assert trainee.progress == {}
    assert trainee.history.first().history_change_reason == "Provider asked to clear the progress"
