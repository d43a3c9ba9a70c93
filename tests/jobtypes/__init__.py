"""Job types the tests run, in-process and in real worker processes. An app installed only
by tests.settings, so importing it (when Django starts) registers them there and nowhere
else."""

from __future__ import annotations

import os
import time
from pathlib import Path

from jobs.errors import PermanentError, TransientError
from jobs.registry import job_type


def _record(path: str, line: str) -> None:
    with Path(path).open("a") as handle:
        handle.write(line + "\n")


@job_type("tests.record", label="Test Record", queue="default")
def record(job, *, path: str, hang_first_attempt: bool = False, **_):
    """Append "done <id>" to ``path``; optionally hang the first time (to be killed). An
    attempt cut short by its worker dying is not counted, so "the first time" is told by
    the pid file it leaves, not by ``job.attempts``."""
    pid_file = Path(f"{path}.pid")
    if hang_first_attempt and not pid_file.exists():
        pid_file.write_text(str(os.getpid()))
        time.sleep(120)
    _record(path, f"done {job.id} attempt {job.attempts}")


@job_type("tests.slow_record", label="Test Slow Record", queue="default")
def slow_record(job, *, path: str, seconds: float, **_):
    """Wait ``seconds`` (a call to another service), then append "done <id>" to ``path``."""
    time.sleep(seconds)
    _record(path, f"done {job.id} attempt {job.attempts}")


@job_type(
    "tests.flaky", label="Test Flaky", queue="default", max_attempts=5, retry_base_seconds=0.2
)
def flaky(job, *, path: str, fail_times: int):
    if job.attempts <= fail_times:
        raise TransientError(
            f"status: 503, body: try again (attempt {job.attempts})",
            status=503,
            title="Service Unavailable",
        )
    _record(path, f"done {job.id} attempt {job.attempts}")


@job_type("tests.ordered", label="Test Ordered", queue="dqt", ordered=True, max_attempts=3)
def ordered(job, *, path: str, step: str, fail: bool = False):
    if fail:
        raise PermanentError(
            'status: 400, body: {"title":"Teacher has no QTS record","status":400,'
            '"errorCode":10006}',
            status=400,
            error_code=10006,
            title="Teacher has no QTS record",
        )
    _record(path, step)


@job_type("tests.apply_noop", label="Test Apply No-op", queue="apply")
def apply_noop(job, **_):
    return None


@job_type("tests.record_setting", label="Test Record Setting", queue="default")
def record_setting(job, *, path: str, key: str, **_):
    """Append the time and the value of setting ``key`` as this worker sees it."""
    import json

    from regsupport.config import settings

    _record(path, json.dumps({"at": time.time(), "value": settings.get(key)}))
