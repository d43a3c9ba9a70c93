"""The chaos suite's short form (tests/chaos.py; `make chaos` runs 5,000 jobs): DQT updates
through two real workers while workers are killed, Redis is flushed, PostgreSQL restarts
and the fake DQT fails and stalls; every job ends exactly once, and DQT's log agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]


def test_every_job_ends_exactly_once_through_kills_flushes_restarts_and_dqt_failures(tmp_path):
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.chaos",
            "--jobs",
            "200",
            "--report",
            str(report_path),
            "--logs",
            str(tmp_path),
        ],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report_path.exists(), result.stderr[-4000:]
    report = json.loads(report_path.read_text())
    assert report["failures"] == [], report
    assert set(report["states"]) <= {"succeeded", "dead"}
    assert sum(report["states"].values()) == 200
    # 8 of the 200 are not on DQT: they die of DQT's 404 (or of 500s, if every try met one).
    assert report["states"].get("dead", 0) >= 8
    # Every fault happened while jobs were running.
    assert len(report["faults"]) == 4
    assert report["calls"]["500 injected"] > 0
    assert report["calls"]["stalled past the client's timeout"] > 0
    assert result.returncode == 0, result.stdout[-4000:]
