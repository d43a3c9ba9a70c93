from django.core.management.base import BaseCommand

from analytics.fake_sink import FakeSinkServer, SinkState
from regsupport.config import settings


class Command(BaseCommand):
    help = (
        "Serve the fake analytics sink (BigQuery's streaming insert, tabledata.insertAll) on "
        "127.0.0.1; GET /_control/rows lists what it accepted (analytics/fake_sink.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8003)
        parser.add_argument("--quiet", action="store_true", help="do not log each request")

    def handle(self, *args, **options):
        state = SinkState(
            project=settings.get("analytics.project"),
            dataset=settings.get("analytics.dataset"),
            table=settings.get("analytics.table"),
            api_key=settings.get("analytics.api_key", ""),
        )
        server = FakeSinkServer(
            (options["host"], options["port"]), state, verbose=not options["quiet"]
        )
        self.stdout.write(f"Fake analytics sink on http://{options['host']}:{options['port']}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
