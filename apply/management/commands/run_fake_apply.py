from django.core.management.base import BaseCommand

from apply.fake.server import FakeApplyServer
from apply.fake.state import DEFAULT_API_TOKENS, FakeApplyState
from regsupport.config import settings
from regsupport.fakes import add_server_arguments, serve_in_foreground


class Command(BaseCommand):
    help = (
        "Serve the fake Apply (the project's stand-in for Apply's Register API) on 127.0.0.1. "
        "See apply/fake/README.md for its behaviour and control API."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser, port=8002, holds="Apply's application choices")
        parser.add_argument(
            "--api-token",
            action="append",
            dest="api_tokens",
            help="accepted bearer token (repeatable); default: recruits_api.auth_token and "
            "the dev/test tokens",
        )

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
        serve_in_foreground(server, state)
