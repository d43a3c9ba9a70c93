"""The test suite's settings, also used by the worker processes the tests start: the
project's, plus the job types the tests run (tests/jobtypes)."""

from regsupport.settings import *  # noqa: F403
from regsupport.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobtypes"]
