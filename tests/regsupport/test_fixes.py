"""A fix declared once (regsupport.fixes) becomes a button, a page, a list action and a
command; one refusal changes nothing wherever it is run from."""

import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from regsupport.audit import FieldChange
from regsupport.commands import FixCommand
from regsupport.errors import Refusal
from regsupport.fixes import Fix, FixPlan, fix_apply_to_all, register, unregister
from tests.factories import StaffUserFactory, TraineeFactory
from trainees.errors import TraineeError
from trainees.models import Trainee

pytestmark = pytest.mark.django_db


class CapitaliseLastName(Fix):
    """A fix of the tests' own. Its "service" writes first and checks the email after, so a
    refusal shows that what was written is undone."""

    name = "capitalise_last_name"
    model = Trainee
    label = "Capitalise last name"
    title = "Capitalise the last name of {obj.full_name}"
    bulk_label = "Capitalise last names of selected trainees"
    bulk_done = "Last name capitalised for {count} trainee(s)."

    def check(self, obj, **params):
        if obj.last_name == obj.last_name.upper():
            raise TraineeError(f"{obj.full_name}'s last name is already in capitals.")

    def plan(self, obj, **params):
        self.check(obj)
        change = FieldChange("last_name", "Last name", obj.last_name, obj.last_name.upper())
        return FixPlan(changes=[change], notes=["Nothing is sent to DQT."])

    def apply(self, obj, *, reason, actor, **params):
        obj.refresh_from_db()
        self.check(obj)
        obj.last_name = obj.last_name.upper()
        obj.save_with_reason(reason, actor=actor)
        if not obj.email:
            raise TraineeError(f"{obj.full_name} has no email to tell them by.")
        return obj

    def done(self, result, **params):
        return f"{result.full_name}: last name in capitals."


class CapitaliseCommand(FixCommand):
    fix = CapitaliseLastName()
    help = "Capitalise trainees' last names."


@pytest.fixture
def capitalise(settings):
    import regsupport.urls  # noqa: F401 - the project's own URLs stay without the test fix

    register(CapitaliseLastName)
    settings.ROOT_URLCONF = "tests.regsupport.fix_urls"
    yield CapitaliseLastName()
    unregister(CapitaliseLastName)


def _url(trainee):
    return f"/admin/trainees/trainee/{trainee.pk}/capitalise-last-name/"


def _page(client, trainee):
    return client.get(f"/admin/trainees/trainee/{trainee.pk}/change/").content.decode()


def _last_names(*trainees):
    return [Trainee.objects.get(pk=t.pk).last_name for t in trainees]


# --- the object page ----------------------------------------------------------------------


def test_the_fix_is_a_button_only_where_its_check_passes(capitalise, agent_client):
    lower = TraineeFactory(last_name="lovelace")
    upper = TraineeFactory(last_name="HOPPER")

    assert _url(lower) in _page(agent_client, lower)
    assert _url(upper) not in _page(agent_client, upper)


def test_the_fix_page_shows_the_plan_then_applies_it_with_the_reason(
    capitalise, agent_client, support_agent
):
    trainee = TraineeFactory(first_names="Ada", last_name="lovelace", email="ada@example.org")

    page = agent_client.get(_url(trainee)).content.decode()
    response = agent_client.post(
        _url(trainee), {"confirm": "yes", "reason": "Ticket 8"}, follow=True
    )

    assert "Capitalise the last name of Ada lovelace" in page
    assert "Last name: lovelace → LOVELACE" in page
    assert "Nothing is sent to DQT." in page
    assert _last_names(trainee) == ["LOVELACE"]
    assert "Ada LOVELACE: last name in capitals." in response.content.decode()
    row = trainee.history.first()
    assert (row.history_change_reason, row.history_user) == ("Ticket 8", support_agent)


def test_a_refusal_on_confirm_is_shown_and_undoes_what_the_fix_wrote(capitalise, agent_client):
    trainee = TraineeFactory(first_names="Ada", last_name="lovelace", email="")

    response = agent_client.post(_url(trainee), {"confirm": "yes", "reason": "x"}, follow=True)

    assert "Ada LOVELACE has no email to tell them by." in response.content.decode()
    assert _last_names(trainee) == ["lovelace"]


def test_staff_without_the_playbook_permission_get_no_button_and_a_403(capitalise, client):
    viewer = StaffUserFactory(username="viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_trainee"),
        Permission.objects.get(codename="change_trainee"),
    )
    client.force_login(viewer)
    trainee = TraineeFactory(last_name="lovelace")

    page = _page(client, trainee)
    response = client.post(_url(trainee), {"confirm": "yes", "reason": "x"})

    assert _url(trainee) not in page
    assert response.status_code == 403
    assert _last_names(trainee) == ["lovelace"]


# --- the list action and the service behind it ------------------------------------------


def _action(client, trainees, **extra):
    return client.post(
        "/admin/trainees/trainee/",
        {
            "action": "capitalise_last_name_selected",
            "_selected_action": [t.pk for t in trainees],
            **extra,
        },
        follow=True,
    )


def test_the_list_action_confirms_then_fixes_every_selected_trainee(capitalise, agent_client):
    first = TraineeFactory(last_name="lovelace", email="a@example.org")
    second = TraineeFactory(last_name="hopper", email="g@example.org")

    confirm = _action(agent_client, [first, second]).content.decode()
    assert "Last name: lovelace → LOVELACE" in confirm
    assert _last_names(first, second) == ["lovelace", "hopper"]

    done = _action(agent_client, [first, second], confirm="yes", reason="Batch").content.decode()

    assert "Last name capitalised for 2 trainee(s)." in done
    assert _last_names(first, second) == ["LOVELACE", "HOPPER"]


def test_the_list_action_changes_nothing_when_one_trainee_is_refused(capitalise, agent_client):
    fine = TraineeFactory(last_name="lovelace", email="a@example.org")
    refused = TraineeFactory(first_names="Grace", last_name="hopper", email="")

    response = _action(agent_client, [fine, refused], confirm="yes", reason="Batch")

    text = response.content.decode()
    assert "Nothing was changed." in text
    assert "Grace HOPPER has no email to tell them by." in text
    assert _last_names(fine, refused) == ["lovelace", "hopper"]


def test_applying_to_many_from_the_shell_is_all_or_nothing(capitalise, support_agent):
    fine = TraineeFactory(last_name="lovelace", email="a@example.org")
    refused = TraineeFactory(first_names="Grace", last_name="hopper", email="")

    with pytest.raises(Refusal, match=r"Nothing was changed\. Grace \w+ \(\w+\): .* no email"):
        fix_apply_to_all(
            fix=capitalise, objects=[fine, refused], reason="Batch", actor=support_agent
        )

    assert _last_names(fine, refused) == ["lovelace", "hopper"]


# --- the command made from the fix --------------------------------------------------------


def test_the_command_applies_the_fix_to_the_ids_given(capitalise, superuser):
    first = TraineeFactory(last_name="lovelace", email="a@example.org")
    second = TraineeFactory(last_name="hopper", email="g@example.org")
    out = StringIO()

    call_command(
        CapitaliseCommand(),
        "--trainee-ids",
        str(first.pk),
        str(second.pk),
        "--reason",
        "Ticket 9",
        "--actor",
        "root",
        stdout=out,
    )

    assert "Last name capitalised for 2 trainee(s)." in out.getvalue()
    assert _last_names(first, second) == ["LOVELACE", "HOPPER"]
    assert first.history.first().history_user == superuser


def test_the_command_refuses_an_actor_who_is_not_active_staff(capitalise):
    StaffUserFactory(username="visitor", is_staff=False)
    trainee = TraineeFactory(last_name="lovelace", email="a@example.org")

    with pytest.raises(CommandError, match="No active staff user with username 'visitor'") as error:
        call_command(
            CapitaliseCommand(),
            "--trainee-ids",
            str(trainee.pk),
            "--reason",
            "x",
            "--actor",
            "visitor",
            stdout=StringIO(),
        )

    assert error.value.returncode == 1
    assert _last_names(trainee) == ["lovelace"]


def test_a_refusal_in_the_command_exits_with_status_1_and_changes_nothing(capitalise):
    fine = TraineeFactory(last_name="lovelace", email="a@example.org")
    refused = TraineeFactory(first_names="Grace", last_name="hopper", email="")

    with pytest.raises(CommandError, match="Grace HOPPER has no email") as error:
        call_command(
            CapitaliseCommand(),
            "--trainee-ids",
            str(fine.pk),
            str(refused.pk),
            "--reason",
            "x",
            stdout=StringIO(),
        )

    assert error.value.returncode == 1
    assert _last_names(fine, refused) == ["lovelace", "hopper"]


def test_unknown_ids_are_refused_before_anything_changes(capitalise):
    trainee = TraineeFactory(last_name="lovelace", email="a@example.org")

    with pytest.raises(CommandError, match="No trainee with id 999999"):
        call_command(
            CapitaliseCommand(),
            "--trainee-ids",
            str(trainee.pk),
            "999999",
            "--reason",
            "x",
            stdout=StringIO(),
        )

    assert _last_names(trainee) == ["lovelace"]


def test_a_playbook_command_without_a_reason_exits_with_status_2(tmp_path):
    csv_file = tmp_path / "keep.csv"
    csv_file.write_text("trainee_id,email\n1,a@example.org\n")

    done = subprocess.run(
        [sys.executable, "manage.py", "remove_duplicates", str(csv_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "the following arguments are required: --reason" in done.stderr
