"""The project's fake analytics sink: BigQuery's streaming insert (``tabledata.insertAll``)
over HTTP, holding the rows it accepted, with injectable faults.

    with FakeSink() as sink:          # a free port on 127.0.0.1, in a thread
        sink.url                      # "http://127.0.0.1:PORT/"
        sink.rows                     # the accepted rows' json, in order
        sink.fail_next(count=3)       # three 503s
        sink.hang(seconds=30)         # every request waits 30 s before answering

``python manage.py run_fake_sink --port 8002`` serves it for ``make run``.

What it checks, as BigQuery does (its REST reference for ``tabledata.insertAll`` and
``TableDataInsertAllResponse``): a bearer token when one is configured (401), the table
exists (404 "Not found: Table p:d.t"), the body is JSON with ``rows`` (400), each row's
``json`` fits the table's schema: an unknown field or a value of the wrong type is an
``insertErrors`` entry with reason ``invalid``; without ``skipInvalidRows`` the other rows
of that request are not inserted (reason ``stopped``). A repeated ``insertId`` is inserted
once (BigQuery's best-effort de-duplication).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The events table of DfE Analytics (the dfe-analytics gem's schema): field -> type.
SCHEMA: dict[str, str] = {
    "environment": "STRING",
    "namespace": "STRING",
    "occurred_at": "TIMESTAMP",
    "event_type": "STRING",
    "request_uuid": "STRING",
    "request_user_agent": "STRING",
    "request_method": "STRING",
    "request_path": "STRING",
    "request_query": "KEY_VALUES",
    "request_referer": "STRING",
    "anonymised_user_agent_and_ip": "STRING",
    "response_content_type": "STRING",
    "response_status": "INTEGER",
    "user_id": "STRING",
    "entity_table_name": "STRING",
    "data": "KEY_VALUES",
    "hidden_data": "KEY_VALUES",
    "event_tags": "STRINGS",
}
INSERT_ALL = re.compile(
    r"^/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/insertAll$"
)


def _type_error(kind: str, value: Any) -> bool:
    if value is None:
        return False
    if kind in ("STRING", "TIMESTAMP"):
        # BigQuery takes numbers for STRING columns in JSON too.
        return not isinstance(value, (str, int))
    if kind == "INTEGER":
        return isinstance(value, bool) or not isinstance(value, (int, str))
    if kind == "STRINGS":
        return not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    if kind == "KEY_VALUES":
        return not isinstance(value, list) or not all(
            isinstance(v, dict) and set(v) <= {"key", "value"} for v in value
        )
    return True


def row_errors(row: Any) -> list[dict[str, str]]:
    """BigQuery's errors for one row's ``json`` against the schema (empty: it fits)."""
    if not isinstance(row, dict):
        return [{"reason": "invalid", "location": "", "message": "Row must be a JSON object."}]
    errors = []
    for name, value in row.items():
        if name not in SCHEMA:
            errors.append(
                {"reason": "invalid", "location": name, "message": f"no such field: {name}."}
            )
        elif _type_error(SCHEMA[name], value):
            errors.append(
                {
                    "reason": "invalid",
                    "location": name,
                    "message": f"Cannot convert value to {SCHEMA[name].lower()}.",
                }
            )
    return errors


@dataclass
class SinkState:
    project: str = "regsupport"
    dataset: str = "events"
    table: str = "events"
    api_key: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    insert_ids: set[str] = field(default_factory=set)
    requests: int = 0
    failures_left: int = 0
    failure_status: int = 503
    hang_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event = field(default_factory=threading.Event)

    def insert_all(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            return 400, _error(400, "Invalid JSON payload: rows is required.", "INVALID_ARGUMENT")
        if not body["rows"]:
            return 400, _error(400, "No rows present in the request.", "INVALID_ARGUMENT")
        found = [
            (i, row_errors(r.get("json") if isinstance(r, dict) else None))
            for i, r in enumerate(body["rows"])
        ]
        invalid = {i for i, errors in found if errors}
        insert_errors: list[dict[str, Any]] = [
            {"index": i, "errors": errors} for i, errors in found if errors
        ]
        skip_invalid = bool(body.get("skipInvalidRows"))
        if invalid and not skip_invalid:
            stopped = [{"reason": "stopped", "location": "", "message": ""}]
            insert_errors += [
                {"index": i, "errors": stopped}
                for i in range(len(body["rows"]))
                if i not in invalid
            ]
            insert_errors.sort(key=lambda e: e["index"])
        else:
            with self.lock:
                for i, row in enumerate(body["rows"]):
                    insert_id = str(row.get("insertId") or "")
                    if i in invalid or (insert_id and insert_id in self.insert_ids):
                        continue
                    if insert_id:
                        self.insert_ids.add(insert_id)
                    self.rows.append(row["json"])
        answer: dict[str, Any] = {"kind": "bigquery#tableDataInsertAllResponse"}
        if insert_errors:
            answer["insertErrors"] = insert_errors
        return 200, answer


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class FakeSinkHandler(BaseHTTPRequestHandler):
    server: FakeSinkServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        state = self.server.state
        if self.path == "/_control/rows":
            with state.lock:
                self._send(200, {"rows": list(state.rows), "requests": state.requests})
            return
        self._send(404, _error(404, f"Not found: {self.path}", "NOT_FOUND"))

    def do_POST(self):
        state = self.server.state
        body = self._body()
        if self.path.startswith("/_control/"):
            self._control(self.path, body if isinstance(body, dict) else {})
            return
        with state.lock:
            state.requests += 1
            hang = state.hang_seconds
            failing = state.failures_left > 0
            if failing:
                state.failures_left -= 1
        if hang:
            state.wake.wait(hang)
        if failing:
            self._send(
                state.failure_status, _error(state.failure_status, "Backend error.", "UNAVAILABLE")
            )
            return
        if state.api_key and self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._send(
                401,
                _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"),
            )
            return
        match = INSERT_ALL.match(self.path.split("?", 1)[0])
        if not match:
            self._send(404, _error(404, f"Not found: {self.path}", "NOT_FOUND"))
            return
        project, dataset, table = match.groups()
        if (project, dataset, table) != (state.project, state.dataset, state.table):
            self._send(
                404, _error(404, f"Not found: Table {project}:{dataset}.{table}", "NOT_FOUND")
            )
            return
        if body is _UNREADABLE:
            self._send(400, _error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"))
            return
        self._send(*state.insert_all(body))

    def _control(self, path: str, body: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            if path == "/_control/fail":
                state.failures_left = int(body.get("count", 1))
                state.failure_status = int(body.get("status", 503))
            elif path == "/_control/hang":
                state.hang_seconds = float(body.get("seconds", 0))
                state.wake.clear()
            elif path == "/_control/reset":
                state.rows.clear()
                state.insert_ids.clear()
                state.requests = state.failures_left = 0
                state.hang_seconds = 0.0
                state.wake.set()
            else:
                self._send(404, _error(404, f"Not found: {path}", "NOT_FOUND"))
                return
        self._send(200, {"ok": True})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return _UNREADABLE

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a hang fault)


_UNREADABLE = object()


class FakeSinkServer(ThreadingHTTPServer):
    server_address: tuple[str, int]
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SinkState, *, verbose: bool = False):
        self.state = state
        self.verbose = verbose
        super().__init__(address, FakeSinkHandler)


class FakeSink:
    """The fake sink on a free local port, in a thread, for tests and benchmarks."""

    def __init__(self, state: SinkState | None = None, port: int = 0):
        self.state = state or SinkState()
        self.server = FakeSinkServer(("127.0.0.1", port), self.state)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.state.wake.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def rows(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.rows)

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self.state.lock:
            self.state.failures_left, self.state.failure_status = count, status

    def hang(self, seconds: float) -> None:
        with self.state.lock:
            self.state.hang_seconds = seconds
            self.state.wake.clear()

    def release(self) -> None:
        """End every hang: waiting requests answer now, later ones do not wait."""
        with self.state.lock:
            self.state.hang_seconds = 0.0
        self.state.wake.set()

    def wait_for_rows(self, count: int, seconds: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(rows := self.rows) >= count:
                return rows
            time.sleep(0.1)
        raise AssertionError(f"the sink got {len(self.rows)} rows, not {count}, in {seconds} s")
