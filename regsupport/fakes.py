"""What the project's fake HTTP services (DQT, Apply) share: serving on a thread for tests
and the demo, and serving in the foreground for their management commands."""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, Self


class _HasWake(Protocol):
    wake: threading.Event


class FakeHandler(BaseHTTPRequestHandler):
    """Hands every request to ``_handle(method)``; logs only when the server is verbose."""

    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer

    def _handle(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self):
        self._handle("GET")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class FakeHTTPServer(ThreadingHTTPServer):
    """A fake's server: its ``state`` is what the handler answers from; with a
    ``state_file``, the state is written there after every change."""

    # An IPv4 TCP server: its address is always (host, port), never a Unix socket path.
    server_address: tuple[str, int]
    daemon_threads = True
    allow_reuse_address = True
    # A worker opens a connection per thread at once (a hundred for a dqtworker); with
    # socketserver's backlog of 5 the kernel dropped most of them and each waited a second
    # for its retry, which no real service's listener would make it do.
    request_queue_size = 1024
    handler_class: type[BaseHTTPRequestHandler]

    def __init__(
        self,
        address: tuple[str, int],
        state: Any,
        *,
        verbose: bool = False,
        state_file: Path | None = None,
    ):
        self.state = state
        self.verbose = verbose
        self.state_file = state_file
        super().__init__(address, self.handler_class)

    def handle_error(self, request, client_address) -> None:
        # A client that gave up on a stalled call has closed its end: nothing to report.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def save_state(self) -> None:
        if self.state_file is not None:
            self.state.save(self.state_file)


class ThreadedFake:
    """Serves ``self._server`` on a daemon thread; a context manager. Subclasses set
    ``_server`` and ``state`` (whose ``wake`` event releases requests a fault holds)."""

    thread_name = "fake"
    _server: FakeHTTPServer
    state: Any
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._thread is None:
            return
        self.state.wake.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def add_server_arguments(parser: argparse.ArgumentParser, *, port: int, holds: str) -> None:
    """--host, --port, --state-file and --quiet, as every fake's command takes them."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument(
        "--state-file",
        type=Path,
        help=f"keep {holds} in this JSON file: read at start when it exists, written after "
        "every change",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")


def serve_in_foreground(server: ThreadingHTTPServer, state: _HasWake) -> None:
    """Serve until Ctrl-C, then release held requests and close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.wake.set()
        server.server_close()
