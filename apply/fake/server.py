"""The fake Apply over HTTP: Apply's Register API plus a control API for tests and demos.

    with FakeApply() as fake:                  # a free port on 127.0.0.1, in a thread
        fake.url                               # "http://127.0.0.1:PORT/register-api"
        fake.add_choice(course={...}, candidate={...})
        fake.touch([101, 102])                 # the playbook's touch_all
        fake.fail_next(status=500)             # or 401, slow(seconds=...), malformed()

``python manage.py run_fake_apply --port 8002`` serves the same thing for ``make run``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from regsupport.fakes import FakeHandler, FakeHTTPServer, ThreadedFake

from .state import Answer, Call, FakeApplyState, error_answer

API_PREFIX = "/register-api"
# Apply's Rails answers a fault (an unhandled exception) with its errors controller's body.
INTERNAL_SERVER_ERROR = {
    "errors": [
        {
            "error": "InternalServerError",
            "message": "The server encountered an unexpected condition that prevented it "
            "from fulfilling the request",
        }
    ]
}


class FakeApplyHandler(FakeHandler):
    server: FakeApplyServer

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path).rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_control/"):
            try:
                body = json.loads(raw) if raw else {}
                answer = control(
                    self.server.state, method, path, body if isinstance(body, dict) else {}
                )
            except (TypeError, ValueError, KeyError) as error:
                answer = Answer(400, {"error": str(error)})
            if method != "GET":
                self.server.save_state()
            self._send(answer)
            return
        self._send(self._api(method, path, query))

    def _api(self, method: str, path: str, query: dict[str, str]) -> Answer:
        state = self.server.state
        call = Call(method, path, query, self.headers.get("Authorization"))
        state.record(call)
        if path != f"{API_PREFIX}/applications":
            answer = error_answer(404, "NotFound", "Not found")
        elif method != "GET":
            answer = error_answer(405, "MethodNotAllowed", "Method not allowed")
        else:
            answer = self._applications(state, query)
        call.status = answer.status
        return answer

    def _applications(self, state: FakeApplyState, query: dict[str, str]) -> Answer:
        # The token is checked first (ServiceAPIUserAuthentication's before_action).
        if not state.authorised(self.headers.get("Authorization")):
            return error_answer(401, "Unauthorized", "Please provide a valid API token")
        fault = state.take_fault()
        if fault is not None and fault.kind == "error":
            body = json.loads(fault.body) if fault.body else INTERNAL_SERVER_ERROR
            return Answer(fault.status, body)
        if fault is not None and fault.kind == "delay":
            # Slow Apply; a reset or shutdown wakes the request and drops it.
            if state.wake.wait(fault.seconds):
                self.close_connection = True
            return state.applications(query)
        answer = state.applications(query)
        if fault is not None and fault.kind == "malformed" and answer.status == 200:
            _malform(answer.body["data"], fault.apply_id)
        return answer

    def _send(self, answer: Answer) -> None:
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def _malform(data: list[dict[str, Any]], apply_id: int | None) -> None:
    """Drop the ``course`` block of one application on the page: Register cannot read its
    body code or year (``RecruitsApiMissingDataError``)."""
    for application in data:
        if apply_id is None or application["id"] == str(apply_id):
            application["attributes"].pop("course", None)
            return


def control(state: FakeApplyState, method: str, path: str, body: dict) -> Answer:
    """The test/demo control API (no token: the fake only listens on 127.0.0.1)."""
    route = (method, path)
    if route == ("POST", "/_control/reset"):
        state.reset()
        return Answer(204)
    if route == ("POST", "/_control/providers"):
        return Answer(
            200,
            state.put_provider(
                code=body["code"],
                name=body.get("name", ""),
                provider_type=body.get("provider_type", "scitt"),
            ),
        )
    if route == ("GET", "/_control/providers"):
        with state.lock:
            return Answer(200, {"providers": list(state.providers.values())})
    if route == ("POST", "/_control/application-choices"):
        return Answer(201, state.add_choice(body))
    if route == ("GET", "/_control/application-choices"):
        with state.lock:
            return Answer(
                200, {"application_choices": [state.present(c) for c in state.choices.values()]}
            )
    if route == ("POST", "/_control/application-choices/touch"):
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise ValueError("ids must be a list of application choice ids (integers)")
        return Answer(200, state.touch(ids))
    if route == ("POST", "/_control/faults"):
        return Answer(201, state.add_fault(**body).as_dict())
    if route == ("GET", "/_control/faults"):
        with state.lock:
            return Answer(200, {"faults": [f.as_dict() for f in state.faults]})
    if route == ("DELETE", "/_control/faults"):
        with state.lock:
            state.faults.clear()
        return Answer(204)
    if route == ("GET", "/_control/calls"):
        with state.lock:
            return Answer(200, {"calls": [c.as_dict() for c in state.calls]})
    return Answer(404, {"error": f"no control endpoint {method} {path}"})


class FakeApplyServer(FakeHTTPServer):
    state: FakeApplyState
    handler_class = FakeApplyHandler


class FakeApply(ThreadedFake):
    """Start the fake on a free port in a background thread; control it from Python."""

    thread_name = "fake-apply"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False, **config):
        config.setdefault("api_tokens", ["test-apply-token"])
        self.state = FakeApplyState(**config)
        self.api_token = sorted(self.state.api_tokens)[0]
        self._server = FakeApplyServer((host, port), self.state, verbose=verbose)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """What ``recruits_api.base_url`` is set to (Apply's is ``…/register-api``)."""
        return f"{self.base}{API_PREFIX}"

    @property
    def touch_url(self) -> str:
        return f"{self.base}/_control/application-choices/touch"

    # --- the same controls as the HTTP control API --------------------------------------

    def put_provider(self, code: str, *, provider_type: str, name: str = "") -> dict:
        return self.state.put_provider(code=code, name=name, provider_type=provider_type)

    def add_choice(self, **choice) -> dict:
        return self.state.add_choice(choice)

    def touch(self, ids: list[int]) -> dict:
        return self.state.touch(ids)

    def fail_next(self, *, status: int = 500, body: str = "", count: int | None = 1):
        return self.state.add_fault(kind="error", status=status, body=body, count=count)

    def slow_down(self, *, seconds: float, count: int | None = 1):
        return self.state.add_fault(kind="delay", seconds=seconds, count=count)

    def malformed(self, *, apply_id: int | None = None, count: int | None = 1):
        return self.state.add_fault(kind="malformed", apply_id=apply_id, count=count)

    @property
    def calls(self) -> list[dict]:
        with self.state.lock:
            return [c.as_dict() for c in self.state.calls]
