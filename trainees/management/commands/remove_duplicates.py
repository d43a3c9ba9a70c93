"""Playbook "Removing Duplicate Trainees" (Register's ``rake trainee:remove_duplicates``)."""

from pathlib import Path

from django.core.management.base import CommandError

from regsupport.commands import PlaybookCommand
from trainees.services import parse_duplicates_csv, trainees_remove_duplicates


class Command(PlaybookCommand):
    help = (
        "Keep each trainee listed in a CSV (header trainee_id,email; id,email accepted) and "
        "soft-delete every other kept trainee with the same email. The whole file is checked "
        "first; a bad file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path", help="CSV file with header trainee_id,email")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be removed; change nothing."
        )

    def handle(self, *args, csv_path, dry_run, reason, actor, **options):
        path = Path(csv_path)
        if not path.is_file():
            raise CommandError(f"No such file: {csv_path}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{csv_path} is not UTF-8 text.") from None
        result = trainees_remove_duplicates(
            rows=parse_duplicates_csv(text), reason=reason, actor=actor, dry_run=dry_run
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for message in result.messages:
            self.stdout.write(message)
