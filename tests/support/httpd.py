"""A real HTTP server on 127.0.0.1 for tests: routes are data, every request is logged.

    with LocalServer() as server:
        server.route("/feed.xml", body=b"<rss ...>", headers={"Content-Type": "text/xml"})
        server.route("/slow", handler=my_handler)   # handler(request) -> Reply, may sleep/stream
        fetch(server.url("/feed.xml"))
        assert server.requests[0].headers["User-Agent"].startswith("feedhub/")

A handler may also write to ``request.handler.wfile`` itself and return None (drip, never end).
``server.accepted`` and ``server.closed`` count TCP connections opened and ended (keep-alive
tests); ``LocalServer(idle_timeout=s)`` closes a connection that sits idle for ``s`` seconds.
``LocalServer(host="127.0.0.2")`` listens on another loopback address (Linux routes all of
127/8 to lo): a second "machine" for the address-policy tests.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    handler: BaseHTTPRequestHandler


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply | None]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up early (deadline, size cap) are what the fault tests provoke.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    def __init__(self, idle_timeout: float | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.accepted = 0
        self.closed = 0
        counting = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY the second waits
            # for the client's delayed ACK (~40 ms a request).
            disable_nagle_algorithm = True
            timeout = idle_timeout

            def setup(self) -> None:
                with counting:
                    server.accepted += 1
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with counting:
                        server.closed += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                request = Request(self.command, self.path, dict(self.headers.items()), self)
                server.requests.append(request)
                path = self.path.split("?", 1)[0]
                route = server.routes.get(self.path) or server.routes.get(path)
                reply = route(request) if route else Reply(404, b"not found")
                if reply is None:
                    return
                body = reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(body, bytes):
                    if "Content-Length" not in reply.headers:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        try:
                            self.wfile.write(body)
                        except (BrokenPipeError, ConnectionResetError):
                            self.close_connection = True  # the client went away (killed)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for chunk in body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = _serve
            do_HEAD = _serve
            do_POST = _serve

        self.httpd = _QuietServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        handler: Handler | None = None,
    ) -> None:
        if handler is None:
            fixed = Reply(status, body, dict(headers or {}))

            def handler(request: Request) -> Reply:
                return fixed

        self.routes[path] = handler

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
