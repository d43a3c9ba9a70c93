"""The dead-jobs console from the command line (the third door, after admin and shell).

manage.py dead_jobs                                   # counts per job type
manage.py dead_jobs --type dqt.update_trainee --status 405
manage.py dead_jobs --status 405 --retry --actor alice --reason "DQT fixed the 405s"
manage.py dead_jobs --trainee 122803 --discard --actor alice --reason "Race with award"
"""

from __future__ import annotations

import argparse

from django.core.management.base import CommandError

from jobs import registry
from jobs.selectors import dead_job_summary, dead_jobs
from regsupport.commands import PlaybookCommand
from regsupport.ids import parse_id, parse_number


class Command(PlaybookCommand):
    help = "Count, retry or discard dead jobs matching a filter."
    # Counting needs no reason; --retry and --discard do (checked below).
    reason_required = False

    def add_arguments(self, parser):
        parser.add_argument("--type", dest="task_name", help="job type, e.g. dqt.update_trainee")
        parser.add_argument("--status", type=_number, help="error status, e.g. 404")
        parser.add_argument("--code", type=_number, help="DQT error code, e.g. 10001")
        parser.add_argument("--trainee", type=_trainee_id, help="trainee id")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retry", action="store_true")
        action.add_argument("--discard", action="store_true")

    def handle(self, *args, **options):
        if (task_name := options["task_name"]) is not None and task_name not in {
            t.name for t in registry.all_types()
        }:
            known = ", ".join(sorted(t.name for t in registry.all_types()))
            raise CommandError(f"'{task_name}' is not a job type. Job types: {known}.")
        jobs = dead_jobs(options["task_name"])
        for option, field in (
            ("status", "error_status"),
            ("code", "error_code"),
            ("trainee", "trainee_id"),
        ):
            if options[option] is not None:
                jobs = jobs.filter(**{field: options[option]})
        filtered = any(options[o] is not None for o in ("task_name", "status", "code", "trainee"))
        if not (options["retry"] or options["discard"]):
            if not filtered:
                for row in dead_job_summary():
                    self.stdout.write(
                        f"{row['label']}: {row['count']} dead, {row['trainees']} trainees"
                    )
                return
            self.stdout.write(f"{jobs.count()} dead jobs, {jobs.unique_trainees()} trainees")
            return
        actor, reason = options["actor"], options["reason"]
        if actor is None or not (reason or "").strip():
            raise CommandError("Give --actor (your username) and --reason to change jobs.")
        if options["retry"]:
            count = jobs.retry(actor=actor, reason=reason)
            self.stdout.write(f"{count} jobs will be retried, oldest first.")
        else:
            self.stdout.write(jobs.discard(actor=actor, reason=reason).describe())


def _number(text: str) -> int:
    if (value := parse_number(text)) is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (digits 0-9).")
    return value


def _trainee_id(text: str) -> int:
    if (value := parse_id(text)) is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a trainee id (digits 0-9).")
    return value
