"""Job types: a function plus how it is queued and retried.

@job_type("dqt.update_trainee", label="DQT Update Trainee", queue="dqt", ordered=True,
          max_attempts=10)
def update_trainee(job, *, trainee_id): ...

update_trainee.enqueue(trainee=t, trainee_id=t.pk)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobType:
    name: str
    label: str
    queue: str
    ordered: bool
    max_attempts: int
    func: Callable[..., Any]
    # Backoff for transient failures: base * 2**(attempt-1) seconds, full jitter, capped.
    retry_base_seconds: float = 15.0
    retry_max_seconds: float = 6 * 3600.0


_registry: dict[str, JobType] = {}


class UnknownJobType(KeyError):
    def __str__(self) -> str:
        return f"No job type is registered as {self.args[0]!r}."


def job_type(
    name: str,
    *,
    label: str,
    queue: str = "default",
    ordered: bool = False,
    max_attempts: int = 1,
    retry_base_seconds: float = 15.0,
    retry_max_seconds: float = 6 * 3600.0,
):
    def decorate(func):
        _registry[name] = JobType(
            name=name,
            label=label,
            queue=queue,
            ordered=ordered,
            max_attempts=max_attempts,
            func=func,
            retry_base_seconds=retry_base_seconds,
            retry_max_seconds=retry_max_seconds,
        )

        def enqueue(*, trainee=None, run_after=None, **arguments):
            from .services import enqueue as enqueue_job

            return enqueue_job(name, arguments=arguments, trainee=trainee, run_after=run_after)

        func.enqueue = enqueue
        func.job_type = _registry[name]
        return func

    return decorate


def get(name: str) -> JobType:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJobType(name) from None


def all_types() -> list[JobType]:
    return sorted(_registry.values(), key=lambda t: t.label)


def label_for(name: str) -> str:
    found = _registry.get(name)
    return found.label if found else name


def ordered_task_names() -> set[str]:
    return {t.name for t in _registry.values() if t.ordered}
