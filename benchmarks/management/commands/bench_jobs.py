"""The jobs benchmark (run by `make bench` with benchmarks.settings on regsupport_bench).

Generates 1,000,000 ledger rows (100,000 dead) and 200,000 django-celery-results task rows
with SQL, then measures the dead-jobs console server-side with the Django test client
(median of several runs, SQL query counts), the streamed CSV (time, memory growth), a
bulk retry of 10,000 filtered dead jobs until every message is in Redis, worker throughput
with and without the ledger (an empty job, and a job making one call to the fake DQT,
which answers in 100 ms), and django-celery-results' admin as the baseline.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

JOBS = 1_000_000
DEAD = 100_000
TRAINEES = 200_000
PROVIDERS = 60
TASK_RESULTS = 200_000
TASK_FAILURES = 100_000
RETRY_BATCH = 10_000  # dead jobs with error status 502: the bulk-retry filter
RUNS = 7
DEAD_TYPES = [
    "dqt.update_trainee",
    "dqt.withdraw_trainee",
    "dqt.recommend_for_award",
    "dqt.register_for_trn",
]
BASE_DIR = Path(__file__).resolve().parents[3]
# What the DQT throughput jobs poll: a TRN request, registered with the fake DQT.
BENCH_TRN_REQUEST = {
    "firstName": "Bench",
    "lastName": "Trainee",
    "birthDate": "1990-01-02",
    "emailAddress": "bench.trainee@example.com",
    "genderCode": "NotProvided",
    "initialTeacherTraining": {
        "providerUkprn": "10000002",
        "programmeStartDate": "2025-09-01",
        "programmeEndDate": "2026-07-31",
        "programmeType": "PrimaryAndSecondaryPostgraduateFeeFunded",
        "subject1": "100403",
        "ageRangeFrom": 11,
        "ageRangeTo": 16,
    },
}


class Command(BaseCommand):
    help = "Benchmark the job ledger and dead-jobs console against django-celery-results."

    def add_arguments(self, parser):
        parser.add_argument("--regenerate", action="store_true")
        parser.add_argument("--runs", type=int, default=RUNS)
        parser.add_argument("--throughput-jobs", type=int, default=3000)
        parser.add_argument("--throughput-dqt-jobs", type=int, default=200)
        parser.add_argument("--throughput-rounds", type=int, default=5)
        parser.add_argument(
            "--only-throughput",
            action="store_true",
            help="skip the console, CSV, retry and baseline measures (for tuning the worker)",
        )
        parser.add_argument(
            "--only-dqt-throughput",
            action="store_true",
            help="run only the DQT update throughput at 200 ms (step 7)",
        )
        parser.add_argument(
            "--only-resync",
            action="store_true",
            help="run only the bulk resync at 200 ms (step 8; not part of a full run)",
        )
        parser.add_argument("--resync-trainees", type=int, default=50_000)
        parser.add_argument("--dqt-throughput-jobs", type=int, default=2000)
        parser.add_argument("--dqt-throughput-baseline-jobs", type=int, default=100)
        parser.add_argument(
            "--only-console",
            action="store_true",
            help="run only the dead-jobs console measures, its CSV included (for tuning them)",
        )

    def handle(self, *args, **options):
        if "django_celery_results" not in settings.INSTALLED_APPS:
            raise CommandError(
                "Run through `make bench` (DJANGO_SETTINGS_MODULE=benchmarks.settings)."
            )
        self.runs = options["runs"]
        self.results: list[tuple[str, str, str]] = []
        self.machine()
        started = time.monotonic()
        self.generate(regenerate=options["regenerate"])
        self.stdout.write(f"data ready in {time.monotonic() - started:.0f} s\n")
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        self.client = Client()
        self.client.force_login(user)
        self.user = user
        if options["only_console"]:
            self.console()
            self.csv_export()
            self.report()
            return
        if options["only_resync"]:
            ResyncStep(self, options["resync_trainees"]).run()
            self.report()
            return
        if options["only_dqt_throughput"]:
            self.dqt_throughput(
                options["dqt_throughput_jobs"], options["dqt_throughput_baseline_jobs"]
            )
            self.report()
            return
        if not options["only_throughput"]:
            self.console()
            self.csv_export()
            self.bulk_retry()
            self.baseline()
        self.rounds = options["throughput_rounds"]
        self.throughput(options["throughput_jobs"], options["throughput_dqt_jobs"])
        self.dqt_throughput(options["dqt_throughput_jobs"], options["dqt_throughput_baseline_jobs"])
        self.report()

    # --- output -------------------------------------------------------------------------

    def machine(self):
        cpu = "unknown CPU"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg = cursor.fetchone()[0]
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        self.stdout.write(
            f"machine: {cpu}, {os.cpu_count()} CPUs, {mem:.0f} GB RAM; PostgreSQL {pg}; "
            f"Python {platform.python_version()}\n"
        )

    def record(self, name: str, figure: str, target: str):
        self.results.append((name, figure, target))
        self.stdout.write(f"  {name:<58} {figure:<28} target {target}\n")

    def report(self):
        self.stdout.write("\n| measure | result | target |\n|---|---|---|\n")
        for name, figure, target in self.results:
            self.stdout.write(f"| {name} | {figure} | {target} |\n")

    # --- data ---------------------------------------------------------------------------

    def generate(self, *, regenerate: bool):
        from benchmarks.data import column_defaults_sql
        from jobs.models import Job
        from providers.models import Provider
        from trainees.models import Trainee

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM jobs_job")
            have = cursor.fetchone()[0]
        if have == JOBS and not regenerate:
            self.stdout.write("reusing existing data (--regenerate to make it again)\n")
            self._reset_retry_batch()
            return
        self.stdout.write("generating data with SQL...\n")
        defaults = column_defaults_sql(Provider, Trainee, Job)
        sql = f"""
        TRUNCATE jobs_job, jobs_historicaljob, trainees_trainee, trainees_historicaltrainee,
                 providers_provider, providers_historicalprovider, django_celery_results_taskresult
                 RESTART IDENTITY CASCADE;
        {defaults}
        INSERT INTO providers_provider (name, code, ukprn, accreditation_id, accredited,
            apply_sync_enabled, created_at, updated_at)
        SELECT 'Provider ' || g, 'P' || g, (10000000 + g)::text, (5000 + g)::text, true, false,
               now(), now()
        FROM generate_series(1, {PROVIDERS}) g;
        INSERT INTO trainees_trainee (slug, trn, first_names, middle_names, last_name, email,
            state, progress, created_at, updated_at, provider_id, date_of_birth,
            training_route, itt_start_date, itt_end_date, course_min_age, course_max_age,
            course_subject_one, hesa_id, iqts_country)
        SELECT substr(md5(g::text), 1, 24), (3000000 + g)::text, 'First' || g, '',
               'Last' || g, 'trainee' || g || '@example.com', 2, '{{}}', now(), now(),
               1 + g % {PROVIDERS}, date '1990-01-01' + (g % 5000), 1,
               date '2025-09-01', date '2026-07-31', 11, 16, 'mathematics', '', ''
        FROM generate_series(1, {TRAINEES}) g;
        INSERT INTO jobs_job (task_name, arguments, trainee_id, queue, state, attempts,
            max_attempts, created_at, enqueued_at, finished_at, error_status, error_code,
            error_title, error_message, errors, note, discard_reason)
        SELECT t.task_name, jsonb_build_object('trainee_id', t.trainee_id), t.trainee_id,
               'dqt', t.state, 1, 10, t.created_at, t.created_at, t.created_at,
               t.status, t.code, t.title,
               CASE WHEN t.status IS NULL THEN ''
                    ELSE 'status: ' || t.status || ', body: {{"title":"' || t.title ||
                         '","status":' || t.status || ',"errorCode":' || coalesce(t.code, 0)
                         || '}}, headers: {{}}' END,
               CASE WHEN t.status IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(
                   jsonb_build_object('attempt', 1, 'status', t.status, 'code', t.code,
                                      'title', t.title)) END,
               '', ''
        FROM (
          SELECT g,
                 1 + (g::bigint * 7919) % {TRAINEES} AS trainee_id,
                 (ARRAY{DEAD_TYPES!r})[1 + g % {len(DEAD_TYPES)}] AS task_name,
                 CASE WHEN g <= {DEAD} THEN 'dead' ELSE 'succeeded' END AS state,
                 now() - ((g * 37) % (60 * 24 * 60)) * interval '1 minute' AS created_at,
                 CASE WHEN g > {DEAD} THEN NULL
                      WHEN g <= {RETRY_BATCH} THEN 502
                      ELSE (ARRAY[400, 404, 404, 405, 500])[1 + g % 5] END AS status,
                 CASE WHEN g > {DEAD} OR g <= {RETRY_BATCH} THEN NULL
                      ELSE (ARRAY[10006, 10001, 10001, NULL, NULL])[1 + g % 5] END AS code,
                 CASE WHEN g > {DEAD} THEN ''
                      WHEN g <= {RETRY_BATCH} THEN 'Bad Gateway'
                      ELSE (ARRAY['Teacher has no QTS record',
                                  'Teacher with specified TRN not found',
                                  'Teacher with specified TRN not found',
                                  'Method Not Allowed', 'Internal Server Error'])[1 + g % 5]
                 END AS title
          FROM generate_series(1, {JOBS}) g) t;
        INSERT INTO django_celery_results_taskresult (task_id, status, content_type,
            content_encoding, result, date_done, traceback, meta, task_args, task_kwargs,
            task_name, worker, date_created, periodic_task_name)
        SELECT md5(g::text) || g, CASE WHEN g <= {TASK_FAILURES} THEN 'FAILURE' ELSE 'SUCCESS' END,
               'application/json', 'utf-8',
               CASE WHEN g <= {TASK_FAILURES}
                    THEN '{{"exc_type": "HttpError", "exc_message": ["status: 404, body: {{\\"title\\":\\"Teacher with specified TRN not found\\",\\"status\\":404,\\"errorCode\\":10001}}"]}}'
                    ELSE 'null' END,
               now() - (g % 86400) * interval '1 minute',
               CASE WHEN g <= {TASK_FAILURES} THEN 'Traceback (most recent call last):\n  File "dqt/jobs.py", line 42, in update_trainee\nHttpError: status: 404' ELSE NULL END,
               '{{"children": []}}', '"(' || (1 + (g::bigint * 7919) % {TRAINEES}) || ',)"', '"{{}}"',
               (ARRAY{DEAD_TYPES!r})[1 + g % {len(DEAD_TYPES)}], 'celery@bench',
               now() - (g % 86400) * interval '1 minute', NULL
        FROM generate_series(1, {TASK_RESULTS}) g;
        """
        with connection.cursor() as cursor:
            cursor.execute(sql)
        # VACUUM cannot run inside a transaction block; autocommit is on outside atomic().
        with connection.cursor() as cursor:
            for table in (
                "jobs_job",
                "trainees_trainee",
                "django_celery_results_taskresult",
                "providers_provider",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        assert Job.objects.count() == JOBS

    def _reset_retry_batch(self):
        """Put the bulk-retry batch back to dead (a previous run retried it)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE jobs_job SET state = 'dead' WHERE id <= %s AND state <> 'dead'",
                [RETRY_BATCH],
            )
            cursor.execute("VACUUM ANALYZE jobs_job")

    # --- measuring ----------------------------------------------------------------------

    def timed_get(self, url: str, params: dict | None = None):
        times, queries = [], 0
        self.client.get(url, params or {})  # warm-up
        for _ in range(self.runs):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = self.client.get(url, params or {})
                if isinstance(response, StreamingHttpResponse):
                    b"".join(response)
                else:
                    response.content  # noqa: B018
                times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} {params} answered {response.status_code}")
            queries = len(captured.captured_queries)
        return statistics.median(times), queries, response

    def console(self):
        from jobs.models import Job

        self.stdout.write("dead-jobs console (1,000,000 rows, 100,000 dead):\n")
        listing = "/admin/jobs/deadjob/"
        some_trainee = Job.objects.filter(state="dead").values_list("trainee_id", flat=True)[500]
        cases = [
            ("dead-jobs index (counts per type)", "/admin/console/dead-jobs/", {}),
            ("dead-jobs list, first page", listing, {}),
            ("filter: job type", listing, {"task_name": "dqt.update_trainee"}),
            ("filter: error status 404", listing, {"error_status": "404"}),
            ("filter: error code 10006", listing, {"error_code": "10006"}),
            ("filter: provider", listing, {"provider": "7"}),
            ("filter: days waiting 8-30", listing, {"days": "8-30"}),
            ("deep page (page 900 of 1,000)", listing, {"p": "900"}),
            ("search by trainee id", listing, {"q": str(some_trainee)}),
            ("sort by TRN", listing, {"o": "3"}),
        ]
        for name, url, params in cases:
            median, queries, _ = self.timed_get(url, params)
            self.record(name, f"{median:.1f} ms, {queries} queries", "≤ 60 ms, ≤ 12 queries")

    def csv_export(self):
        self.stdout.write("CSV of all 100,000 dead jobs, streamed:\n")
        times: list[float] = []
        growths: list[float] = []
        lines = 0
        # Fewer runs than the pages: each reads every dead job.
        for _ in range(min(self.runs, 5)):
            with rss_growth() as growth:
                start = time.perf_counter()
                response = self.client.get("/admin/jobs/deadjob/csv/")
                if not isinstance(response, StreamingHttpResponse):
                    raise CommandError("The dead-jobs CSV was not streamed.")
                lines = 0
                for chunk in response:
                    lines += chunk.count(b"\n")
                times.append(time.perf_counter() - start)
            growths.append(growth["mb"])
        self.record(
            "CSV export, 100,000 dead jobs",
            f"{statistics.median(times):.2f} s median of {len(times)} (slowest "
            f"{max(times):.2f} s), +{max(growths):.1f} MB RSS at most ({lines - 1} rows)",
            "≤ 3 s, < 50 MB",
        )

    def bulk_retry(self):
        import redis

        from jobs.models import Job

        self.stdout.write("retry 10,000 filtered dead jobs (until all are in Redis):\n")
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        broker.delete("dqt")
        assert Job.objects.filter(state="dead", error_status=502).count() == RETRY_BATCH
        reason = f"Benchmark {time.time():.0f}: DQT 502s are over"
        data = {
            "action": "retry_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": ["1"],
            "confirm": "yes",
            "reason": reason,
        }
        start = time.perf_counter()
        response = self.client.post("/admin/jobs/deadjob/?error_status=502", data)
        while broker.llen("dqt") < RETRY_BATCH:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            raise CommandError(f"bulk retry answered {response.status_code}")
        history = Job.history.filter(history_change_reason=reason).count()
        self.record(
            "bulk retry of 10,000 filtered dead jobs",
            f"{elapsed:.2f} s ({history} history rows)",
            "≤ 10 s",
        )
        broker.delete("dqt")
        self._reset_retry_batch()

    def baseline(self):
        from django_celery_results.models import TaskResult
        from import_export import resources

        self.stdout.write("baseline: django-celery-results admin, 200,000 task rows:\n")
        listing = "/admin/django_celery_results/taskresult/"
        median, queries, _ = self.timed_get(listing)
        self.record(
            "baseline: TaskResult list",
            f"{median:.1f} ms, {queries} queries",
            "(410–440 ms measured before)",
        )
        median, queries, _ = self.timed_get(listing, {"q": "123457"})
        self.record(
            "baseline: search a trainee id in task_args",
            f"{median:.1f} ms, {queries} queries",
            "(1,050 ms measured before)",
        )

        class TaskResultResource(resources.ModelResource):
            class Meta:
                model = TaskResult

        failures = TaskResult.objects.filter(status="FAILURE")
        with rss_growth() as growth:
            start = time.perf_counter()
            exported = TaskResultResource().export(queryset=failures).csv
            elapsed = time.perf_counter() - start
        self.record(
            "baseline: import-export CSV of 100,000 failures",
            f"{elapsed:.2f} s, +{growth['mb']:.1f} MB RSS ({len(exported) / 2**20:.0f} MB of CSV)",
            "(45 s, 214 MB measured before)",
        )

    def throughput(self, n: int, n_dqt: int):
        from dqt.client import DqtClient
        from dqt.fake.server import FakeDqt
        from regsupport.celery import app

        self.stdout.write("throughput, one worker with 2 processes:\n")
        env = dict(os.environ)
        log = Path(settings.BASE_DIR) / "var" / "bench-worker.log"
        log.parent.mkdir(exist_ok=True)
        # The fake DQT runs in this process (a thread); TRNs at once, so every poll answers
        # 200 with a completed request, the common case of the TRN-polling job.
        fake = FakeDqt(trn_delay_seconds=0).start()
        worker = start_worker(log, queue="default", pool="prefork", concurrency=2, env=env)
        try:
            time.sleep(1)
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=1) and time.monotonic() < deadline:
                pass
            request_id = "bench-trn-request"
            with DqtClient(base_url=fake.url, api_key=fake.api_key) as dqt:
                dqt.register_for_trn(request_id, BENCH_TRN_REQUEST)
            # About what a DQT call takes: the realistic job, where the empty job shows the
            # ledger's cost against nothing.
            fake.slow_down(request_id, seconds=0.1)
            dqt_call = {"base_url": fake.url, "api_key": fake.api_key, "request_id": request_id}
            pairs = [
                ("empty job (one Redis INCR)", "plain_noop", "benchmarks.count", {}, n),
                (
                    "DQT call answering in 100 ms (one GET, ordered per trainee)",
                    "plain_dqt",
                    "benchmarks.dqt_poll",
                    dqt_call,
                    n_dqt,
                ),
            ]
            for label, plain_task, job_type, arguments, count in pairs:
                self.throughput_pair(label, plain_task, job_type, arguments, count)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            fake.stop()
            # One DELETE: the ORM's delete() would write a history row per job.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM jobs_job WHERE task_name LIKE 'benchmarks.%'")

    def throughput_pair(self, label, plain_task, job_type, arguments, n):
        """``n`` messages each for a bare Celery task and for a ledger job doing the same
        work, published to a queue the worker does not consume, then consumed at once and
        timed until the counter reaches ``n``, for ``self.rounds`` rounds.

        Each round times both variants back to back, plain first and ledger first in turn
        (ABBA), and the figure is the median of the rounds' ratios: a ratio of neighbours
        cancels the drift of a shared machine's speed, which a ratio of medians keeps
        (docs/decisions/0003-throughput-as-median-of-round-ratios.md).

        Also the machine's CPU time per job (all processes: worker, PostgreSQL, Redis, the
        fake DQT in this process), from /proc/stat: what the ledger costs in work."""
        from benchmarks import tasks
        from benchmarks.counter import KEY, client
        from jobs import registry
        from jobs.models import Job
        from jobs.publish import publish_many
        from regsupport.celery import app

        task = getattr(tasks, plain_task)
        rates: dict[str, list[float]] = {"plain": [], "ledger": []}
        cpu_ms: dict[str, list[float]] = {"plain": [], "ledger": []}
        client().delete("bench", KEY)
        for round_number in range(self.rounds):
            order = ("plain", "ledger") if round_number % 2 == 0 else ("ledger", "plain")
            for variant in order:
                client().set(KEY, 0)
                if variant == "plain":
                    with app.producer_or_acquire() as producer:
                        for i in range(n):
                            task.apply_async((i,), arguments, queue="bench", producer=producer)
                else:
                    # A trainee per job for ordered types (a different one each, as a
                    # queue of many trainees' DQT jobs): each claim checks that no
                    # earlier job of its trainee is unfinished, each success looks for
                    # one to release.
                    ordered = registry.get(job_type).ordered
                    jobs = Job.objects.bulk_create(
                        Job(
                            task_name=job_type,
                            queue="bench",
                            state="enqueued",
                            max_attempts=1,
                            arguments=arguments,
                            trainee_id=1 + i if ordered else None,
                        )
                        for i in range(n)
                    )
                    publish_many((job.pk, "bench") for job in jobs)
                cpu_before = machine_cpu_seconds()
                start = time.perf_counter()
                app.control.add_consumer("bench", reply=True, destination=None)
                while int(client().get(KEY) or 0) < n:
                    time.sleep(0.005)
                elapsed = time.perf_counter() - start
                cpu_ms[variant].append((machine_cpu_seconds() - cpu_before) * 1000 / n)
                app.control.cancel_consumer("bench", reply=True)
                rates[variant].append(n / elapsed)
        plain = statistics.median(rates["plain"])
        ledger = statistics.median(rates["ledger"])
        ratios = [lr / pr for lr, pr in zip(rates["ledger"], rates["plain"], strict=True)]
        overhead = (1 - statistics.median(ratios)) * 100
        self.stdout.write(
            f"  {label}, {n} jobs: rounds plain "
            + ", ".join(f"{r:.1f}" for r in rates["plain"])
            + "; ledger "
            + ", ".join(f"{r:.1f}" for r in rates["ledger"])
            + " jobs/s\n"
            + f"  {label}: ledger slower by, per round: "
            + ", ".join(f"{(1 - r) * 100:.0f} %" for r in ratios)
            + f"; ratio of the medians: {(1 - ledger / plain) * 100:.0f} %\n"
        )
        plain_cpu = statistics.median(cpu_ms["plain"])
        ledger_cpu = statistics.median(cpu_ms["ledger"])
        self.stdout.write(
            f"  {label}: machine CPU per job, median: plain {plain_cpu:.2f} ms, ledger "
            f"{ledger_cpu:.2f} ms (+{ledger_cpu - plain_cpu:.2f} ms, "
            f"{(ledger_cpu / plain_cpu - 1) * 100:.0f} % more)\n"
        )
        self.record(f"throughput, {label}: bare Celery task", f"{plain:.1f} jobs/s", "(baseline)")
        self.record(
            f"throughput, {label}: same task through the ledger",
            f"{ledger:.1f} jobs/s ({overhead:.1f} % slower, median of the rounds)",
            "≤ 20 % slower",
        )

    # --- DQT update throughput at a realistic latency -------------------------------------

    def dqt_throughput(self, n: int, n_baseline: int, rounds: int = 2):
        """The real ``dqt.update_trainee`` job against the fake DQT answering in 200 ms, two
        jobs per trainee (so each trainee's order is exercised), through one worker:
        ``n_baseline`` jobs through the old configuration (prefork, concurrency 2), then
        ``rounds`` pairs of ``n`` jobs through the thread-pool worker as the Procfile runs
        it, each pair back to back: first with a DQT lookup before every update (the code
        before decision 0011, ``dqt.teacher_copy_max_age_days`` 0), then with the update
        alone (the teachers' copies fresh). Each: jobs a second, the worker's CPU time per
        job, its database sessions at most (pg_stat_activity), and exactly once: every job
        succeeded, the fake received one PATCH per job (and the lookups said), per
        trainee, and the second job of a trainee started after the first finished."""
        from dqt.fake.server import FakeDqt

        self.stdout.write("DQT update throughput, DQT answering in 200 ms:\n")
        fake = FakeDqt(trn_delay_seconds=0).start()
        try:
            fake.slow_down("/v2/teachers/", seconds=0.2)
            env = fake_dqt_env(fake)
            lookup = {**env, "SETTINGS__DQT__TEACHER_COPY_MAX_AGE_DAYS": "0"}
            baseline = self.dqt_run(
                fake, lookup, n_baseline, first_trainee=1, pool="prefork", concurrency=2
            )
            cores = len(os.sched_getaffinity(0))
            # name: environment, DQT lookups, worker processes, threads each.
            variants = {
                "lookup": (lookup, True, 1, 100),
                "copy": (env, False, 1, 100),
                # manage.py dqtworker, as the Procfile runs it: a process per core.
                "copy-per-core": (env, False, 0, 100),
            }
            runs: dict[str, list[dict]] = {name: [] for name in variants}
            first = TRAINEES // 2
            for _ in range(rounds):
                for name, (run_env, lookups, processes, threads) in variants.items():
                    result = self.dqt_run(
                        fake,
                        run_env,
                        n,
                        first_trainee=first,
                        pool="threads",
                        concurrency=threads,
                        lookups=lookups,
                        processes=processes,
                    )
                    runs[name].append(result)
                    first += n // 2
        finally:
            fake.stop()
        self.record(
            "DQT update jobs at 200 ms, DQT lookup + PATCH each: prefork, concurrency 2 "
            "(the old worker)",
            f"{baseline['rate']:.1f} jobs/s, {baseline['sessions']} DB sessions, "
            f"{baseline['exact']}",
            "(baseline: 4.9 jobs/s measured before)",
        )
        for name, label in (
            ("lookup", "DQT lookup + PATCH each (before): one dqtworker process, threads x100"),
            ("copy", "PATCH alone (now): one dqtworker process, threads x100"),
            (
                "copy-per-core",
                f"PATCH alone (now): manage.py dqtworker, a process per core ({cores} x "
                f"threads x{100 // cores})",
            ),
        ):
            results = runs[name]
            rates = ", ".join(f"{r['rate']:.1f}" for r in results)
            self.record(
                f"DQT update jobs at 200 ms, {label}",
                f"{statistics.median(r['rate'] for r in results):.1f} jobs/s (rounds: {rates}), "
                f"{statistics.median(r['cpu_ms'] for r in results):.1f} ms worker CPU a job, "
                f"{max(r['sessions'] for r in results)} DB sessions, "
                + "; ".join(sorted({r["exact"] for r in results})),
                "≥ 200 jobs/s, exactly once, sessions well under max_connections"
                if name == "copy-per-core"
                else "(side by side, one process)",
            )

    def dqt_run(self, fake, env, n, *, first_trainee, pool, concurrency, lookups=True, processes=1):
        from dqt.jobs import keep_teacher_copy
        from dqt.models import DqtTeacher
        from jobs.models import Job
        from jobs.publish import publish_many

        trainees = free_trainees(fake, first=first_trainee, count=n // 2)
        for trainee in trainees:
            if lookups:
                DqtTeacher.objects.filter(trn=trainee.trn).delete()
            else:
                # As after the TRN request that gave the trainee its TRN, or a lookup
                # within dqt.teacher_copy_max_age_days.
                keep_teacher_copy(trn=trainee.trn, allow_pii_updates=True)
        jobs = Job.objects.bulk_create(
            Job(
                task_name="dqt.update_trainee",
                queue="dqt",
                state="enqueued",
                max_attempts=5,
                arguments={"trainee_id": trainee.pk},
                trainee_id=trainee.pk,
            )
            for _ in range(2)
            for trainee in trainees
        )
        ids = [job.pk for job in jobs]
        calls_before = len(fake.calls)
        label = f"{processes} x {pool} x{concurrency}"
        if processes:
            workers = [
                start_worker(
                    Path(settings.BASE_DIR) / "var" / f"bench-dqt-{pool}-{i}.log",
                    queue="dqt",
                    pool=pool,
                    concurrency=concurrency,
                    env={**os.environ, **env},
                    name=f"-{i}",
                )
                for i in range(processes)
            ]
        else:
            workers = [
                start_dqtworker(
                    Path(settings.BASE_DIR) / "var" / "bench-dqtworker.log",
                    concurrency=concurrency,
                    env={**os.environ, **env},
                )
            ]
            processes = len(os.sched_getaffinity(0))
            label = f"manage.py dqtworker ({processes} processes, {concurrency} threads in all)"
        sessions = SessionCounter(settings.DATABASES["default"]["NAME"])
        try:
            from regsupport.celery import app

            deadline = time.monotonic() + 60
            while (
                len(app.control.ping(timeout=1) or []) < processes and time.monotonic() < deadline
            ):
                pass
            idle_sessions = sessions.now()
            sessions.start()
            cpu_before = sum(tree_cpu_seconds(w.pid) for w in workers)
            machine_before = machine_cpu_seconds()
            start = time.perf_counter()
            publish_many((job_id, "dqt") for job_id in ids)
            while Job.objects.filter(pk__in=ids, state="succeeded").count() < len(ids):
                if time.perf_counter() - start > 1800:
                    raise CommandError(f"{pool}: not every DQT job succeeded in 30 minutes")
                time.sleep(0.2)
            elapsed = time.perf_counter() - start
            cpu = sum(tree_cpu_seconds(w.pid) for w in workers) - cpu_before
            machine = machine_cpu_seconds() - machine_before
        finally:
            sessions.stop()
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
        rows = {
            job.pk: job
            for job in Job.objects.filter(pk__in=ids).only(
                "trainee_id", "started_at", "finished_at"
            )
        }
        # One DELETE, as the throughput step does: the generated data stays as it was.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM jobs_job WHERE id = ANY(%s)", [ids])
        calls = fake.calls[calls_before:]
        patches = Counter(
            c["path"].rsplit("/", 1)[1]
            for c in calls
            if c["method"] == "PATCH" and c["status"] == 204
        )
        gets = Counter(c["path"].rsplit("/", 1)[1] for c in calls if c["method"] == "GET")
        once = patches == Counter({t.trn: 2 for t in trainees}) and gets == Counter(
            {t.trn: 2 for t in trainees} if lookups else {}
        )
        first, second = ids[: len(trainees)], ids[len(trainees) :]
        in_order = all(
            (started := rows[b].started_at) is not None
            and (finished := rows[a].finished_at) is not None
            and started >= finished
            for a, b in zip(first, second, strict=True)
        )
        exact = (
            "exactly once and in order"
            if once and in_order
            else f"NOT exact: one PATCH per job {once}, in order {in_order}"
        )
        result = {
            "rate": len(ids) / elapsed,
            "cpu_ms": cpu * 1000 / len(ids),
            "machine_busy": machine / elapsed / len(os.sched_getaffinity(0)),
            "sessions": sessions.most - idle_sessions,
            "exact": exact,
        }
        self.stdout.write(
            f"  {label}, "
            f"{'lookup + PATCH' if lookups else 'PATCH alone'}: "
            f"{len(ids)} jobs in {elapsed:.1f} s, {result['rate']:.1f} jobs/s, "
            f"{result['cpu_ms']:.1f} ms worker CPU a job, machine "
            f"{result['machine_busy']:.0%} busy; worker DB sessions at most "
            f"{result['sessions']}; {exact}\n"
        )
        return result


class ResyncStep:
    """Step 8 (``--only-resync``): a bulk resync of ``n`` generated trainees
    (``dqt.services.dqt_resync``, as the trainee list's action and the shell queue it)
    through one ``dqtworker`` as the Procfile runs it (a thread pool per core, 100 threads), DQT
    answering in 200 ms. Timed from the call that queues them until the run's progress
    shows every update done; exact when the fake DQT received one PATCH per trainee."""

    def __init__(self, command: Command, n: int):
        self.command, self.n = command, n

    def run(self) -> None:
        from dqt.fake.server import FakeDqt
        from regsupport.config import settings as app_settings

        out = self.command.stdout
        out.write(f"Bulk resync of {self.n:,} trainees, DQT answering in 200 ms:\n")
        fake = FakeDqt(trn_delay_seconds=0).start()
        env = fake_dqt_env(fake)
        saved = {key: os.environ.get(key) for key in env}
        # The service checks the integration flag in this process too.
        os.environ.update(env)
        app_settings.reload()
        try:
            fake.slow_down("/v2/teachers/", seconds=0.2)
            trainees = free_trainees(fake, first=TRAINEES // 4, count=self.n)
            figure = self.timed(fake, trainees)
        finally:
            fake.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            app_settings.reload()
        self.command.record(
            f"Bulk resync of {self.n:,} trainees at 200 ms (one manage.py dqtworker, "
            f"{len(os.sched_getaffinity(0))} processes, 100 threads in all)",
            figure,
            "< 10 min for 50,000, exactly once",
        )

    def timed(self, fake, trainees) -> str:
        from dqt.services import dqt_resync, dqt_resync_progress
        from regsupport.celery import app
        from trainees.models import Trainee

        out = self.command.stdout
        log = Path(settings.BASE_DIR) / "var" / "bench-resync.log"
        worker = start_dqtworker(log, concurrency=100, env={**os.environ})
        cores = len(os.sched_getaffinity(0))
        run = None
        try:
            deadline = time.monotonic() + 60
            while len(app.control.ping(timeout=1) or []) < cores and time.monotonic() < deadline:
                pass
            calls_before = len(fake.calls)
            start = time.perf_counter()
            run = dqt_resync(
                trainees=Trainee.objects.filter(pk__in=[t.pk for t in trainees]),
                description=f"benchmark: {len(trainees):,} trainees",
                reason="Benchmark",
                actor=self.command.user,
            )
            queued_in = time.perf_counter() - start
            out.write(f"  {run.queued:,} updates queued in {queued_in:.1f} s\n")
            shown = start
            while not (progress := dqt_resync_progress(run)).finished:
                if time.perf_counter() - start > 1800:
                    raise CommandError("the resync did not finish in 30 minutes")
                if time.perf_counter() - shown > 30:
                    shown = time.perf_counter()
                    out.write(
                        f"  {shown - start:.0f} s: {progress.done:,} done, "
                        f"{progress.dead:,} dead, {progress.waiting:,} waiting\n"
                    )
                time.sleep(1)
            elapsed = time.perf_counter() - start
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            if run is not None:
                self.forget(run)
        patches = Counter(
            c["path"].rsplit("/", 1)[1]
            for c in fake.calls[calls_before:]
            if c["method"] == "PATCH" and c["status"] == 204
        )
        exact = patches == Counter({t.trn: 1 for t in trainees}) and progress.done == len(trainees)
        out.write(
            f"  {progress.done:,} done, {progress.dead:,} dead in {elapsed:.1f} s "
            f"({progress.done / elapsed:.1f} trainees/s)\n"
        )
        return (
            f"{elapsed / 60:.1f} min ({progress.done / elapsed:.0f} trainees/s; queued in "
            f"{queued_in:.1f} s), " + ("exactly once" if exact else "NOT exact")
        )

    @staticmethod
    def forget(run) -> None:
        """Remove the run and its jobs: the generated data stays as it was."""
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM dqt_resyncjob WHERE resync_id = %s RETURNING job_id", [run.pk]
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute("DELETE FROM jobs_job WHERE id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM dqt_resync WHERE id = %s", [run.pk])


def fake_dqt_env(fake) -> dict[str, str]:
    return {
        "SETTINGS__FEATURES__INTEGRATE_WITH_DQT": "true",
        "SETTINGS__DQT__BASE_URL": fake.url,
        "SETTINGS__DQT__API_KEY": fake.api_key,
        # The benchmark measures the worker; DQT's own limit is a setting.
        "SETTINGS__DQT__MAX_REQUESTS_PER_SECOND": "0",
    }


def free_trainees(fake, *, first: int, count: int) -> list:
    """``count`` generated trainees from id ``first`` on with no unfinished job (a dead one
    would hold theirs back), given a sex (the generated data has none, and DQT refuses an
    update without a gender code) and known to the fake DQT."""
    from trainees.models import Trainee

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.id FROM trainees_trainee t
            WHERE t.id >= %s AND NOT EXISTS (
                SELECT 1 FROM jobs_job j
                WHERE j.trainee_id = t.id AND j.state NOT IN ('succeeded', 'discarded'))
            ORDER BY t.id LIMIT %s""",
            [first, count],
        )
        chosen = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "UPDATE trainees_trainee SET sex = 0 WHERE id = ANY(%s) AND sex IS NULL", [chosen]
        )
    trainees = list(Trainee.objects.select_related("provider").filter(pk__in=chosen))
    for trainee in trainees:
        fake.add_teacher_for(trainee)
    return trainees


def start_worker(log: Path, *, queue: str, pool: str, concurrency: int, env: dict, name: str = ""):
    """A Celery worker on ``queue`` for the benchmark, its output in ``log``."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "regsupport",
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "-P",
            pool,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
            "-n",
            f"bench-{queue}-{pool}{name}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


class SessionCounter:
    """The most sessions on the benchmark database seen while it runs (sampled, this
    process's own excluded)."""

    def __init__(self, database: str):
        self.database = database
        self.most = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid()",
                [self.database],
            )
            return cursor.fetchone()[0]

    def start(self) -> None:
        def sample():
            from django.db import connections

            try:
                while not self._stop.is_set():
                    self.most = max(self.most, self.now())
                    self._stop.wait(0.1)
            finally:
                connections.close_all()

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def start_dqtworker(log: Path, *, concurrency: int, env: dict):
    """``manage.py dqtworker`` on the dqt queue, as the Procfile runs it: a Celery thread
    pool per core."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "dqtworker",
            "--queues",
            "dqt",
            "--concurrency",
            str(concurrency),
            "--hostname",
            "bench-dqtworker@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its child processes (those still running)."""
    from regsupport.processes import child_pids

    return process_cpu_seconds(pid) + sum(process_cpu_seconds(c) for c in child_pids(pid))


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used, its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time spent by the whole machine (user, nice, system, irq, softirq) since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@contextmanager
def rss_growth():
    """Peak resident memory growth of this process while the block runs (sampled)."""
    page = os.sysconf("SC_PAGE_SIZE")

    def rss() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * page

    base = rss()
    result = {"mb": 0.0}
    peak = [base]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], rss())
        result["mb"] = (peak[0] - base) / 2**20
