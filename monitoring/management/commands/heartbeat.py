"""``manage.py heartbeat --worker default@$HOSTNAME`` / ``--beat``: exit 0 if that process
wrote its heartbeat within ``monitoring.silent_after_seconds``, else 1 with why. The
compose healthchecks of the worker and beat containers (docs/deploy.md, "Health checks")."""

from __future__ import annotations

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
        found = [w for w in heartbeat.workers() if w.hostname == worker]
        if not found:
            raise CommandError(f"No heartbeat from {worker} (within the last day).")
        age = found[0].age(time.time())
        if age > limit:
            raise CommandError(f"{worker} last wrote its heartbeat {age:.0f} s ago (> {limit:g}).")
        self.stdout.write(f"{worker} wrote its heartbeat {age:.0f} s ago")
