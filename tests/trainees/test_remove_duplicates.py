"""Playbook: removing duplicate trainees – CSV check, service, command, admin upload."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tests.factories import StaffUserFactory, TraineeFactory
from trainees.errors import TraineeError
from trainees.models import Trainee
from trainees.services import parse_duplicates_csv, trainees_remove_duplicates

pytestmark = pytest.mark.django_db


@pytest.fixture
def dupes():
    keep = TraineeFactory(email="dup@example.com")
    copies = [TraineeFactory(email="dup@example.com"), TraineeFactory(email="DUP@example.com")]
    other = TraineeFactory(email="unique@example.com")
    return keep, copies, other


def _kept_ids():
    return set(Trainee.objects.kept().values_list("pk", flat=True))


def test_every_other_kept_trainee_with_the_email_is_discarded_with_history(
    dupes, support_agent, trainee_changes
):
    keep, copies, other = dupes
    rows = parse_duplicates_csv(f"trainee_id,email\n{keep.pk},dup@example.com\n")

    result = trainees_remove_duplicates(rows=rows, reason="Ticket 77", actor=support_agent)

    assert _kept_ids() == {keep.pk, other.pk}
    for copy in copies:
        record = copy.history.first()
        assert record.discarded_at is not None
        assert (record.history_change_reason, record.history_user) == ("Ticket 77", support_agent)
    assert [m for m in result.messages if m.startswith("Deleted")] == [
        f"Deleted duplicate trainee with id {c.pk} and email {c.email} (keeping trainee {keep.pk})"
        for c in copies
    ]
    assert result.messages[-1] == "Task completed."
    assert {s["event"] for s in trainee_changes} == {"discard_duplicate"}
    assert all(s["send_to_dqt"] is False for s in trainee_changes)
    assert all(s["changed_fields"] == {"discarded_at"} for s in trainee_changes)


def test_a_missing_trainee_id_is_reported_and_the_rest_still_runs(dupes, support_agent):
    keep, copies, other = dupes
    rows = parse_duplicates_csv(
        f"trainee_id,email\n999999,gone@example.com\n{keep.pk},dup@example.com\n"
    )

    result = trainees_remove_duplicates(rows=rows, reason="Ticket", actor=support_agent)

    assert "Trainee with trainee_id 999999 not found." in result.messages
    assert _kept_ids() == {keep.pk, other.pk}


def test_a_dry_run_lists_what_would_go_and_changes_nothing(dupes, support_agent):
    keep, copies, other = dupes
    rows = parse_duplicates_csv(f"trainee_id,email\n{keep.pk},dup@example.com\n")

    result = trainees_remove_duplicates(rows=rows, reason="x", actor=support_agent, dry_run=True)

    assert [d[0] for d in result.discarded] == [c.pk for c in copies]
    assert result.messages[0].startswith("Would delete duplicate trainee")
    assert len(_kept_ids()) == 4


def test_the_old_id_header_is_accepted():
    assert parse_duplicates_csv("id,email\n5,a@example.com\n")[0].trainee_id == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("name,email\n1,a@example.com\n", "it must be trainee_id,email"),
        ("trainee_id,email\n", "no rows"),
        ("trainee_id,email\nabc,a@example.com\n", "Line 2: trainee_id 'abc' is not a trainee id."),
        ("trainee_id,email\n²,a@example.com\n", "Line 2: trainee_id '²' is not a trainee id."),
        ("trainee_id,email\n٣,a@example.com\n", "Line 2: trainee_id '٣' is not a trainee id."),
        ("trainee_id,email\n1,\n", "Line 2: the email is blank."),
        ("trainee_id,email\n1,not-an-email\n", "'not-an-email' is not an email address"),
        ("trainee_id,email\n1,a@example.com\n1,a@example.com\n", "already on line 2"),
        (
            "trainee_id,email\n1,a@example.com\n2,A@example.com\n",
            "Lines 2 and 3 keep different trainees (1 and 2) with the same email",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(text, message):
    with pytest.raises(TraineeError) as error:
        parse_duplicates_csv(text)
    assert message in str(error.value)


def test_one_bad_line_refuses_the_whole_file_and_nothing_changes(dupes):
    keep, _, _ = dupes
    with pytest.raises(TraineeError):
        parse_duplicates_csv(f"trainee_id,email\n{keep.pk},dup@example.com\nx,bad\n")
    assert len(_kept_ids()) == 4


def test_two_rows_keeping_trainees_with_the_same_email_do_not_delete_each_other(
    dupes, support_agent
):
    keep, copies, _ = dupes

    with pytest.raises(TraineeError, match="would delete each other"):
        trainees_remove_duplicates(
            rows=[(keep.pk, "dup@example.com"), (copies[0].pk, "dup@example.com")],
            reason="x",
            actor=support_agent,
        )

    assert len(_kept_ids()) == 4


def test_a_row_whose_email_is_not_the_trainees_refuses_the_file(dupes, support_agent):
    keep, _, other = dupes

    with pytest.raises(TraineeError, match=f"trainee {other.pk}'s email is 'unique@example.com'"):
        trainees_remove_duplicates(
            rows=[(keep.pk, "dup@example.com"), (other.pk, "dup2@example.com")],
            reason="x",
            actor=support_agent,
        )

    assert len(_kept_ids()) == 4


def test_a_blank_email_never_matches_other_blank_emails(support_agent):
    blank_a = TraineeFactory(email="")
    blank_b = TraineeFactory(email="")

    with pytest.raises(TraineeError):
        trainees_remove_duplicates(rows=[(blank_a.pk, "")], reason="x", actor=support_agent)

    assert {blank_a.pk, blank_b.pk} <= _kept_ids()


def test_already_discarded_duplicates_are_left_alone(dupes, support_agent):
    from django.utils import timezone

    keep, copies, _ = dupes
    copies[0].discarded_at = timezone.now()
    copies[0].save_with_reason("Earlier clean-up")
    rows_before = copies[0].history.count()

    result = trainees_remove_duplicates(
        rows=[(keep.pk, "dup@example.com")], reason="x", actor=support_agent
    )

    assert [d[0] for d in result.discarded] == [copies[1].pk]
    assert copies[0].history.count() == rows_before


def test_a_second_run_changes_nothing(dupes, support_agent):
    keep, _, _ = dupes
    trainees_remove_duplicates(rows=[(keep.pk, "dup@example.com")], reason="x", actor=support_agent)

    result = trainees_remove_duplicates(
        rows=[(keep.pk, "dup@example.com")], reason="x", actor=support_agent
    )

    assert result.discarded == []
    assert result.messages == ["No duplicates found.", "Task completed."]


# --- management command ---------------------------------------------------------------------


def _csv(tmp_path, text):
    path = tmp_path / "trainees.csv"
    path.write_text(text)
    return str(path)


def test_the_command_prints_the_playbook_messages(dupes, tmp_path):
    keep, copies, _ = dupes
    StaffUserFactory(username="sam")
    out = StringIO()
    path = _csv(tmp_path, f"trainee_id,email\n{keep.pk},dup@example.com\n424242,x@example.com\n")

    call_command("remove_duplicates", path, reason="Ticket 9", actor="sam", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"Deleted duplicate trainee with id {copies[0].pk} and email dup@example.com" in lines[0]
    assert "Trainee with trainee_id 424242 not found." in lines
    assert lines[-1] == "Task completed."
    assert copies[0].history.first().history_user.username == "sam"


def test_the_command_without_an_actor_records_the_shell(dupes, tmp_path):
    keep, copies, _ = dupes
    path = _csv(tmp_path, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    call_command("remove_duplicates", path, reason="Ticket 9", stdout=StringIO())

    record = copies[0].history.first()
    assert record.history_user is None
    assert record.history_change_reason == "Ticket 9"


def test_the_command_dry_run_changes_nothing(dupes, tmp_path):
    keep, _, _ = dupes
    out = StringIO()
    path = _csv(tmp_path, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    call_command("remove_duplicates", path, "--dry-run", reason="x", stdout=out)

    assert "Dry run: nothing was changed." in out.getvalue()
    assert "Would delete duplicate trainee" in out.getvalue()
    assert len(_kept_ids()) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [("id;email\n1;a@b.c\n", "it must be trainee_id,email"), (None, "No such file")],
)
def test_the_command_refuses_a_bad_or_missing_file(dupes, tmp_path, text, message):
    path = _csv(tmp_path, text) if text else str(tmp_path / "missing.csv")

    with pytest.raises(CommandError, match=message):
        call_command("remove_duplicates", path, reason="x", stdout=StringIO())

    assert len(_kept_ids()) == 4


def test_the_command_refuses_an_unknown_actor(dupes, tmp_path):
    keep, _, _ = dupes
    path = _csv(tmp_path, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    with pytest.raises(CommandError, match="No active staff user with username 'nobody'"):
        call_command("remove_duplicates", path, reason="x", actor="nobody", stdout=StringIO())

    assert len(_kept_ids()) == 4


def test_the_command_needs_a_reason(tmp_path):
    with pytest.raises(CommandError, match="--reason"):
        call_command("remove_duplicates", _csv(tmp_path, "trainee_id,email\n"))


# --- admin upload ---------------------------------------------------------------------------

URL = "/admin/trainees/trainee/remove-duplicates/"


def _upload(client, text, reason="Ticket 31"):
    return client.post(
        URL,
        {
            "step": "upload",
            "reason": reason,
            "csv_file": SimpleUploadedFile("trainees.csv", text.encode(), "text/csv"),
        },
    )


def test_the_trainee_list_links_to_the_upload(agent_client):
    assert URL in agent_client.get("/admin/trainees/trainee/").content.decode()


def test_the_upload_shows_a_dry_run_preview_and_changes_nothing(agent_client, dupes):
    keep, copies, _ = dupes

    response = _upload(agent_client, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    page = response.content.decode()
    assert "Dry run: nothing has changed yet." in page
    for copy in copies:
        assert f"/admin/trainees/trainee/{copy.pk}/change/" in page
    assert "Discard 2 duplicates" in page
    assert len(_kept_ids()) == 4


def test_confirming_the_preview_discards_the_duplicates(agent_client, dupes, support_agent):
    keep, copies, other = dupes
    preview = _upload(agent_client, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    response = agent_client.post(
        URL, {"step": "confirm", "token": preview.context["token"]}, follow=True
    )

    assert "Removed 2 duplicate trainee(s)." in response.content.decode()
    assert _kept_ids() == {keep.pk, other.pk}
    assert copies[0].history.first().history_user == support_agent
    assert copies[0].history.first().history_change_reason == "Ticket 31"


def test_a_tampered_preview_is_refused(agent_client, dupes):
    keep, _, _ = dupes
    preview = _upload(agent_client, f"trainee_id,email\n{keep.pk},dup@example.com\n")

    response = agent_client.post(
        URL, {"step": "confirm", "token": preview.context["token"] + "x"}, follow=True
    )

    assert "expired or was altered" in response.content.decode()
    assert len(_kept_ids()) == 4


def test_a_bad_upload_shows_the_errors_and_no_preview(agent_client, dupes):
    response = _upload(agent_client, "trainee_id,email\nabc,dup@example.com\n")

    page = response.content.decode()
    assert "Line 2: trainee_id &#x27;abc&#x27; is not a trainee id." in page
    assert "Dry run" not in page


def test_an_upload_without_a_reason_is_refused(agent_client, dupes):
    keep, _, _ = dupes
    response = _upload(agent_client, f"trainee_id,email\n{keep.pk},dup@example.com\n", reason="")

    assert "Give a reason." in response.content.decode()
    assert "Dry run" not in response.content.decode()


def test_staff_without_the_playbook_permission_cannot_upload(client, dupes):
    client.force_login(StaffUserFactory(username="viewer"))

    assert client.get(URL).status_code == 403
