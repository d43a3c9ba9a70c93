"""`make bench-analytics`: console request latency with the analytics stream off, on (the
fake sink answering, a shipper process sending as the worker would) and on with the sink
down (hanging: every shipping call waits its full timeout). The sink and the shipper are
processes of their own, as in production, so they do not share this process's CPU lock.
docs/benchmarks.md has the figures."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from analytics.models import DroppedEvents, OutboxEvent
from analytics.selectors import dropped_total, outbox_size
from regsupport.config import settings as app_settings

FLAG = "features.google.send_data_to_big_query"


# The shipper process: ship() again and again, as beat and a worker would.
SHIPPER = """
import time, django
django.setup()
from analytics.shipping import ship
while True:
    ship()
    time.sleep(0.5)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _control(url: str, path: str, body: dict) -> None:
    requests.post(f"{url}_control/{path}", json=body, timeout=5).raise_for_status()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=300, help="requests per case")
        parser.add_argument(
            "--outbox-limit",
            type=int,
            default=100,
            help="the outbox's bound during the run, small so the sink-down case drops",
        )

    def handle(self, *args, **options):
        from django.contrib.auth import get_user_model

        from trainees.models import Trainee

        if not Trainee.objects.exists():
            # An empty bench database: one trainee from the tests' factory (a dev dependency).
            from tests.factories import TraineeFactory

            TraineeFactory.create()
        trainee = Trainee.objects.order_by("pk").first()
        assert trainee is not None
        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        self.client = Client()
        self.client.force_login(user)
        self.user = user
        self.trainee = trainee
        self.n = options["requests"]
        os.environ["SETTINGS__ANALYTICS__OUTBOX_LIMIT"] = str(options["outbox_limit"])
        os.environ["SETTINGS__ANALYTICS__TIMEOUT_SECONDS"] = "5"
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        os.environ["SETTINGS__ANALYTICS__SINK_URL"] = url
        app_settings.reload()
        base = Path(__file__).resolve().parents[3]
        sink = subprocess.Popen(
            [sys.executable, "manage.py", "run_fake_sink", "--port", str(port), "--quiet"],
            cwd=base,
            stdout=subprocess.DEVNULL,
        )
        shipper = subprocess.Popen([sys.executable, "-c", SHIPPER], cwd=base, env=dict(os.environ))
        rows = []
        self.load_before = f"{os.getloadavg()[0]:.1f}"
        try:
            _wait_for_sink(url)
            OutboxEvent.objects.all().delete()
            DroppedEvents.objects.all().delete()
            rows.append(self.case("off", url, on=False, sink_up=True))
            rows.append(self.case("on, sink up", url, on=True, sink_up=True))
            rows.append(self.case("on, sink down (hanging)", url, on=True, sink_up=False))
        finally:
            self.switch(False)
            for process in (shipper, sink):
                process.terminate()
                process.wait()
        self.report(rows)

    def switch(self, on: bool) -> None:
        if app_settings.get(FLAG) != on:
            app_settings.set(FLAG, on, actor=self.user, reason="analytics benchmark")

    def case(self, name: str, url: str, *, on: bool, sink_up: bool) -> dict:
        self.switch(on)
        _control(url, "hang", {"seconds": 0 if sink_up else 3600})
        sent_before, dropped_before = _sent(url), dropped_total()
        page = f"/admin/trainees/trainee/{self.trainee.pk}/change/"
        self.client.get(page)  # warm-up
        reads = self.timed(lambda: self._get(page))
        writes = self.timed(self._save)
        row = {
            "name": name,
            "read": reads,
            "write": writes,
            "sent": _sent(url) - sent_before,
            "outbox": outbox_size(),
            "dropped": dropped_total() - dropped_before,
        }
        # Wake a shipping call waiting on the hanging sink, so the next case starts clean.
        _control(url, "reset", {})
        return row

    def _get(self, url: str) -> None:
        response = self.client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")

    def _save(self) -> None:
        self.trainee.course_max_age = 16 if self.trainee.course_max_age != 16 else 18
        self.trainee.save_with_reason("analytics benchmark", actor=self.user)

    def timed(self, action) -> dict:
        times = []
        for _ in range(self.n):
            start = time.perf_counter()
            action()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return {
            "median": statistics.median(times),
            "p95": times[int(len(times) * 0.95) - 1],
            "max": times[-1],
        }

    def report(self, rows: list[dict]) -> None:
        self.stdout.write(
            f"\nload average before: {self.load_before}, after: {os.getloadavg()[0]:.1f}; "
            f"{self.n} requests per case; outbox bound "
            f"{app_settings.get('analytics.outbox_limit')}\n\n"
            "| case | trainee page GET median / p95 / max (ms) "
            "| trainee save median / p95 / max (ms) | events sent | outbox after | dropped |\n"
            "|---|---|---|---|---|---|\n"
        )
        for row in rows:
            read, write = row["read"], row["write"]
            self.stdout.write(
                f"| {row['name']} "
                f"| {read['median']:.1f} / {read['p95']:.1f} / {read['max']:.1f} "
                f"| {write['median']:.1f} / {write['p95']:.1f} / {write['max']:.1f} "
                f"| {row['sent']} | {row['outbox']} | {row['dropped']} |\n"
            )


def _sent(url: str) -> int:
    return len(requests.get(f"{url}_control/rows", timeout=5).json()["rows"])


def _wait_for_sink(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _sent(url)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise CommandError("the fake sink did not start")
