"""The real DQT client against the fake DQT over HTTP: every endpoint, every playbook error."""

import uuid
from datetime import date

import pytest

from dqt import payloads
from dqt.client import DqtClient
from dqt.errors import DqtConnectionError, DqtHttpError, DqtTimeout
from regsupport.config import settings as app_settings
from tests.factories import TraineeFactory

pytestmark = pytest.mark.django_db

OPEN_UNIVERSITY = "5c9e1d2d-3fa2-e811-812b-5065f38ba241"  # UKPRN 10007773 in the reference data
AWARD_DATE = "2026-07-15"


@pytest.fixture
def client(fake_dqt):
    return DqtClient()


@pytest.fixture
def trainee():
    return TraineeFactory(with_trn=True, first_names="Ann Marie", last_name="Lee")


@pytest.fixture
def on_dqt(fake_dqt, trainee):
    return fake_dqt.add_teacher_for(trainee)


def update(client, trainee, **payload_changes):
    payload = payloads.update(trainee)
    payload.update(payload_changes)
    client.update_teacher(
        trainee.trn, slug=trainee.slug, birth_date=trainee.date_of_birth, payload=payload
    )


def award(client, trainee, assessment_date=AWARD_DATE):
    return client.set_itt_outcome(
        trainee.trn,
        slug=trainee.slug,
        birth_date=trainee.date_of_birth,
        payload={
            "ittProviderUkprn": trainee.provider.ukprn,
            "outcome": "Pass",
            "assessmentDate": assessment_date,
        },
    )


def withdraw(client, trainee):
    return client.set_itt_outcome(
        trainee.trn,
        slug=trainee.slug,
        birth_date=trainee.date_of_birth,
        payload=payloads.withdrawal(trainee),
    )


# --- TRN requests ----------------------------------------------------------------------


def test_registering_for_a_trn_creates_the_request_and_answers_with_the_trn(client, fake_dqt):
    trainee = TraineeFactory(submitted=True)
    info = client.register_for_trn(str(uuid.uuid4()), payloads.trn_request(trainee))
    assert info["status"] == "Completed"
    assert len(info["trn"]) == 7 and info["trn"].isdigit()
    assert fake_dqt.teacher(info["trn"])["slugId"] == trainee.slug


def test_registering_twice_with_the_same_request_id_returns_the_same_trn(client):
    trainee = TraineeFactory(submitted=True)
    request_id = str(uuid.uuid4())
    first = client.register_for_trn(request_id, payloads.trn_request(trainee))
    second = client.register_for_trn(request_id, payloads.trn_request(trainee))
    assert second["trn"] == first["trn"]


def test_a_trn_request_stays_pending_until_dqt_assigns_the_trn(client, fake_dqt):
    fake_dqt.configure(trn_delay_seconds=None)
    trainee = TraineeFactory(submitted=True)
    request_id = str(uuid.uuid4())
    created = client.register_for_trn(request_id, payloads.trn_request(trainee))
    assert (created["status"], created["trn"]) == ("Pending", None)
    assert client.get_trn_request(request_id)["trn"] is None

    fake_dqt.complete_trn_request(request_id)

    polled = client.get_trn_request(request_id)
    assert polled["status"] == "Completed"
    assert fake_dqt.teacher(polled["trn"])["lastName"] == trainee.last_name


def test_reading_an_unknown_trn_request_is_a_404(client):
    # DQT's NotFound() comes back as ASP.NET's problem body, not an empty one.
    with pytest.raises(DqtHttpError) as error:
        client.get_trn_request(str(uuid.uuid4()))
    assert error.value.status == 404
    assert error.value.title == "Not Found"
    assert str(error.value).startswith(
        'status: 404, body: {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5",'
        '"title":"Not Found","status":404,"traceId":"00-'
    )


def test_a_trn_request_with_an_unknown_subject_names_the_field(client):
    # Our payloads send only codes DQT knows (or null), so the unknown code is written here.
    body = payloads.trn_request(TraineeFactory(submitted=True))
    body["initialTeacherTraining"]["subject1"] = "999999"
    with pytest.raises(DqtHttpError) as error:
        client.register_for_trn(str(uuid.uuid4()), body)
    assert error.value.field_errors == {"initialTeacherTraining.subject1": ["Subject not found"]}
    assert error.value.transient is False


# --- update ------------------------------------------------------------------------------


def test_updating_a_teacher_changes_dqts_record(client, trainee, on_dqt, fake_dqt):
    trainee.itt_end_date = date(2027, 6, 30)
    update(client, trainee)
    row = fake_dqt.teacher(trainee.trn)["initialTeacherTraining"][0]
    assert row["programmeEndDate"] == "2027-06-30"
    assert row["result"] == "InTraining"


def test_update_with_another_date_of_birth_is_teacher_not_found(client, trainee, fake_dqt):
    # A record DQT made before Register sent slugs: DQT can only match it by date of birth.
    fake_dqt.add_teacher_for(trainee, slugId=None, dateOfBirth="1980-02-03")
    with pytest.raises(DqtHttpError) as error:
        update(client, trainee)
    assert error.value.status == 404
    assert error.value.error_code == 10001
    assert error.value.title == "Teacher with specified TRN not found"
    assert str(error.value).startswith(
        'status: 404, body: {"title":"Teacher with specified TRN not found",'
        '"status":404,"errorCode":10001}, headers: {'
    )


def test_update_of_an_inactive_trn_is_teacher_not_found(client, trainee, fake_dqt):
    fake_dqt.add_teacher_for(trainee, active=False)
    with pytest.raises(DqtHttpError) as error:
        update(client, trainee)
    assert (error.value.status, error.value.error_code) == (404, 10001)


def test_update_with_a_degree_institution_dqt_lacks_is_organisation_not_found(
    client, trainee, on_dqt, fake_dqt
):
    fake_dqt.configure(unknown_ukprns=["10007773"])
    trainee.degree_institution_uuid = OPEN_UNIVERSITY
    with pytest.raises(DqtHttpError) as error:
        update(client, trainee)
    assert error.value.status == 400
    assert error.value.error_code is None
    assert error.value.field_errors == {"qualification.providerUkprn": ["Organisation not found"]}
    assert str(error.value).startswith("status: 400, body: {")
    assert '"qualification.providerUkprn":["Organisation not found"]' in str(error.value)


def test_update_after_the_award_is_teacher_already_has_qts(client, trainee, on_dqt):
    award(client, trainee)
    with pytest.raises(DqtHttpError) as error:
        update(client, trainee)
    assert error.value.field_errors == {
        "initialTeacherTraining.programmeType": ["Teacher already has QTS/EYTS date"]
    }
    assert error.value.has_field_error(
        "initialTeacherTraining.programmeType", "Teacher already has QTS/EYTS date"
    )


def test_update_without_a_trn_is_method_not_allowed(client, trainee, on_dqt):
    with pytest.raises(DqtHttpError) as error:
        client.update_teacher("", slug=trainee.slug, birth_date=trainee.date_of_birth, payload={})
    assert str(error.value).startswith("status: 405")


# --- itt-outcome: award and withdrawal -----------------------------------------------------


def test_award_answers_with_the_qts_date(client, trainee, on_dqt, fake_dqt):
    assert award(client, trainee) == {"trn": trainee.trn, "qtsDate": AWARD_DATE}
    assert fake_dqt.teacher(trainee.trn)["qtsDate"] == AWARD_DATE


def test_award_is_idempotent_with_the_same_date(client, trainee, on_dqt):
    award(client, trainee)
    assert award(client, trainee)["qtsDate"] == AWARD_DATE


def test_award_with_another_date_is_teacher_already_has_qts(client, trainee, on_dqt):
    award(client, trainee)
    with pytest.raises(DqtHttpError) as error:
        award(client, trainee, assessment_date="2026-07-20")
    assert (error.value.status, error.value.error_code) == (400, 10003)


def test_early_years_award_sets_the_eyts_date(client, fake_dqt):
    trainee = TraineeFactory(
        with_trn=True,
        training_route=payloads.Route.EARLY_YEARS_POSTGRAD,
        course_min_age=0,
        course_max_age=5,
        course_subject_one="early years teaching",
    )
    fake_dqt.add_teacher_for(trainee)
    assert award(client, trainee)["qtsDate"] == AWARD_DATE
    assert fake_dqt.teacher(trainee.trn)["eytsDate"] == AWARD_DATE
    assert fake_dqt.teacher(trainee.trn)["qtsDate"] is None


def test_award_after_a_withdrawal_on_dqt_is_no_incomplete_itt_record(client, trainee, on_dqt):
    # DQT looks at the withdrawn ITT row before the QTS registration: 10005, not 10006.
    withdraw(client, trainee)
    with pytest.raises(DqtHttpError) as error:
        award(client, trainee)
    assert str(error.value).startswith(
        'status: 400, body: {"title":"Teacher has no incomplete ITT record",'
        '"status":400,"errorCode":10005}, headers: {'
    )
    assert error.value.error_code == 10005


def test_withdrawing_an_awarded_teacher_succeeds(client, trainee, on_dqt):
    # DQT's itt-outcome accepts a Pass row, so the withdrawal goes through.
    award(client, trainee)
    assert withdraw(client, trainee) == {"trn": trainee.trn, "qtsDate": None}


def test_award_for_another_provider_is_no_incomplete_itt_record(client, trainee, fake_dqt):
    fake_dqt.add_teacher_for(
        trainee,
        initialTeacherTraining=[{"providerUkprn": "10099999", "programmeType": "HighPotentialITT"}],
    )
    with pytest.raises(DqtHttpError) as error:
        award(client, trainee)
    assert error.value.error_code == 10005
    assert error.value.transient is False


def test_withdrawal_marks_the_training_withdrawn(client, trainee, on_dqt, fake_dqt):
    assert withdraw(client, trainee) == {"trn": trainee.trn, "qtsDate": None}
    assert fake_dqt.teacher(trainee.trn)["initialTeacherTraining"][0]["result"] == "Withdrawn"


# --- retrieve and find -----------------------------------------------------------------------


def test_get_teacher_returns_dqts_record_with_its_training(client, trainee, on_dqt):
    record = client.get_teacher(trainee.trn, birth_date=trainee.date_of_birth)
    assert (record["firstName"], record["middleName"]) == ("Ann", "Marie")
    assert record["dateOfBirth"] == trainee.date_of_birth.isoformat()
    assert record["initialTeacherTraining"][0]["provider"] == {"ukprn": trainee.provider.ukprn}


def test_get_teacher_shows_inactive_training_rows(client, trainee, fake_dqt):
    fake_dqt.add_teacher_for(
        trainee,
        initialTeacherTraining=[
            {"providerUkprn": trainee.provider.ukprn, "programmeType": "Core", "active": False}
        ],
    )
    rows = client.get_teacher(trainee.trn)["initialTeacherTraining"]
    assert [row["active"] for row in rows] == [False]


def test_find_teachers_matches_name_date_of_birth_and_email(client, trainee, on_dqt):
    results = client.find_teachers(
        first_name="Ann", last_name="Lee", date_of_birth=trainee.date_of_birth, email=trainee.email
    )
    assert [r["trn"] for r in results] == [trainee.trn]


def test_find_teachers_needs_three_matching_items(client, trainee, on_dqt):
    results = client.find_teachers(
        first_name="Ann", last_name="Lee", date_of_birth=trainee.date_of_birth, email=None
    )
    assert results == []


# --- transport failures --------------------------------------------------------------------


def test_an_injected_500_is_transient(client, trainee, on_dqt, fake_dqt):
    fake_dqt.fail_next("/v2/teachers/update/", count=1)
    with pytest.raises(DqtHttpError) as error:
        update(client, trainee)
    assert error.value.transient is True
    assert str(error.value).startswith("status: 500, body: , headers: {")
    update(client, trainee)  # the next call succeeds


def test_the_error_text_ends_with_dqts_headers_as_registers_client_wrote_them(client):
    with pytest.raises(DqtHttpError) as error:
        client.get_trn_request(str(uuid.uuid4()))
    headers = str(error.value).split(", headers: ", 1)[1]
    assert headers.startswith("{") and headers.endswith("]}")
    assert '"content-type" => ["application/problem+json; charset=utf-8"]' in headers
    assert error.value.headers["Content-Type"] == "application/problem+json; charset=utf-8"


def test_too_many_requests_is_transient(client, trainee, on_dqt, fake_dqt):
    fake_dqt.fail_next("/v2/teachers/", status=429)
    with pytest.raises(DqtHttpError) as error:
        client.get_teacher(trainee.trn)
    assert error.value.transient is True


def test_a_hanging_dqt_is_a_transient_timeout(fake_dqt, trainee, on_dqt, monkeypatch):
    monkeypatch.setenv("SETTINGS__DQT__TIMEOUT_SECONDS", "0.3")
    app_settings.reload()
    fake_dqt.hang("/v2/teachers/")
    with pytest.raises(DqtTimeout) as error:
        DqtClient().get_teacher(trainee.trn)
    assert error.value.transient is True
    assert "did not answer" in str(error.value)


def test_a_refused_connection_is_a_transient_connection_error(fake_dqt):
    fake_dqt.stop()
    with pytest.raises(DqtConnectionError) as error:
        DqtClient().get_teacher("1234567")
    assert error.value.transient is True


def test_an_unknown_api_key_is_401(fake_dqt, trainee, on_dqt):
    with pytest.raises(DqtHttpError) as error:
        DqtClient(api_key="not-a-key").get_teacher(trainee.trn)
    assert error.value.status == 401
    assert error.value.transient is False


def test_a_missing_api_key_is_401(fake_dqt, trainee, on_dqt):
    with pytest.raises(DqtHttpError) as error:
        DqtClient(api_key="").get_teacher(trainee.trn)
    assert error.value.status == 401


def test_the_client_sends_registers_headers_and_query(client, trainee, on_dqt, fake_dqt):
    client.get_teacher(trainee.trn, birth_date=trainee.date_of_birth)
    call = fake_dqt.calls[-1]
    assert call["headers"] == {
        "Accept": "application/json",
        "Content-Type": "application/json;odata.metadata=minimal",
        "Authorization": "Bearer test-dqt-key",
    }
    assert call["query"] == {
        "birthdate": trainee.date_of_birth.isoformat(),
        "includeInactive": "true",
    }
