"""The chaos suite: DQT update jobs through two real workers while everything around them
fails, then an exact account of every job.

    python -m tests.chaos --jobs 5000 --report var/chaos.json     # make chaos
    python -m tests.chaos --jobs 300                              # the short form (make test)

It runs on servers of its own (a private PostgreSQL it may stop and start, a private Redis it
may flush, tests/jobs/private_services.py), never the machine's, and does to them, while the
jobs run:

- the fake DQT answers 30 % of calls with a 500 and stalls 5 % past the client's timeout
  (every other call takes ``--latency``);
- each worker is killed with SIGKILL once, and started again;
- Redis is flushed (every message waiting or held by a worker is gone);
- PostgreSQL is stopped for a few seconds and started again.

Then every job must be succeeded or dead (none waiting, none lost), a dead job must carry its
error, and the fake's request log must agree: a succeeded job's update reached DQT and was
answered exactly once, unless its worker was killed while it held the job (then the update
may have gone twice, both identical), and a dead job's never was. The report (JSON) holds the
figures `docs/reliability.md` quotes; the exit status is 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.jobs.private_services import PrivatePostgres, PrivateRedis, wait_until

FINAL_STATES = {"succeeded", "dead"}
# Every 25th trainee is not on DQT: its update is refused (404, 10001) and dies at once.
NOT_ON_DQT_EVERY = 25


@dataclass
class Plan:
    jobs: int = 300
    concurrency: int = 10
    latency: float = 0.1
    error_rate: float = 0.3
    stall_rate: float = 0.05
    client_timeout: float = 1.0
    outage_seconds: float = 5.0
    # Minutes after which the sweep resends an enqueued job no worker took (Redis lost it,
    # or the killed worker held it).
    lost_after_minutes: float = 0.25
    retry_wait_scale: float = 0.1
    requests_per_second: int = 0
    seconds: float = 600.0


@dataclass
class Report:
    plan: dict[str, Any]
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    dead_errors: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    # Jobs whose run was cut short: their worker was killed holding them, or lost them
    # with the database.
    interrupted_jobs: int = 0
    # Updates DQT carried out beyond one per succeeded job, each explained by a run that
    # saw no answer (a timeout in the job's errors, or an interrupted run).
    repeated_updates: int = 0
    failures: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"chaos {time.strftime('%H:%M:%S')}: {message}", file=sys.stderr, flush=True)


class Chaos:
    def __init__(self, plan: Plan, directory: Path):
        self.plan = plan
        self.directory = directory
        self.faults: list[str] = []
        # Per job, the runs a SIGKILL cut short: a job can be held by both killed workers
        # (the first one's message comes back and the second one takes it).
        self.interrupted = Counter[int]()
        self.workers: dict[str, Any] = {}
        self.generation = Counter[str]()
        self.not_on_dqt: set[str] = set()

    # --- set-up -------------------------------------------------------------------------

    def start_servers(self) -> None:
        from dqt.fake import FakeDqt

        self.postgres = PrivatePostgres().start()
        self.redis = PrivateRedis().start()
        self.fake = FakeDqt().start()
        env = {**os.environ, "REGSUPPORT_ENV": "test", "DJANGO_SETTINGS_MODULE": "tests.settings"}
        log("servers started")
        self.database_url = self.postgres.create_database("chaos", env=env)
        log("database migrated")
        os.environ.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            REGSUPPORT_ENV="test",
            DJANGO_SETTINGS_MODULE="tests.settings",
            SETTINGS__FEATURES__INTEGRATE_WITH_DQT="true",
            SETTINGS__DQT__BASE_URL=self.fake.url,
            SETTINGS__DQT__API_KEY=self.fake.api_key,
            SETTINGS__DQT__TIMEOUT_SECONDS=str(self.plan.client_timeout),
            SETTINGS__DQT__MAX_REQUESTS_PER_SECOND=str(self.plan.requests_per_second),
            SETTINGS__JOBS__ENQUEUED_LOST_AFTER_MINUTES=str(self.plan.lost_after_minutes),
            SETTINGS__JOBS__RETRY_WAIT_SCALE=str(self.plan.retry_wait_scale),
        )
        import django

        django.setup()

    def stop_servers(self) -> None:
        for name in list(self.workers):
            self.stop_worker(name)
        # Whatever started, even if the start-up failed half-way.
        for server, stop in (("fake", "stop"), ("redis", "remove"), ("postgres", "remove")):
            if not hasattr(self, server):
                continue
            try:
                getattr(getattr(self, server), stop)()
            except Exception as error:  # noqa: BLE001 - clean up the rest regardless
                log(f"clean-up failed: {error}")

    def make_trainees(self) -> list[tuple[int, str]]:
        """Trainees with a TRN, DQT's record of each (all but every 25th), and the faults."""
        from django.db import transaction

        from tests.factories import ProviderFactory, TraineeFactory

        with transaction.atomic():
            provider = ProviderFactory()
            trainees = TraineeFactory.create_batch(self.plan.jobs, with_trn=True, provider=provider)
        for n, trainee in enumerate(trainees, start=1):
            if n % NOT_ON_DQT_EVERY:
                self.fake.add_teacher_for(trainee)
            else:
                self.not_on_dqt.add(trainee.trn)
        # The first matching fault wins: 30 % errors, then 5 % of the rest stall, the rest
        # are slow.
        self.fake.fail_next("/v2/", count=None, probability=self.plan.error_rate)
        self.fake.hang(
            "/v2/",
            seconds=self.plan.client_timeout * 3,
            count=None,
            probability=self.plan.stall_rate / (1 - self.plan.error_rate),
        )
        self.fake.slow_down("/v2/", seconds=self.plan.latency)
        return [(t.pk, t.trn) for t in trainees]

    def enqueue(self, trainees: list[tuple[int, str]]) -> dict[int, str]:
        """One update per trainee; the messages go out when the transaction commits."""
        from django.db import transaction

        from dqt.jobs import update_trainee
        from trainees.models import Trainee

        jobs = {}
        with transaction.atomic():
            for trainee_id, trn in trainees:
                job = update_trainee.enqueue(trainee=Trainee(pk=trainee_id), trainee_id=trainee_id)
                jobs[job.pk] = trn
        return jobs

    # --- workers ------------------------------------------------------------------------

    def start_worker(self, name: str) -> None:
        from tests.jobs.worker import start_worker

        self.generation[name] += 1
        self.workers[name] = start_worker(
            self.directory / f"{name}-{self.generation[name]}.log",
            concurrency=self.plan.concurrency,
            pool="threads",
            queues="dqt,default",
            database=self.database_url,
            broker=self.redis.url,
            name=f"{name}-{self.generation[name]}",
            # Names the worker's database sessions, so its locks can be told from others'.
            env={"PGAPPNAME": f"chaos-{name}"},
        )

    def fault(self, what: str) -> None:
        self.faults.append(what)
        log(what)

    def stop_worker(self, name: str) -> None:
        from tests.jobs.worker import stop_worker

        process = self.workers.pop(name, None)
        if process is not None:
            stop_worker(process)

    def kill_worker(self, name: str) -> None:
        """SIGKILL, as the OOM killer or a lost machine would. The worker is frozen first
        so the jobs it holds (its session's locks) can be read: only those may have sent
        their update twice."""
        held_sql = """SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l
               JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
                 AND a.application_name = %s"""
        try:  # killed while it runs jobs, if it gets any within a while
            wait_until(lambda: self._query(held_sql, [f"chaos-{name}"]), what="", seconds=15)
        except AssertionError:
            pass
        process = self.workers.pop(name)
        os.kill(process.pid, signal.SIGSTOP)
        time.sleep(0.5)  # statements already sent finish; no new ones come
        held = self._query(held_sql, [f"chaos-{name}"])
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.interrupted.update(row[0] for row in held or [])
        self.fault(f"SIGKILL {name} holding {len(held or [])} jobs")

    # --- the run ------------------------------------------------------------------------

    def _query(self, sql: str, params: list | None = None) -> list[tuple] | None:
        try:
            with psycopg.connect(self.database_url, connect_timeout=2) as conn:
                return conn.execute(sql, params).fetchall()
        except psycopg.OperationalError:
            return None  # PostgreSQL is down: ask again later

    def states(self) -> Counter:
        rows = self._query("SELECT state, count(*) FROM jobs_job GROUP BY state")
        return Counter(dict(rows)) if rows is not None else Counter()

    def finished(self) -> int:
        states = self.states()
        return sum(states[s] for s in FINAL_STATES) if states else -1

    def run(self) -> Report:
        report = Report(plan=asdict(self.plan))
        try:
            self.start_servers()
            trainees = self.make_trainees()
            log(f"{len(trainees)} trainees made")
            # Both workers are up before the first message, so both take work.
            with ThreadPoolExecutor() as starting:
                list(starting.map(self.start_worker, ["a", "b"]))
            log("workers started")
            started = time.monotonic()
            jobs = self.enqueue(trainees)
            log(f"{len(jobs)} jobs enqueued")
            stop_sweeping = threading.Event()
            sweeper = threading.Thread(target=self._beat, args=(stop_sweeping,), daemon=True)
            sweeper.start()
            try:
                self._inflict(len(jobs))
                wait_until(
                    lambda: self.states().keys() <= FINAL_STATES and self.finished() == len(jobs),
                    what="every job to succeed or die",
                    seconds=self.plan.seconds,
                    every=1,
                )
                report.seconds = round(time.monotonic() - started, 1)
            finally:
                stop_sweeping.set()
                sweeper.join()
                for name in list(self.workers):
                    self.stop_worker(name)
            self._account(jobs, report)
        finally:
            self.stop_servers()
        return report

    def _beat(self, stop: threading.Event) -> None:
        """What celery beat does: a sweep message every few seconds."""
        from regsupport.celery import app

        while not stop.wait(3):
            try:
                app.send_task("jobs.sweep", queue="default", expires=3)
            except Exception as error:  # noqa: BLE001 - Redis being flushed is the point
                log(f"sweep not sent: {error}")

    def _inflict(self, total: int) -> None:
        """Each fault once, spread over the run by how many jobs have finished."""

        def after(share: float) -> None:
            wait_until(
                lambda: self.finished() >= share * total,
                what=f"{share:.0%} of the jobs to finish",
                seconds=self.plan.seconds,
                every=0.2,
            )

        after(0.1)
        self.kill_worker("a")
        self.start_worker("a")
        after(0.3)
        self.redis.flush()
        self.fault("Redis flushed (FLUSHALL)")
        after(0.45)
        self.postgres.stop()
        time.sleep(self.plan.outage_seconds)
        self.postgres.start()
        self.fault(f"PostgreSQL stopped for {self.plan.outage_seconds:g} s and started")
        after(0.6)
        self.kill_worker("b")
        self.start_worker("b")

    # --- the account --------------------------------------------------------------------

    def _account(self, jobs: dict[int, str], report: Report) -> None:
        rows = self._query(
            "SELECT id, state, attempts, max_attempts, error_status, error_message, errors "
            "FROM jobs_job"
        )
        assert rows is not None
        ledger = {row[0]: row[1:] for row in rows}
        calls = self.fake.calls
        logs = {path.name: path.read_text() for path in sorted(self.directory.glob("*.log"))}
        # Runs a worker lost track of, by its own account: the database went away while
        # they ran, so their outcome waited (and the worker may have been killed meanwhile),
        # found another run had the job ("not recorded"), or gave up and sent the message
        # back.
        lost_runs = {
            int(job_id)
            for text in logs.values()
            for job_id in re.findall(
                r"Job (\d+)(?: \S+ attempt \d+: its outcome was not recorded|: the worker's "
                r"database session was lost|: its outcome waits for the database"
                r"| goes back to the queue)",
                text,
            )
        }
        report.faults = self.faults
        report.interrupted_jobs = len((set(self.interrupted) | lost_runs) & set(jobs))
        report.states = dict(Counter(row[0] for row in ledger.values()))
        report.attempts = dict(sorted(Counter(str(row[1]) for row in ledger.values()).items()))
        report.dead_errors = dict(
            Counter(
                re.sub(r"\d{7}", "<trn>", row[4].split(",")[0])
                for row in ledger.values()
                if row[0] == "dead"
            )
        )
        updates = [c for c in calls if c["method"] == "PATCH"]
        report.calls = {
            "all": len(calls),
            "updates": len(updates),
            "500 injected": sum(c["fault"] == "error" for c in calls),
            "stalled past the client's timeout": sum(c["fault"] == "hang" for c in calls),
            "updates answered 204": sum(c["status"] == 204 for c in updates),
            "of which stalled: DQT carried them out after the client gave up": sum(
                c["status"] == 204 and c["fault"] == "hang" for c in updates
            ),
        }
        answered = Counter(c["path"].rsplit("/", 1)[1] for c in updates if c["status"] == 204)
        failures = report.failures
        # A job's task that raised past the runner was acknowledged with nothing recorded:
        # its job waited for the sweep. Every fault here has a handled path.
        # (A sweep that meets the database down fails, and beat sends the next one.)
        for name, text in logs.items():
            for error in re.findall(r"Task jobs\.run_job\[[^]]+\] raised unexpected: (.*)", text):
                failures.append(f"{name}: a job's task raised past the runner: {error}")
        if set(ledger) != set(jobs):
            failures.append(f"ledger has {len(ledger)} jobs, {len(jobs)} were enqueued")
        unfinished = {s: n for s, n in report.states.items() if s not in FINAL_STATES}
        if unfinished:
            failures.append(f"jobs not finished: {unfinished}")
        for job_id, trn in jobs.items():
            state, attempts, max_attempts, status, message, errors = ledger.get(job_id, (None,) * 6)
            sent = answered[trn]
            # An update DQT carried out while the worker saw no answer: the ledger recorded
            # a timeout for that attempt, or the run was cut short (killed, or lost with the
            # database). Only those may add to the one update each success sends.
            unseen = sum(e["message"].startswith("DQT did not answer PATCH") for e in errors or [])
            # Each killed run counts; a run lost with the database counts once more (a
            # run both lost and then killed counts twice: the check errs lenient there).
            unseen += self.interrupted[job_id] + (job_id in lost_runs)
            on_dqt = trn not in self.not_on_dqt
            if state == "succeeded":
                if not on_dqt:
                    failures.append(f"job {job_id} succeeded for a teacher DQT does not have")
                if not 1 <= sent <= 1 + unseen:
                    failures.append(
                        f"job {job_id} succeeded; DQT answered {sent} updates, "
                        f"{unseen} of its runs saw no answer"
                    )
                report.repeated_updates += sent - 1 if sent > 1 else 0
            elif state == "dead":
                if not message:
                    failures.append(f"job {job_id} is dead without its error")
                if on_dqt and attempts < max_attempts:
                    failures.append(f"job {job_id} died of {message!r} before its last try")
                if not on_dqt and status not in (404, 500, None):
                    failures.append(f"job {job_id} (not on DQT) died of {message!r}")
                if sent > unseen:
                    failures.append(f"job {job_id} is dead but DQT answered {sent} updates")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in asdict(Plan()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    parser.add_argument("--report", type=Path, help="write the report here as JSON")
    parser.add_argument("--logs", type=Path, default=Path("var/chaos"), help="worker logs")
    options = vars(parser.parse_args(argv))
    report_path, logs = options.pop("report"), options.pop("logs")
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    report = Chaos(Plan(**options), logs).run()
    text = json.dumps(asdict(report), indent=2)
    if report_path:
        report_path.write_text(text)
    print(text)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
