from django.core.management.base import BaseCommand

from dqt.fake.server import FakeDqtServer
from dqt.fake.state import DEFAULT_API_KEYS, FakeDqtState
from regsupport.config import settings
from regsupport.fakes import add_server_arguments, serve_in_foreground


class Command(BaseCommand):
    help = (
        "Serve the fake DQT (the project's stand-in for the Qualified Teachers API) on "
        "127.0.0.1. See dqt/fake/README.md for its behaviour and control API."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser, port=8001, holds="DQT's records")
        parser.add_argument(
            "--trn-delay",
            type=float,
            default=30.0,
            help="seconds before a TRN request receives its TRN (default 30)",
        )
        parser.add_argument(
            "--api-key",
            action="append",
            dest="api_keys",
            help="accepted bearer key (repeatable); default: dqt.api_key and the dev/test keys",
        )
        parser.add_argument(
            "--from-register",
            action="store_true",
            help="start with a DQT record for every trainee with a TRN in this database "
            "(unless --state-file names a file that exists)",
        )

    def handle(self, *args, **options):
        keys = set(options["api_keys"] or DEFAULT_API_KEYS)
        if not options["api_keys"] and settings.get("dqt.api_key", ""):
            keys.add(settings.get("dqt.api_key"))
        state = FakeDqtState(api_keys=sorted(keys), trn_delay_seconds=options["trn_delay"])
        state_file = options["state_file"]
        if state_file is not None and state_file.exists():
            state.load(state_file)
            self.stdout.write(f"Fake DQT holds {len(state.teachers)} teachers from {state_file}.")
        elif options["from_register"]:
            from dqt.fake.register_mirror import mirror_register_trainees

            count = mirror_register_trainees(state)
            self.stdout.write(f"Fake DQT holds {count} teachers from Register's trainees.")
        server = FakeDqtServer(
            (options["host"], options["port"]),
            state,
            verbose=not options["quiet"],
            state_file=state_file,
        )
        server.save_state()
        host, port = server.server_address[:2]
        self.stdout.write(
            f"Fake DQT on http://{host}:{port}/ (TRNs after {options['trn_delay']:g} s; "
            f"control API under /_control/)",
        )
        self.stdout.flush()
        serve_in_foreground(server, state)
