"""What a console import run has done so far: one row per application it touched, with
its state, its trainee and its failed jobs, and the counts the run page shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from jobs.models import Job
from trainees.models import ApplyApplication, Trainee

from . import jobs
from .models import ImportRun


@dataclass
class RunRow:
    apply_id: int
    application: ApplyApplication | None = None
    trainee: Trainee | None = None
    failed_jobs: list[Job] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.failed_jobs:
            return "error"
        if self.application is None:
            return "not returned by Apply"
        if self.trainee is not None:
            return "trainee created"
        return {
            ApplyApplication.State.IMPORTABLE: "importable",
            ApplyApplication.State.NON_IMPORTABLE_HEI: "still a university (HEI) provider",
            ApplyApplication.State.NON_IMPORTABLE_DUPLICATE: "duplicate",
            ApplyApplication.State.IMPORTED: "imported",
        }[ApplyApplication.State(self.application.state)]


@dataclass
class RunProgress:
    run: ImportRun
    jobs: list[Job]
    rows: list[RunRow]
    started_jobs: list[Job]

    @property
    def waiting_for_apply_team(self) -> bool:
        return self.run.started_at is None

    @property
    def ended(self) -> bool:
        return not self.waiting_for_apply_team and all(j.state in jobs.FINISHED for j in self.jobs)

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(row.outcome for row in self.rows)
        return {
            "re-imported": sum(1 for r in self.rows if r.application is not None),
            "trainees created": tally["trainee created"],
            "duplicates": tally["duplicate"],
            "still HEI": tally["still a university (HEI) provider"],
            "errors": sum(1 for j in self.jobs if j.state == Job.State.DEAD),
        }

    @property
    def job_states(self) -> dict[str, int]:
        return dict(Counter(Job.State(j.state).label for j in self.jobs))


def run_progress(run: ImportRun) -> RunProgress:
    run_jobs = list(run.jobs.order_by("pk"))
    apply_ids: list[int] = list(run.apply_ids)
    failed: dict[int, list[Job]] = {}
    by_pk = _applications_of_create_jobs(run_jobs)
    started = [
        j for j in run_jobs if j.task_name in (jobs.IMPORT_APPLICATIONS, jobs.CREATE_TRAINEES)
    ]
    for job in run_jobs:
        apply_id = _apply_id_of(job, by_pk)
        if apply_id is None:
            continue
        if apply_id not in apply_ids:
            apply_ids.append(apply_id)
        if job.state == Job.State.DEAD:
            failed.setdefault(apply_id, []).append(job)
    applications = {a.apply_id: a for a in ApplyApplication.objects.filter(apply_id__in=apply_ids)}
    trainees = {
        t.apply_application_id: t
        for t in Trainee.objects.filter(apply_application__in=list(applications.values()))
    }
    rows = []
    for apply_id in apply_ids:
        application = applications.get(apply_id)
        rows.append(
            RunRow(
                apply_id=apply_id,
                application=application,
                trainee=trainees.get(application.pk) if application else None,
                failed_jobs=failed.get(apply_id, []),
            )
        )
    return RunProgress(run=run, jobs=run_jobs, rows=rows, started_jobs=started)


def _applications_of_create_jobs(run_jobs: list[Job]) -> dict[int, int]:
    pks = [
        j.arguments.get("application_id") for j in run_jobs if j.task_name == jobs.CREATE_TRAINEE
    ]
    return dict(ApplyApplication.objects.filter(pk__in=pks).values_list("pk", "apply_id"))


def _apply_id_of(job: Job, apply_id_by_pk: dict[int, int]) -> int | None:
    if job.task_name == jobs.IMPORT_APPLICATION:
        data = job.arguments.get("application_data")
        try:
            return int(str(data["id"]))
        except (TypeError, ValueError, KeyError):
            return None
    if job.task_name == jobs.CREATE_TRAINEE:
        return apply_id_by_pk.get(job.arguments.get("application_id"))
    return None
