"""The trainee-side benchmark (run by `make bench` with benchmarks.settings on its own
database, regsupport_bench_trainees).

Generates 1,000,000 trainees across 300 providers (skewed: the largest holds about 6 %)
and 300 lead partners with SQL, then measures the trainee, provider and lead-partner admin
pages server-side with the Django test client (median of several runs, SQL query counts),
each beside the same page of a stock ``ModelAdmin`` over the same model
(``benchmarks.admin``, mounted at /stock-admin/), with the target and the ratio.
"""

from __future__ import annotations

import json
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

TRAINEES = 1_000_000
PROVIDERS = 300
LEAD_PARTNERS = 300
HISTORY_ROWS = 66  # the trainee with a long history
RUNS = 7
TARGET_MS = 60
TARGET_QUERIES = 12

# Common names with rough frequencies (a weight each), then a long tail made of
# syllables: a surname search finds from one to a few thousand trainees, as in life.
FIRST_NAMES = (
    "Olivia Amelia Isla Ava Mia Grace Sophia Lily Freya Emily Ella Poppy Charlotte Evie Jack "
    "Oliver Harry George Noah Charlie Jacob Alfie Freddie Oscar Leo Thomas James William "
    "Joshua Daniel Samuel Joseph Henry Lucas Mohammed Muhammad Ada Alan Priya Aisha Chloe "
    "Hannah Jessica Lucy Sarah Rebecca Laura Emma Sophie Katie David Michael Matthew Ryan "
    "Luke Adam Ben Tom Chris Andrew Peter Paul Mark John Richard Robert Simon Stephen"
).split()
COMMON_SURNAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel "
    "Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison "
    "Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths "
    "Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox "
    "Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster "
    "Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer "
    "Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray"
).split()
SYLLABLES = "ash bar cal den el far gar hol in jar kel lor mar nor os pen quin ros sal tor".split()
TARGETS = f"≤ {TARGET_MS} ms, ≤ {TARGET_QUERIES} queries"


class Command(BaseCommand):
    help = "Benchmark the trainee, provider and lead-partner admin against a stock ModelAdmin."

    def add_arguments(self, parser):
        parser.add_argument("--regenerate", action="store_true")
        parser.add_argument("--runs", type=int, default=RUNS)

    def handle(self, *args, **options):
        from django.conf import settings

        if "benchmarks" not in settings.INSTALLED_APPS:
            raise CommandError(
                "Run through `make bench` (DJANGO_SETTINGS_MODULE=benchmarks.settings)."
            )
        self.runs = options["runs"]
        self.rows: list[tuple[str, str, str, str, str]] = []
        started = time.monotonic()
        self.generate(regenerate=options["regenerate"])
        self.stdout.write(f"trainee data ready in {time.monotonic() - started:.0f} s\n")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE indexname = 'trainees_trainee_name_trgm'"
            )
            if cursor.fetchone() is None:
                # The embedded PostgreSQL of `make run` has no pg_trgm (migration 0008).
                self.stdout.write(
                    "WARNING: this PostgreSQL has no pg_trgm, so there is no trigram index "
                    "and name searches scan the table; set DATABASE_URL to a server with "
                    "pg_trgm (docs/benchmarks.md)\n"
                )
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        self.client = Client()
        self.client.force_login(user)
        self.measure()
        self.report()

    # --- data ---------------------------------------------------------------------------

    def generate(self, *, regenerate: bool) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM trainees_trainee")
            have = cursor.fetchone()[0]
        if have >= TRAINEES and not regenerate:
            self.stdout.write("reusing the existing trainees (--regenerate to make them again)\n")
            return
        self.stdout.write(f"generating {TRAINEES:,} trainees with SQL...\n")
        with connection.cursor() as cursor:
            cursor.execute(generate_sql())
        # VACUUM cannot run inside a transaction block; autocommit is on outside atomic().
        with connection.cursor() as cursor:
            for table in (
                "providers_provider",
                "providers_leadpartner",
                "trainees_trainee",
                "trainees_historicaltrainee",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.long_history()

    def long_history(self) -> None:
        """One trainee with HISTORY_ROWS history rows, withdrawal reasons changing in
        most of them: the issue's 108-query trainee page."""
        from trainees.models import Trainee, WithdrawalReason

        trainee = Trainee.objects.get(pk=history_trainee_id())
        reasons = list(WithdrawalReason.objects.order_by("pk")[:6])
        for step in range(HISTORY_ROWS - 1):
            trainee.middle_names = f"Step {step}"
            trainee.save_with_reason(f"Benchmark history row {step}")
            trainee.withdrawal_reasons.set(reasons[: 1 + step % len(reasons)])

    # --- measuring ----------------------------------------------------------------------

    def timed_get(self, url: str, params: dict | None = None) -> tuple[float, float, int, int]:
        """Median wall time and this process's CPU time (ms) of the page, its queries, and
        the rows its SQL reads. On a loaded machine the wall time waits for a CPU; the CPU
        time and the rows read do not."""
        times, cpu, queries = [], [], 0
        self.client.get(url, params or {})  # warm-up
        for _ in range(self.runs):
            with CaptureQueriesContext(connection) as captured:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = self.client.get(url, params or {})
                response.content  # noqa: B018
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} {params} answered {response.status_code}")
            queries = len(captured.captured_queries)
        scanned = rows_scanned(captured.captured_queries)
        return statistics.median(times), statistics.median(cpu), queries, scanned

    def pair(
        self,
        name: str,
        path: str,
        params: dict | None = None,
        stock_params: dict | None = None,
        *,
        timed: bool = True,
    ) -> None:
        """The page in the project's admin and the same page in the stock admin. A page
        not ``timed`` has a query target only (the trainee page and its history)."""
        ours, our_cpu, our_queries, our_rows = self.timed_get(f"/admin/{path}", params)
        stock_params = params if stock_params is None else stock_params
        stock, stock_cpu, stock_queries, stock_rows = self.timed_get(
            f"/stock-admin/{path}", stock_params
        )
        met = (ours <= TARGET_MS or not timed) and our_queries <= TARGET_QUERIES
        target = TARGETS if timed else f"≤ {TARGET_QUERIES} queries"
        row = (
            name,
            f"{ours:.1f} ms ({our_cpu:.0f} ms CPU), {our_queries} queries, "
            f"{our_rows:,} rows read" + ("" if met else " (**missed**)"),
            f"{stock:.1f} ms ({stock_cpu:.0f} ms CPU), {stock_queries} queries, "
            f"{stock_rows:,} rows read",
            f"{stock / ours:.1f}× faster" if ours <= stock else f"{ours / stock:.1f}× slower",
            target,
        )
        self.rows.append(row)
        self.stdout.write(f"  {name:<44} {row[1]:<40} stock {row[2]:<40} {row[3]:<14}\n")

    def measure(self) -> None:
        from trainees.models import Trainee

        self.stdout.write(f"trainee side ({TRAINEES:,} trainees, {PROVIDERS} providers):\n")
        # The floor: an admin page of 40 rows with no query to speak of. What it takes is
        # the machine's cost of any admin page (session, menus, templates) at that moment.
        self.pair("floor: withdrawal reasons list (40 rows)", "trainees/withdrawalreason/")
        sample = Trainee.objects.filter(pk=TRAINEES // 3).values().get()
        rare = rare_full_name()
        deep = deep_cursor()
        trainees = "trainees/trainee/"
        largest = largest_provider()
        self.pair("trainee list, first page", trainees)
        self.pair("filter: state (TRN received)", trainees, {"state__exact": "2"})
        self.pair(
            "filter: route (school direct salaried)", trainees, {"training_route__exact": "4"}
        )
        self.pair("filter: largest provider", trainees, {"provider__id__exact": str(largest)})
        self.pair("filter: discarded", trainees, {"discarded": "yes"})
        self.pair("search: TRN (one hit)", trainees, {"q": sample["trn"]})
        self.pair("search: slug (one hit)", trainees, {"q": sample["slug"]})
        self.pair("search: id (one hit)", trainees, {"q": str(sample["id"])})
        self.pair("search: email (one hit)", trainees, {"q": sample["email"].upper()})
        self.pair("search: common last name (Smith)", trainees, {"q": "Smith"})
        self.pair("search: full name (one hit)", trainees, {"q": rare})
        # Deep: the page after the 500,000th trainee. The project's list seeks to it by
        # its cursor; the stock admin can only reach it by page number (OFFSET).
        self.pair(
            "page 5,000 (row 500,000)",
            trainees,
            {"after": deep},
            stock_params={"p": str(5_000)},
        )
        long_history = history_trainee_id()
        self.pair(
            f"trainee page ({HISTORY_ROWS} history rows)",
            f"{trainees}{long_history}/change/",
            timed=False,
        )
        self.pair(
            f"history page ({HISTORY_ROWS} rows)", f"{trainees}{long_history}/history/", timed=False
        )
        self.pair("provider list", "providers/provider/")
        self.pair("provider search (name)", "providers/provider/", {"q": "Provider 12"})
        self.pair("lead partner list", "providers/leadpartner/")
        self.pair("lead partner search (name)", "providers/leadpartner/", {"q": "Partner 12"})

    def report(self) -> None:
        self.stdout.write(
            "\n| page | project | stock admin | ratio | target |\n|---|---|---|---|---|\n"
        )
        for row in self.rows:
            self.stdout.write("| " + " | ".join(row) + " |\n")


def rows_scanned(queries: list[dict]) -> int:
    """The rows the page's SELECTs read from tables and indexes (each scan's rows, kept
    or filtered out), by running each again under EXPLAIN ANALYZE: how much of the data a
    page reads, whatever else the machine is doing."""
    total = 0
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            result = cursor.fetchone()[0]
            plan = (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]
            total += _scanned(plan)
    return total


def _scanned(node: dict) -> int:
    rows = 0
    # A bitmap index scan's rows are read again by its heap scan: count the heap's.
    if node["Node Type"].endswith("Scan") and node["Node Type"] != "Bitmap Index Scan":
        loops = node.get("Actual Loops", 1)
        rows = round((node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops)
    return rows + sum(_scanned(child) for child in node.get("Plans", []))


def history_trainee_id() -> int:
    return TRAINEES // 2


def largest_provider() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT provider_id FROM trainees_trainee GROUP BY provider_id "
            "ORDER BY count(*) DESC LIMIT 1"
        )
        return cursor.fetchone()[0]


def rare_full_name() -> str:
    """A first and last name that only one trainee has."""
    from trainees.models import Trainee
    from trainees.selectors import trainees_search

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_names || ' ' || last_name FROM trainees_trainee "
            "WHERE id BETWEEN 400000 AND 401000 GROUP BY 1 HAVING count(*) = 1"
        )
        for (name,) in cursor.fetchall():
            if trainees_search(trainees=Trainee.objects.all(), term=name).trainees.count() == 1:
                return name
    raise CommandError("No trainee has a name of their own")


def deep_cursor() -> str:
    from regsupport.admin_lists import seek_cursor
    from trainees.models import Trainee

    row = Trainee.objects.order_by("-created_at", "-id").values("created_at", "id")[499_999]
    return seek_cursor(row["created_at"], row["id"])


def generate_sql() -> str:
    from benchmarks.data import column_defaults_sql
    from providers.models import LeadPartner, Provider
    from trainees.models import Trainee

    defaults = column_defaults_sql(Provider, LeadPartner, Trainee)
    first = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
    surnames = "ARRAY[" + ",".join(f"'{n}'" for n in COMMON_SURNAMES) + "]"
    syllables = "ARRAY[" + ",".join(f"'{s}'" for s in SYLLABLES) + "]"
    n_first, n_common, n_syl = len(FIRST_NAMES), len(COMMON_SURNAMES), len(SYLLABLES)
    # u, v, w: three independent uniform numbers in [0, 1) per row, from its md5.
    return f"""
    TRUNCATE trainees_trainee, trainees_historicaltrainee, trainees_trainee_withdrawal_reasons,
             trainees_historicaltrainee_withdrawal_reasons, providers_provider,
             providers_historicalprovider, providers_leadpartner,
             providers_historicalleadpartner RESTART IDENTITY CASCADE;
    {defaults}
    INSERT INTO providers_provider (name, code, ukprn, accreditation_id, accredited,
        apply_sync_enabled, created_at, updated_at)
    SELECT 'Provider ' || g, 'P' || g, (10000000 + g)::text, (5000 + g)::text, true, false,
           now(), now()
    FROM generate_series(1, {PROVIDERS}) g;
    INSERT INTO providers_leadpartner (name, record_type, ukprn, urn, provider_id,
        created_at, updated_at)
    SELECT 'Lead Partner ' || g, CASE WHEN g % 3 = 0 THEN 'hei' ELSE 'school' END,
           CASE WHEN g % 3 = 0 THEN (20000000 + g)::text END,
           CASE WHEN g % 3 <> 0 THEN (100000 + g)::text END,
           CASE WHEN g % 10 = 0 THEN g END, now(), now()
    FROM generate_series(1, {LEAD_PARTNERS}) g;
    INSERT INTO trainees_trainee (slug, trn, first_names, middle_names, last_name, email,
        state, progress, created_at, updated_at, provider_id, lead_partner_id, date_of_birth,
        training_route, itt_start_date, itt_end_date, course_min_age, course_max_age,
        course_subject_one, hesa_id, iqts_country, discarded_at, sex)
    SELECT translate(substr(h, 1, 24), '0', 'z'),
           CASE WHEN state IN (0, 1) THEN '' ELSE (2000000 + g)::text END,
           first_name, '', last_name,
           lower(first_name) || '.' || lower(last_name) || g || '@example.com',
           state, '{{}}',
           -- Newest last; each batch of 50 shares its created_at, as a bulk import's
           -- rows do (equal created_at, which the paging must handle), 9 s apart.
           timestamptz '2020-09-01' + (g / 50) * interval '9 seconds',
           now(),
           -- Skewed: provider 1 holds about 6 %, provider 300 about 0.2 %.
           1 + floor({PROVIDERS} * u * u)::int,
           CASE WHEN v < 0.3 THEN 1 + floor({LEAD_PARTNERS} * w)::int END,
           date '1975-01-01' + floor(w * 9000)::int,
           (ARRAY[1, 1, 1, 1, 3, 3, 4, 4, 5, 0, 2, 7, 8, 9, 11, 12, 14, 1, 3, 1])
               [1 + floor(w * 20)::int],
           date '2025-09-01', date '2026-07-31', 11, 16, 'mathematics', '', '',
           CASE WHEN v > 0.995 THEN now() END, 1
    FROM (
      SELECT g, h, u, v, w,
             -- States: mostly TRN received or awarded, some drafts and withdrawals.
             (ARRAY[0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 6, 6, 6, 6])
                 [1 + floor(v * 20)::int] AS state,
             ({first})[1 + floor({n_first} * u * w)::int] AS first_name,
             CASE WHEN w < 0.5
                  THEN ({surnames})[1 + floor({n_common} * v * v)::int]
                  ELSE initcap(({syllables})[1 + floor({n_syl} * u)::int]
                       || ({syllables})[1 + floor({n_syl} * v)::int]
                       || ({syllables})[1 + floor({n_syl} * w)::int]
                       || ({syllables})[1 + (g % {n_syl})])
             END AS last_name
      FROM (
        SELECT g, md5(g::text) || md5((g + 1)::text) AS h,
               ('x' || substr(md5('u' || g), 1, 8))::bit(32)::bigint / 4294967296.0 AS u,
               ('x' || substr(md5('v' || g), 1, 8))::bit(32)::bigint / 4294967296.0 AS v,
               ('x' || substr(md5('w' || g), 1, 8))::bit(32)::bigint / 4294967296.0 AS w
        FROM generate_series(1, {TRAINEES}) g) random) t;
    """
