"""DQT errors carry what the job ledger and the old console idioms read."""

import pickle

import pytest

from dqt.errors import (
    DqtConnectionError,
    DqtHttpError,
    DqtNoAwardDateError,
    DqtTimeout,
    FindTeacherError,
    TraineeAwardMissingTrn,
    TraineeUpdateMissingTrn,
)
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db

BODY_10005 = '{"title":"Teacher has no incomplete ITT record","status":400,"errorCode":10005}'


def test_http_error_text_is_registers_client_message():
    error = DqtHttpError(status=400, body=BODY_10005)
    assert str(error) == f"status: 400, body: {BODY_10005}, headers: {{}}"
    assert (error.status, error.error_code, error.title) == (
        400,
        10005,
        "Teacher has no incomplete ITT record",
    )
    assert error.field_errors == {}


def test_headers_are_printed_as_ruby_printed_httpartys():
    error = DqtHttpError(
        status=404,
        body="",
        headers={"Content-Type": "application/problem+json; charset=utf-8", "X-Note": 'a "b"'},
    )
    assert str(error) == (
        'status: 404, body: , headers: {"content-type" => '
        '["application/problem+json; charset=utf-8"], "x-note" => ["a \\"b\\""]}'
    )


def test_registers_way_of_reading_the_body_back_still_works():
    # Register's Dqt::BaseFindJobs: error.split("body: ").last.split(", headers:").first
    message = str(DqtHttpError(status=400, body=BODY_10005, headers={"Date": "today"}))
    assert message.split("body: ")[-1].split(", headers:")[0] == BODY_10005
    assert message.startswith("status: 400")


def test_http_error_with_a_body_that_is_not_json_keeps_the_raw_text():
    error = DqtHttpError(status=502, body="<html>Bad gateway</html>")
    assert error.body == "<html>Bad gateway</html>"
    assert (error.title, error.error_code, error.field_errors) == (None, None, {})
    assert error.transient is True


@pytest.mark.parametrize(
    ("status", "transient"),
    [(400, False), (404, False), (405, False), (429, True), (500, True), (503, True)],
)
def test_only_server_errors_and_rate_limits_are_transient(status, transient):
    assert DqtHttpError(status=status, body="").transient is transient


def test_network_errors_are_transient():
    assert DqtTimeout("slow").transient is True
    assert DqtConnectionError("refused").transient is True


def test_missing_trn_errors_name_the_trainee_and_are_not_transient():
    trainee = TraineeFactory(submitted=True)
    update = TraineeUpdateMissingTrn(trainee)
    assert str(update) == (
        f"Cannot update trainee on DQT without a trn (id: {trainee.pk})\nslug: {trainee.slug}"
    )
    award = TraineeAwardMissingTrn(trainee)
    assert str(award).startswith(f"Cannot recommend for award without a trn (id: {trainee.pk})")
    for error in (update, award, DqtNoAwardDateError(trainee), FindTeacherError("none")):
        assert error.transient is False
        assert error.status is None


def test_errors_survive_pickling_with_their_details():
    trainee = TraineeFactory(submitted=True)
    for error in (DqtHttpError(status=400, body=BODY_10005), TraineeUpdateMissingTrn(trainee)):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.error_code == error.error_code
