"""A 304 carries no body, on the wire: read with a raw socket, since http.client never reads a
304's body and the Flask test client builds its response without a connection.

Against gunicorn (the production app server) and nginx in front of it (the files nginx serves
itself, and a filtered feed it passes to gunicorn): the 304's head says no length other than 0
and no chunked body, nothing follows the head, and the next request on the same kept-alive
connection is answered from its first byte.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from feedhub.model import Config

from .support.gunicorn import gunicorn
from .support.nginx import Nginx, free_port, server_block


@dataclass
class Head:
    status: int
    headers: dict[str, str]
    rest: bytes
    """Bytes read past the head's blank line (a body that should not be there)."""


def read_head(conn: socket.socket) -> Head:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed mid-head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in lines[1:])}
    return Head(status, headers, rest)


def request(path: str, **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept-Encoding: identity",
             *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def body_after(conn: socket.socket, head: Head) -> bytes:
    """The rest of a 200's body (by its Content-Length), so the connection can be reused."""
    length = int(head.headers["content-length"])
    data = head.rest
    while len(data) < length:
        data += conn.recv(65536)
    return data


def check_304(port: int, path: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request(path))
        first = read_head(conn)
        assert first.status == 200, (path, first.headers)
        body = body_after(conn, first)
        assert body
        etag = first.headers["etag"]
        conn.sendall(request(path, If_None_Match=etag))
        not_modified = read_head(conn)
        assert not_modified.status == 304, (path, not_modified.headers)
        assert not_modified.headers.get("content-length", "0") == "0", not_modified.headers
        assert "transfer-encoding" not in not_modified.headers, not_modified.headers
        assert not_modified.headers["etag"] == etag
        assert not_modified.rest == b""
        conn.settimeout(0.3)
        with pytest.raises(TimeoutError):
            extra = conn.recv(65536)  # nothing may follow the head
            raise AssertionError(f"bytes after a 304's head: {extra!r}")
        conn.settimeout(10)
        # The connection is still in step: the next answer starts at its status line.
        conn.sendall(request(path))
        again = read_head(conn)
        assert again.status == 200
        assert body_after(conn, again) == body


@pytest.fixture
def server(built: Config) -> Iterator[int]:
    with gunicorn(built.path, workers=1) as (port, _log):
        yield port


@pytest.mark.parametrize("path", ["/feeds/all.atom", "/feeds/news.rss", "/feeds/all.json",
                                  "/feeds/all.rss?limit=2", "/c/news", "/static/feedhub.css"])
def test_gunicorn_answers_304_without_a_body(server: int, path: str) -> None:
    check_304(server, path)


@pytest.mark.parametrize("path", ["/feeds/all.atom", "/feeds/news.rss", "/feeds/all.json",
                                  "/feeds/all.rss?limit=2"])
def test_nginx_answers_304_without_a_body(built: Config, server: int, tmp_path: Path,
                                          path: str) -> None:
    """nginx serves the files itself and passes a filtered feed to gunicorn."""
    port = free_port()
    block = server_block(built.output_dir, port, f"127.0.0.1:{server}")
    with Nginx(tmp_path / "nginx", block, port):
        check_304(port, path)
