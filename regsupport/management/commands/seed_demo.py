from pathlib import Path

from django.core.management.base import BaseCommand

from regsupport.demo import DEMO_LOGINS, demo_duplicates_csv, ensure_demo_logins, seed_demo


class Command(BaseCommand):
    help = "Seed demo providers, lead partners, users and ~300 trainees (once) and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--trainees", type=int, default=300)
        parser.add_argument(
            "--fake-dqt-state",
            type=Path,
            help="write DQT's records of the demo trainees to this file, for the fake DQT "
            "(run_fake_dqt --state-file)",
        )
        parser.add_argument(
            "--fake-apply-state",
            type=Path,
            help="write Apply's application choices of the demo to this file, for the fake "
            "Apply (run_fake_apply --state-file)",
        )

    def handle(self, *args, **options):
        if seed_demo(
            trainee_count=options["trainees"],
            fake_dqt_state=options["fake_dqt_state"],
            fake_apply_state=options["fake_apply_state"],
        ):
            self.stdout.write(self.style.SUCCESS("Demo data seeded."))
        else:
            ensure_demo_logins()
            self.stdout.write("Demo data already present; nothing seeded.")
        for username, (password, role) in DEMO_LOGINS.items():
            self.stdout.write(f"  login {username} / {password} ({role or 'superuser'})")
        duplicates = demo_duplicates_csv()
        if duplicates.count("\n") > 1:
            self.stdout.write(
                "Duplicates to remove (Trainees → Remove duplicates (CSV)), keeping the first:\n"
                + duplicates
            )
