"""Which job types a process registers depends on its settings, never on an environment
variable: the console's job type filter of a production process lists only real ones."""

import os
import subprocess
import sys

import pytest

from tests.jobs.worker import BASE_DIR

LIST_TYPES = "from jobs import registry; print(' '.join(t.name for t in registry.all_types()))"


@pytest.mark.slow
def test_the_project_settings_register_no_test_or_benchmark_job_types():
    # Even in the test environment: the settings decide, not REGSUPPORT_ENV.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "regsupport.settings", "REGSUPPORT_ENV": "test"}
    names = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", LIST_TYPES],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "dqt.update_trainee" in names
    assert not [n for n in names if n.startswith(("tests.", "benchmarks."))]
