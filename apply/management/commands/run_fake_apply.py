from pathlib import Path

from django.core.management.base import BaseCommand

from apply.fake.server import FakeApplyServer
from apply.fake.state import DEFAULT_API_TOKENS, FakeApplyState
from regsupport.config import settings


class Command(BaseCommand):
    help = (
        "Serve the fake Apply (the project's stand-in for Apply's Register API) on 127.0.0.1. "
        "See apply/fake/README.md for its behaviour and control API."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8002)
        parser.add_argument(
            "--api-token",
            action="append",
            dest="api_tokens",
            help="accepted bearer token (repeatable); default: recruits_api.auth_token and "
            "the dev/test tokens",
        )
        parser.add_argument(
            "--state-file",
            type=Path,
            help="keep Apply's application choices in this JSON file: read at start when it "
            "exists, written after every change",
        )
        parser.add_argument("--quiet", action="store_true", help="do not log each request")

    def handle(self, *args, **options):
        tokens = set(options["api_tokens"] or DEFAULT_API_TOKENS)
        if not options["api_tokens"] and settings.get("recruits_api.auth_token", ""):
            tokens.add(settings.get("recruits_api.auth_token"))
        state = FakeApplyState(api_tokens=sorted(tokens))
        state_file = options["state_file"]
        if state_file is not None and state_file.exists():
            state.load(state_file)
            self.stdout.write(
                f"Fake Apply holds {len(state.choices)} application choices from {state_file}."
            )
        server = FakeApplyServer(
            (options["host"], options["port"]),
            state,
            verbose=not options["quiet"],
            state_file=state_file,
        )
        server.save_state()
        host, port = server.server_address[:2]
        self.stdout.write(
            f"Fake Apply on http://{host}:{port}/register-api (control API under /_control/)"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            state.wake.set()
            server.server_close()
