"""Reads of DQT for console pages: what DQT holds for a trainee, asked live.

Register's Admin tab shows DQT's record of a trainee with a TRN, or "Data not available"
when DQT fails (``app/components/trainee_admin/view.rb`` and
``app/components/dqt_data_summary/view.rb`` in DFE-Digital/register-trainee-teachers). The
trainee page here does the same, beside Register's values, with a short timeout so a slow
DQT delays the page by seconds at most, and says why when DQT cannot be asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils import timezone

from regsupport.config import settings as app_settings
from trainees.models import Trainee

from .client import DqtClient
from .comparison import FieldComparison, compare_with_dqt
from .errors import DqtError
from .jobs import integration_enabled
from .lookups import retrieve_teacher

# DQT's own sections, shown after the general rows (as Register's DqtDataSummary does).
TRAININGS = "initialTeacherTraining"
LEFT_OUT = (TRAININGS, "earlyYearsStatus")


@dataclass
class DqtCard:
    """What the trainee page shows of DQT. ``message`` says why there is nothing else."""

    asked: bool
    message: str = ""
    asked_at: Any = None
    comparisons: list[FieldComparison] = field(default_factory=list)
    record: list[tuple[str, str]] = field(default_factory=list)
    trainings: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(not row.matches for row in self.comparisons)


def console_timeout() -> float:
    return float(app_settings.get("dqt.console_timeout_seconds", 3))


def trainee_dqt_card(trainee: Trainee) -> DqtCard | None:
    """DQT's record of ``trainee``, asked now; None when the trainee has no TRN (DQT can
    only be asked by TRN). Never raises for DQT's sake: a failure is the card's message."""
    if not trainee.trn:
        return None
    if not integration_enabled():
        return DqtCard(
            asked=False,
            message="DQT integration is off (features.integrate_with_dqt): DQT was not asked.",
        )
    timeout = console_timeout()
    client = DqtClient(timeout=timeout, max_rate_wait=timeout)
    try:
        record = retrieve_teacher(trainee, client=client)
    except (DqtError, requests.RequestException) as error:
        return DqtCard(asked=True, asked_at=timezone.now(), message=f"DQT could not say: {error}")
    return DqtCard(
        asked=True,
        asked_at=timezone.now(),
        comparisons=compare_with_dqt(trainee, record),
        record=_rows({k: v for k, v in record.items() if k not in LEFT_OUT}),
        trainings=[_rows(row) for row in record.get(TRAININGS) or [] if isinstance(row, dict)],
    )


def _rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, _text(value)) for key, value in data.items()]


def _text(value: Any) -> str:
    """DQT's value as one line: nested objects as ``key: value`` pairs, blanks as "-"."""
    if value in (None, "", [], {}):
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return "; ".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
