"""A real, scriptable CRM HTTP server on 127.0.0.1 for the HTTP adapter's tests.

Each request takes the next scripted `Reply` (or the default one when the script is empty) and
is recorded (method, path, query, headers), so tests can assert what the adapter sent and how
many requests it made. Replies cover the ways a CRM misbehaves: slow answers, 5xx, 429, 401,
malformed or wrongly typed JSON, connections reset or closed without an answer.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

# A slow reply never waits longer than this, so a broken test cannot hang the suite.
MAX_DELAY_SECONDS = 3.0

Action = Literal["respond", "reset", "close"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    action: Action = "respond"  # reset: TCP RST, no answer; close: FIN, no answer


def json_reply(status: int, document: Any) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode())


def ok(document: Any) -> Reply:
    return json_reply(200, document)


def not_found() -> Reply:
    return json_reply(404, {"message": "no customer with this phone number"})


def status(code: int, body: bytes = b"", headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status=code, body=body, headers=(("Content-Type", "text/plain"), *headers))


def slow(seconds: float, then: Reply | None = None) -> Reply:
    base = then if then is not None else not_found()
    return Reply(
        status=base.status,
        body=base.body,
        headers=base.headers,
        action=base.action,
        delay=min(seconds, MAX_DELAY_SECONDS),
    )


def malformed_json() -> Reply:
    return Reply(status=200, body=b'{"customerId": "C-1", "firstName": ')


def reset() -> Reply:
    return Reply(action="reset")


def close() -> Reply:
    return Reply(action="close")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class CrmHttpServer:
    """Start with `with CrmHttpServer() as server:`; point the adapter at `server.url`."""

    default: Reply = field(default_factory=not_found)
    _script: deque[Reply] = field(default_factory=deque)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # Scripting and inspection

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)

    def always(self, reply: Reply) -> None:
        """The reply for every request once the script is used up."""
        with self._lock:
            self.default = reply

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # Lifecycle

    def start(self) -> CrmHttpServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.crm = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies so they end at once
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> CrmHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Called by the handler thread

    def _next(self, recorded: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(recorded)
            return self._script.popleft() if self._script else self.default


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow reply must not keep the test process alive
    crm: CrmHttpServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up make the handler's writes fail; that is the point
        # of those tests, not an error worth printing.
        pass


class _Abort(Exception):
    """The handler dropped the connection on purpose."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        recorded = RecordedRequest(
            method="GET",
            path=parts.path,
            raw_query=parts.query,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        crm = self.server.crm
        reply = crm._next(recorded)
        if reply.delay > 0 and crm._stopping.wait(reply.delay):
            self._drop(rst=False)
        if reply.action == "reset":
            self._drop(rst=True)
        if reply.action == "close":
            self._drop(rst=False)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self, *, rst: bool) -> None:
        self.close_connection = True
        if rst:
            # Linger 0: closing sends RST instead of FIN, as a crashing proxy would.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The buffered files hold references to the socket; close them so the socket really
        # closes now rather than after the handler returns.
        self.rfile.close()
        self.wfile.close()
        self.connection.close()
        raise _Abort

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


@contextmanager
def running(default: Reply | None = None) -> Iterator[CrmHttpServer]:
    server = CrmHttpServer(default=default if default is not None else not_found())
    with server:
        yield server
