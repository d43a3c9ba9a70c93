"""``manage.py heartbeat --worker default@$HOSTNAME`` / ``--beat``: exit 0 if that process
wrote its heartbeat within ``monitoring.silent_after_seconds``, else 1 with why. The
compose healthchecks of the worker and beat containers (docs/deploy.md, "Health checks").

``--worker dqt@host`` also stands for the processes a ``dqtworker`` names ``dqt-1@host``,
``dqt-2@host``…: each of them must have written its heartbeat."""

from __future__ import annotations

import re
import time

from django.core.management.base import BaseCommand, CommandError

from monitoring import health, heartbeat


class Command(BaseCommand):
    help = "Exit 0 if the named worker, or beat, wrote its heartbeat recently."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--worker", metavar="HOSTNAME", help="e.g. default@web-1")
        which.add_argument("--beat", action="store_true")

    def handle(self, *args, worker: str | None, beat: bool, **options):
        limit = heartbeat.silent_after_seconds()
        if beat:
            silence = health.beat_silence()
            if silence is not None:
                raise CommandError(f"Beat has not ticked within {limit:g} s.")
            self.stdout.write("beat is ticking")
            return
        assert worker is not None
        name, at, host = worker.partition("@")
        processes = re.compile(re.escape(name) + r"-\d+" + re.escape(at + host))
        found = [w for w in heartbeat.workers() if w.hostname == worker] or [
            w for w in heartbeat.workers() if processes.fullmatch(w.hostname)
        ]
        if not found:
            raise CommandError(f"No heartbeat from {worker} (within the last day).")
        now = time.time()
        for beat in sorted(found, key=lambda w: w.hostname):
            age = beat.age(now)
            if age > limit:
                raise CommandError(
                    f"{beat.hostname} last wrote its heartbeat {age:.0f} s ago (> {limit:g})."
                )
        ages = ", ".join(f"{w.hostname} {w.age(now):.0f} s ago" for w in found)
        self.stdout.write(f"heartbeat written: {ages}")
