"""What a job may raise, and the one error type the jobs services refuse with."""

from __future__ import annotations

from datetime import datetime

from regsupport.errors import Refusal


class JobError(Refusal):
    """A refused operator action (retry a job that is not dead, discard twice...).

    The message is meant for a support agent and is shown as it is.
    """


class Reschedule(Exception):
    """Not a failure: run the job again at ``run_after`` (e.g. TRN polling)."""

    def __init__(self, *, run_after: datetime, note: str = ""):
        super().__init__(note or f"rescheduled to {run_after.isoformat()}")
        self.run_after = run_after
        self.note = note


class JobFailure(Exception):
    """Base for failures with the attributes the ledger reads into its error columns."""

    transient = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        error_code: int | None = None,
        title: str = "",
        field_errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.title = title
        self.field_errors = field_errors


class TransientError(JobFailure):
    """Worth retrying later (the other side was down, a timeout, a lock)."""

    transient = True


class PermanentError(JobFailure):
    """Retrying will not help until someone changes something: the job goes dead at once."""

    transient = False
