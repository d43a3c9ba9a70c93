"""DQT's health in Redis: failures written at once, good answers' clearing write at most
once a second per process (a busy worker would otherwise repeat it on every call)."""

import pytest

from monitoring import dqt_health
from monitoring.store import redis_client


@pytest.fixture
def fresh_process(monkeypatch):
    """This process has not cleared ``failing-since`` lately."""
    monkeypatch.setitem(dqt_health._cleared, "at", float("-inf"))


def _failing() -> bool:
    return redis_client().get(dqt_health.FAILING_SINCE) is not None


def test_a_good_answer_clears_and_another_within_a_second_does_not_write(fresh_process):
    dqt_health.record("500")
    assert _failing()
    dqt_health.record("204")
    assert not _failing()
    # Another worker's failure meanwhile: this process's next good answer within the
    # second leaves it; DQT answering well again is seen a second later at most.
    redis_client().set(dqt_health.FAILING_SINCE, "1")
    dqt_health.record("204")
    assert _failing()


def test_after_a_failure_the_next_good_answer_clears_at_once(fresh_process):
    dqt_health.record("204")
    dqt_health.record("timeout")
    assert _failing()
    dqt_health.record("200")
    assert not _failing()


def test_a_good_answer_a_second_later_clears_again(fresh_process, monkeypatch):
    dqt_health.record("204")
    redis_client().set(dqt_health.FAILING_SINCE, "1")
    monkeypatch.setitem(dqt_health._cleared, "at", dqt_health._cleared["at"] - 1.5)
    dqt_health.record("204")
    assert not _failing()
