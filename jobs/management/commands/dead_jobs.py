"""The dead-jobs console from the command line (the third door, after admin and shell).

manage.py dead_jobs                                   # counts per job type
manage.py dead_jobs --type dqt.update_trainee --status 405
manage.py dead_jobs --status 405 --retry --actor alice --reason "DQT fixed the 405s"
manage.py dead_jobs --trainee 122803 --discard --actor alice --reason "Race with award"
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jobs.errors import JobError
from jobs.selectors import dead_job_summary, dead_jobs


class Command(BaseCommand):
    help = "Count, retry or discard dead jobs matching a filter."

    def add_arguments(self, parser):
        parser.add_argument("--type", dest="task_name", help="job type, e.g. dqt.update_trainee")
        parser.add_argument("--status", type=int, help="error status, e.g. 404")
        parser.add_argument("--code", type=int, help="DQT error code, e.g. 10001")
        parser.add_argument("--trainee", type=int, help="trainee id")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retry", action="store_true")
        action.add_argument("--discard", action="store_true")
        parser.add_argument("--actor", help="your console username (required to change jobs)")
        parser.add_argument("--reason", help="why (required to change jobs)")

    def handle(self, *args, **options):
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
        if not options["actor"] or not (options["reason"] or "").strip():
            raise CommandError("Give --actor (your username) and --reason to change jobs.")
        try:
            actor = get_user_model().objects.get(username=options["actor"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No console user called {options['actor']!r}.") from None
        try:
            if options["retry"]:
                count = jobs.retry(actor=actor, reason=options["reason"])
                self.stdout.write(f"{count} jobs will be retried, oldest first.")
            else:
                count = jobs.discard(actor=actor, reason=options["reason"])
                self.stdout.write(f"{count} jobs discarded.")
        except JobError as error:
            raise CommandError(str(error)) from None
