"""The fake DQT over HTTP: DQT's v2 endpoints plus a control API for tests and demos.

    with FakeDqt() as fake:            # a free port on 127.0.0.1, in a thread
        fake.url                       # "http://127.0.0.1:PORT/"
        fake.add_teacher(trn="1234567", dateOfBirth="1990-01-01", ...)
        fake.fail_next("/v2/teachers/update/", count=2)   # two 500s

``python manage.py run_fake_dqt --port 8001`` serves the same thing for ``make run``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from regsupport.fakes import FakeHandler, FakeHTTPServer, ThreadedFake

from .aspnet import SECURITY_HEADERS, Answer, dotnet_json
from .state import Call, FakeDqtState, teacher_from_trn_request

ApiRoute = tuple[str, re.Pattern[str], Callable[..., Answer]]


class FakeDqtHandler(FakeHandler):
    server: FakeDqtServer

    # --- plumbing -----------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if path.startswith("/_control/"):
            answer = self._control(method, path, query, body)
            if method != "GET":
                self.server.save_state()
            self._send(answer)
            return
        state = self.server.state
        headers = {
            name: self.headers[name]
            for name in ("Accept", "Content-Type", "Authorization")
            if name in self.headers
        }
        call = Call(method, path, query, body, headers)
        state.record(call)
        fault = state.take_fault(method, path)
        if fault is not None:
            call.fault = fault.kind
            if fault.kind == "error":
                call.status = fault.status
                fault_headers: tuple[tuple[str, str], ...] = SECURITY_HEADERS
                if fault.retry_after is not None:
                    fault_headers = (*fault_headers, ("Retry-After", str(fault.retry_after)))
                self._send_raw(
                    fault.status, fault.body.encode(), "application/problem+json", fault_headers
                )
                return
            # Slow or hanging DQT; a reset or shutdown wakes the request and drops it.
            wake = state.wake
            if wake.wait(fault.seconds if fault.kind == "delay" else fault.seconds or 3600):
                self.close_connection = True
                return
        answer = self._api(method, path, query, body)
        call.status = answer.status
        # Kept before answering, so a caller never sees a change the file lacks. Even a GET can
        # change DQT's records: a poll may be the moment a TRN is assigned.
        self.server.save_state()
        self._send(answer, api=True)

    def _api(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        state = self.server.state
        matched_path = False
        for route_method, pattern, handler in API_ROUTES:
            match = pattern.fullmatch(path)
            if not match:
                continue
            matched_path = True
            if route_method != method:
                continue
            api_key = state.authorised(self.headers.get("Authorization"))
            if api_key is None:
                return Answer(401)
            return handler(state, api_key, query, body, **match.groupdict())
        if matched_path or any(p.fullmatch(path) for p in METHODLESS_PATHS):
            return Answer(405)
        return Answer(404)

    def _control(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        body = body if isinstance(body, dict) else {}
        try:
            return control(self.server.state, method, path, query, body)
        except (TypeError, ValueError, KeyError) as error:
            return Answer(400, {"error": str(error)})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, answer: Answer, *, api: bool = False) -> None:
        """DQT's answers as ASP.NET writes them; the control API's as plain JSON."""
        headers = SECURITY_HEADERS if api and answer.status != 401 else ()
        if answer.body is None:
            self._send_raw(answer.status, b"", None, headers)
            return
        content_type = "application/problem+json" if answer.problem else "application/json"
        payload = dotnet_json(answer.body) if api else json.dumps(answer.body).encode()
        self._send_raw(answer.status, payload, f"{content_type}; charset=utf-8", headers)

    def _send_raw(
        self,
        status: int,
        payload: bytes,
        content_type: str | None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        if content_type and payload:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def _put_trn_request(state, api_key, query, body, request_id):
    return state.put_trn_request(api_key, request_id, body)


def _get_trn_request(state, api_key, query, body, request_id):
    return state.get_trn_request(api_key, request_id)


def _update_teacher(state, api_key, query, body, trn):
    return state.update_teacher(trn, query, body)


def _itt_outcome(state, api_key, query, body, trn):
    return state.set_itt_outcome(trn, query, body)


def _find_teachers(state, api_key, query, body):
    return state.find_teachers(query)


def _get_teacher(state, api_key, query, body, trn):
    return state.get_teacher(trn, query)


# Order matters: "find" is tried before "{trn}".
API_ROUTES: list[ApiRoute] = [
    ("PUT", re.compile(r"/v2/trn-requests/(?P<request_id>[^/]+)"), _put_trn_request),
    ("GET", re.compile(r"/v2/trn-requests/(?P<request_id>[^/]+)"), _get_trn_request),
    ("PATCH", re.compile(r"/v2/teachers/update/(?P<trn>[^/]+)"), _update_teacher),
    ("PUT", re.compile(r"/v2/teachers/(?P<trn>[^/]+)/itt-outcome"), _itt_outcome),
    ("GET", re.compile(r"/v2/teachers/find"), _find_teachers),
    ("GET", re.compile(r"/v2/teachers/(?P<trn>[^/]+)"), _get_teacher),
]
# An empty TRN: DQT answered 405, as Register saw for `/v2/teachers/update/?…` (PR #2826).
METHODLESS_PATHS = [re.compile(r"/v2/teachers/update/?")]


def control(state: FakeDqtState, method: str, path: str, query: dict, body: dict) -> Answer:
    """The test/demo control API (no key: the fake only listens on 127.0.0.1)."""
    route = (method, path.rstrip("/"))
    if route == ("POST", "/_control/reset"):
        state.reset()
        return Answer(204)
    if route == ("GET", "/_control/config"):
        return Answer(200, state.config.as_dict())
    if route == ("POST", "/_control/config"):
        return Answer(200, state.configure(**body))
    if route == ("POST", "/_control/teachers"):
        return Answer(201, state.put_teacher(body))
    if route == ("GET", "/_control/teachers"):
        with state.lock:
            return Answer(200, {"teachers": [state.teacher(t) for t in state.teachers]})
    if method == "GET" and (found := re.fullmatch(r"/_control/teachers/(\d+)", path)):
        teacher = state.teacher(found[1])
        return Answer(200, teacher) if teacher else Answer(404, {"error": "no such teacher"})
    if route == ("GET", "/_control/trn-requests"):
        return Answer(200, {"trnRequests": state.trn_request_list()})
    if method == "POST" and (
        found := re.fullmatch(r"/_control/trn-requests/([^/]+)/complete", path)
    ):
        info = state.complete_trn_request(found[1])
        return Answer(200, info) if info else Answer(404, {"error": "no such TRN request"})
    if route == ("POST", "/_control/faults"):
        return Answer(201, state.add_fault(**body).as_dict())
    if route == ("GET", "/_control/faults"):
        with state.lock:
            return Answer(200, {"faults": [f.as_dict() for f in state.faults]})
    if route == ("DELETE", "/_control/faults"):
        state.clear_faults()
        return Answer(204)
    if route == ("GET", "/_control/calls"):
        with state.lock:
            return Answer(200, {"calls": [c.as_dict() for c in state.calls]})
    return Answer(404, {"error": f"no control endpoint {method} {path}"})


class FakeDqtServer(FakeHTTPServer):
    state: FakeDqtState
    handler_class = FakeDqtHandler


@contextmanager
def serving(state: FakeDqtState) -> Iterator[str]:
    """Serve ``state`` on a free local port while the block runs; gives the base URL."""
    server = FakeDqtServer(("127.0.0.1", 0), state)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FakeDqt(ThreadedFake):
    """Start the fake on a free port in a background thread; control it from Python."""

    thread_name = "fake-dqt"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False, **config):
        config.setdefault("api_keys", ["test-dqt-key"])
        self.state = FakeDqtState(**config)
        self.api_key = sorted(self.state.config.api_keys)[0]
        self._server = FakeDqtServer((host, port), self.state, verbose=verbose)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    # --- the same controls as the HTTP control API --------------------------------------

    def reset(self) -> None:
        self.state.reset()

    def configure(self, **changes) -> dict:
        return self.state.configure(**changes)

    def add_teacher(self, **record) -> dict:
        """A teacher DQT already holds. Unset fields default sensibly (active, the QTS
        registration its TRN request would have made, no award, PII updates not allowed);
        ``initialTeacherTraining`` rows take ``providerUkprn`` etc."""
        return self.state.put_teacher(record)

    def add_teacher_for(self, trainee, **overrides) -> dict:
        """DQT's record of a Register trainee, as if its TRN request had completed: same
        names, date of birth, slug and training, TRN = ``trainee.trn`` (or a new one).
        ``overrides`` replace fields (e.g. ``dateOfBirth="1990-01-01"``, ``active=False``)."""
        from dqt import payloads

        record = teacher_from_trn_request(payloads.trn_request(trainee), **overrides)
        if trainee.trn and "trn" not in overrides:
            record["trn"] = trainee.trn
        return self.state.put_teacher(record)

    def update_teacher_record(self, trn: str, **changes) -> dict:
        """Change DQT's side directly (e.g. ``active=False``, another ``dateOfBirth``)."""
        return self.state.put_teacher({"trn": trn, **changes})

    def teacher(self, trn: str) -> dict | None:
        return self.state.teacher(trn)

    def complete_trn_request(self, request_id: str) -> dict | None:
        return self.state.complete_trn_request(str(request_id))

    def fail_next(
        self,
        path: str,
        *,
        count: int | None = 1,
        status: int = 500,
        body: str = "",
        method=None,
        probability: float = 1.0,
        retry_after: int | None = None,
    ):
        return self.state.add_fault(
            path=path,
            kind="error",
            count=count,
            status=status,
            body=body,
            method=method,
            probability=probability,
            retry_after=retry_after,
        )

    def slow_down(self, path: str, *, seconds: float, count: int | None = None, method=None):
        return self.state.add_fault(
            path=path, kind="delay", seconds=seconds, count=count, method=method
        )

    def hang(
        self,
        path: str,
        *,
        seconds: float = 3600,
        count: int | None = 1,
        method=None,
        probability: float = 1.0,
    ):
        return self.state.add_fault(
            path=path,
            kind="hang",
            seconds=seconds,
            count=count,
            method=method,
            probability=probability,
        )

    @property
    def calls(self) -> list[dict]:
        with self.state.lock:
            return [c.as_dict() for c in self.state.calls]
