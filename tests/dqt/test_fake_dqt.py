"""The fake DQT itself: its control API, its TRN delay, its faults and DQT's finer rules."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from dqt import payloads
from dqt.client import DqtClient
from dqt.errors import DqtHttpError, DqtTimeout
from dqt.fake import FakeDqt
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def control(fake, method, path, **kwargs):
    response = requests.request(method, f"{fake.url}_control/{path}", timeout=5, **kwargs)
    return response.status_code, (response.json() if response.content else None)


def test_control_api_adds_and_shows_a_teacher(fake_dqt):
    status, created = control(
        fake_dqt,
        "POST",
        "teachers",
        json={"trn": "1234567", "firstName": "Kwame", "dateOfBirth": "1990-05-01"},
    )
    assert status == 201
    assert control(fake_dqt, "GET", "teachers/1234567")[1]["firstName"] == "Kwame"
    assert DqtClient().get_teacher("1234567")["dateOfBirth"] == "1990-05-01"


def test_control_api_reset_forgets_everything(fake_dqt):
    fake_dqt.add_teacher(trn="1234567")
    assert control(fake_dqt, "POST", "reset")[0] == 204
    assert control(fake_dqt, "GET", "teachers/1234567")[0] == 404


def test_control_api_injects_500s_for_a_path(fake_dqt):
    fake_dqt.add_teacher(trn="1234567")
    control(fake_dqt, "POST", "faults", json={"path": "/v2/teachers/", "count": 2})
    for _ in range(2):
        with pytest.raises(DqtHttpError) as error:
            DqtClient().get_teacher("1234567")
        assert error.value.status == 500
    assert DqtClient().get_teacher("1234567")["trn"] == "1234567"


def test_control_api_sets_the_trn_delay_and_completes_requests(fake_dqt):
    control(fake_dqt, "POST", "config", json={"trn_delay_seconds": None})
    trainee = TraineeFactory(submitted=True)
    request_id = str(uuid.uuid4())
    DqtClient().register_for_trn(request_id, payloads.trn_request(trainee))
    status, info = control(fake_dqt, "POST", f"trn-requests/{request_id}/complete")
    assert status == 200
    assert DqtClient().get_trn_request(request_id)["trn"] == info["trn"]


def test_control_api_lists_the_calls_received(fake_dqt):
    DqtClient().find_teachers(first_name="A", last_name="B", date_of_birth="1990-01-01")
    calls = control(fake_dqt, "GET", "calls")[1]["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("GET", "/v2/teachers/find", 200)
    ]


def test_trn_requests_are_private_to_each_api_key():
    with FakeDqt(api_keys=["key-a", "key-b"]) as fake:
        trainee = TraineeFactory(submitted=True)
        request_id = str(uuid.uuid4())
        DqtClient(base_url=fake.url, api_key="key-a").register_for_trn(
            request_id, payloads.trn_request(trainee)
        )
        with pytest.raises(DqtHttpError) as error:
            DqtClient(base_url=fake.url, api_key="key-b").get_trn_request(request_id)
        assert error.value.status == 404


def test_a_trn_request_needs_dqts_required_fields(fake_dqt):
    with pytest.raises(DqtHttpError) as error:
        DqtClient().register_for_trn(str(uuid.uuid4()), {"firstName": "Ann"})
    assert set(error.value.field_errors) == {
        "lastName",
        "birthDate",
        "genderCode",
        "initialTeacherTraining",
    }
    assert error.value.problem["title"] == "One or more validation errors occurred."
    # The error's title names the fields instead, which is what the dead-jobs list shows.
    assert error.value.title.startswith("lastName: 'Last Name' must not be empty.")


def test_a_teacher_degree_apprenticeship_has_no_programme_type_for_dqt(fake_dqt):
    trainee = TraineeFactory(
        submitted=True, training_route=payloads.Route.TEACHER_DEGREE_APPRENTICESHIP
    )
    with pytest.raises(DqtHttpError) as error:
        DqtClient().register_for_trn(str(uuid.uuid4()), payloads.trn_request(trainee))
    assert error.value.field_errors == {
        "initialTeacherTraining.programmeType": [
            "'Initial Teacher Training Programme Type' must not be empty."
        ]
    }


def test_ages_outside_0_to_19_are_rejected(fake_dqt):
    trainee = TraineeFactory(submitted=True, course_min_age=16, course_max_age=21)
    with pytest.raises(DqtHttpError) as error:
        DqtClient().register_for_trn(str(uuid.uuid4()), payloads.trn_request(trainee))
    assert error.value.field_errors == {
        "initialTeacherTraining.ageRangeTo": ["Age must be 0-19 inclusive."]
    }


def test_strict_providers_reject_an_unregistered_provider_ukprn(fake_dqt):
    fake_dqt.configure(strict_providers=True)
    trainee = TraineeFactory(submitted=True)
    with pytest.raises(DqtHttpError) as error:
        DqtClient().register_for_trn(str(uuid.uuid4()), payloads.trn_request(trainee))
    assert error.value.field_errors == {
        "initialTeacherTraining.providerUkprn": ["Organisation not found"]
    }
    fake_dqt.configure(known_ukprns=[trainee.provider.ukprn])
    assert DqtClient().register_for_trn(str(uuid.uuid4()), payloads.trn_request(trainee))["trn"]


def test_undoing_a_withdrawal_on_dqt_allows_the_award_again(fake_dqt):
    trainee = TraineeFactory(with_trn=True)
    fake_dqt.add_teacher_for(trainee)
    client = DqtClient()
    where = {"slug": trainee.slug, "birth_date": trainee.date_of_birth}
    client.set_itt_outcome(trainee.trn, payload=payloads.withdrawal(trainee), **where)
    client.update_teacher(trainee.trn, payload=payloads.update(trainee), **where)
    assert fake_dqt.teacher(trainee.trn)["initialTeacherTraining"][0]["result"] == "InTraining"
    award = {"ittProviderUkprn": trainee.provider.ukprn, "outcome": "Pass"}
    award["assessmentDate"] = "2026-07-15"
    assert client.set_itt_outcome(trainee.trn, payload=award, **where)["qtsDate"] == "2026-07-15"


def test_a_withdrawn_training_cannot_be_deferred(fake_dqt):
    trainee = TraineeFactory(with_trn=True)
    fake_dqt.add_teacher_for(trainee)
    client = DqtClient()
    where = {"slug": trainee.slug, "birth_date": trainee.date_of_birth}
    client.set_itt_outcome(trainee.trn, payload=payloads.withdrawal(trainee), **where)
    trainee.state = trainee.State.DEFERRED
    with pytest.raises(DqtHttpError) as error:
        client.update_teacher(trainee.trn, payload=payloads.update(trainee), **where)
    assert error.value.field_errors == {
        "initialTeacherTraining.outcome": ["Result cannot be unwithdrawn to deferred"]
    }


def test_in_training_is_refused_for_assessment_only(fake_dqt):
    trainee = TraineeFactory(with_trn=True, training_route=payloads.Route.ASSESSMENT_ONLY)
    fake_dqt.add_teacher_for(trainee)
    payload = payloads.update(trainee)
    payload["initialTeacherTraining"]["outcome"] = "InTraining"
    with pytest.raises(DqtHttpError) as error:
        DqtClient().update_teacher(
            trainee.trn, slug=trainee.slug, birth_date=trainee.date_of_birth, payload=payload
        )
    assert error.value.field_errors == {
        "outcome": ["InTraining outcome not permitted for AssessmentOnlyRoute ProgrammeType."]
    }


def test_a_slow_path_still_answers_within_the_timeout(fake_dqt):
    fake_dqt.add_teacher(trn="1234567")
    fake_dqt.slow_down("/v2/teachers/1234567", seconds=0.2)
    assert DqtClient(timeout=5).get_teacher("1234567")["trn"] == "1234567"


def test_a_path_slower_than_the_timeout_times_out(fake_dqt):
    fake_dqt.add_teacher(trn="1234567")
    fake_dqt.slow_down("/v2/teachers/1234567", seconds=2)
    with pytest.raises(DqtTimeout):
        DqtClient(timeout=0.2).get_teacher("1234567")


def test_faults_apply_only_to_their_method(fake_dqt):
    trainee = TraineeFactory(with_trn=True)
    fake_dqt.add_teacher_for(trainee)
    fake_dqt.fail_next("/v2/teachers/", method="PUT")
    assert DqtClient().get_teacher(trainee.trn)["trn"] == trainee.trn


@pytest.mark.slow
def test_run_fake_dqt_command_serves_dqt_on_the_given_port(unused_port):
    env = {**os.environ, "REGSUPPORT_ENV": "test", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_fake_dqt", "--port", str(unused_port), "--quiet"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"Fake DQT on http://127.0.0.1:{unused_port}/" in banner
        url = f"http://127.0.0.1:{unused_port}/"
        requests.post(f"{url}_control/teachers", json={"trn": "7654321"}, timeout=5)
        record = DqtClient(base_url=url, api_key="test-dqt-key").get_teacher("7654321")
        assert record["trn"] == "7654321"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_with_a_state_file_dqts_records_outlive_a_restart(unused_port, tmp_path):
    env = {**os.environ, "REGSUPPORT_ENV": "test", "PYTHONUNBUFFERED": "1"}
    state_file = tmp_path / "fake-dqt.json"
    url = f"http://127.0.0.1:{unused_port}/"
    command = [
        sys.executable,
        "manage.py",
        "run_fake_dqt",
        "--port",
        str(unused_port),
        "--quiet",
        "--state-file",
        str(state_file),
    ]
    for step in ("write", "read"):
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            while "Fake DQT on" not in process.stdout.readline():
                pass
            if step == "write":
                requests.post(f"{url}_control/teachers", json={"trn": "7654321"}, timeout=5)
            else:
                record = DqtClient(base_url=url, api_key="test-dqt-key").get_teacher("7654321")
                assert record["trn"] == "7654321"
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_a_saved_state_keeps_pending_trn_requests_and_reference_data(tmp_path):
    from dqt.fake.state import FakeDqtState

    state = FakeDqtState(trn_delay_seconds=None, unknown_subjects=["100425"])
    body = payloads.trn_request(TraineeFactory())
    assert state.put_trn_request("test-dqt-key", "request-1", body).status == 201
    state.save(tmp_path / "dqt.json")

    restored = FakeDqtState(trn_delay_seconds=0)
    restored.load(tmp_path / "dqt.json")

    assert restored.config.unknown_subjects == {"100425"}
    assert restored.get_trn_request("test-dqt-key", "request-1").body["trn"] is None


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
