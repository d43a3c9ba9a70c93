"""Hooks that explain a dead job to a support agent (registered by other apps)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from regsupport.dates import readable

from .models import Job

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiagnosisAction:
    label: str
    url: str
    method: Literal["get", "post"] = "get"
    style: Literal["default", "danger"] = "default"


@dataclass(frozen=True)
class Diagnosis:
    title: str
    explanation: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    actions: list[DiagnosisAction] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A fact that is a date or a time reads as the rest of the console does, however
        # the diagnoser wrote it (str() of a datetime, an ISO string from DQT).
        facts = [(label, readable(value)) for label, value in self.facts]
        object.__setattr__(self, "facts", facts)


_diagnosers: list[Callable] = []


def register(diagnoser: Callable) -> Callable:
    if diagnoser not in _diagnosers:
        _diagnosers.append(diagnoser)
    return diagnoser


def diagnose(job, *, detailed: bool = True) -> Diagnosis | None:
    """The first diagnosis any registered diagnoser gives; a broken diagnoser is logged and
    skipped so the console still shows the job.

    ``detailed=False`` (the list, one call per row) asks for the title only: a diagnoser must
    then answer from the job's columns alone, without live lookups.

    Only a dead or retrying job is diagnosed: the error columns of any other job are history
    (a succeeded job that once failed needs no fix). A retrying job is explained without
    buttons, because the scheduler runs it again by itself."""
    # The dead-jobs list's rows carry no state: they are all dead.
    state = getattr(job, "state", Job.State.DEAD)
    if state not in (Job.State.DEAD, Job.State.RETRYING):
        return None
    for diagnoser in list(_diagnosers):
        try:
            found = diagnoser(job, detailed=detailed)
        except Exception:
            logger.exception("Diagnoser %r failed on job %s", diagnoser, getattr(job, "pk", None))
            continue
        if found is not None:
            return found if state == Job.State.DEAD else replace(found, actions=[])
    return None
