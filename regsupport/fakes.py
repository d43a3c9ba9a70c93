"""What the project's fake HTTP services (DQT, Apply) share: serving on a thread for tests
and the demo, and serving in the foreground for their management commands."""

from __future__ import annotations

import argparse
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, Self


class _HasWake(Protocol):
    wake: threading.Event


class ThreadedFake:
    """Serves ``self._server`` on a daemon thread; a context manager. Subclasses set
    ``_server`` and ``state`` (whose ``wake`` event releases requests a fault holds)."""

    thread_name = "fake"
    _server: ThreadingHTTPServer
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
