"""Hooks that explain a dead job to a support agent (registered by other apps)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

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


_diagnosers: list[Callable] = []


def register(diagnoser: Callable) -> Callable:
    if diagnoser not in _diagnosers:
        _diagnosers.append(diagnoser)
    return diagnoser


def diagnose(job, *, detailed: bool = True) -> Diagnosis | None:
    """The first diagnosis any registered diagnoser gives; a broken diagnoser is logged and
    skipped so the console still shows the job.

    ``detailed=False`` (the list, one call per row) asks for the title only: a diagnoser must
    then answer from the job's columns alone, without live lookups."""
    for diagnoser in list(_diagnosers):
        try:
            found = diagnoser(job, detailed=detailed)
        except Exception:
            logger.exception("Diagnoser %r failed on job %s", diagnoser, getattr(job, "pk", None))
            continue
        if found is not None:
            return found
    return None
