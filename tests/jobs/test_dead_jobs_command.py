"""`manage.py dead_jobs` refuses what it cannot mean instead of counting nothing."""

import pytest
from django.core.management import CommandError, call_command

from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_job_type_is_an_error_naming_the_known_ones():
    JobFactory(dead=True)
    with pytest.raises(
        CommandError, match="'nope' is not a job type. Job types: .*dqt.update_trainee"
    ):
        call_command("dead_jobs", "--type", "nope")


def test_a_known_job_type_is_counted(capsys):
    JobFactory(dead=True)
    call_command("dead_jobs", "--type", "tests.ordered")
    assert "1 dead jobs, 1 trainees" in capsys.readouterr().out
