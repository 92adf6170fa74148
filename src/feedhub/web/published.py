"""Published files held in memory, each ready to answer any conditional request.

Contract:
- :func:`make_ready` computes, once per file, every header of every answer: a strong ETag
  from the content, Last-Modified from the file's mtime (publish sets it to the newest item
  change), gzip from the ``.gz`` beside the file (or compressed here), Cache-Control, Vary,
  CORS, nosniff and a Content-Security-Policy on HTML.
- :class:`Published` keys each file by (path, mtime_ns, size): a hot feed costs one stat()
  and no read. A file not built yet is None, never an error.

Must not: read the request or choose between answers (feedhub.web.conditional does), or
render anything (the publisher wrote the files; filtered feeds are feedhub.web.filters).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..model import Config, ServeSettings
from ..publish import gz_path
from .headers import EXPOSE, NOSNIFF, http_date, kind_headers

FILE_CACHE_SIZE = 512


@dataclass(frozen=True)
class Variant:
    """One representation (plain or gzip) of a published file, with its headers computed."""

    body: bytes
    etag: str
    ok_headers: tuple[tuple[str, str], ...]
    not_modified_headers: tuple[tuple[str, str], ...]
    ok_headers_accept: tuple[tuple[str, str], ...]
    """The same with ``Vary: ..., Accept`` (feed URLs, where a browser gets the page)."""
    not_modified_headers_accept: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Ready:
    """A published file (or a filtered feed) ready to answer any conditional request."""

    version: tuple[int, int]
    """(mtime_ns, size) of the file it was read from; (0, 0) for rendered answers."""
    last_modified: int
    """Seconds since the epoch."""
    plain: Variant
    zipped: Variant
    cors: bool
    """Whether browsers on other origins may read it."""


def make_ready(
    settings: ServeSettings,
    relpath: str,
    content_type: str,
    data: bytes,
    zipped: bytes | None,
    last_modified: int,
    version: tuple[int, int] = (0, 0),
) -> Ready:
    """Compute every header of every answer of one file, once."""
    cors, csp = kind_headers(relpath, content_type)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if zipped is None:
        zipped = gzip.compress(data, 9, mtime=0)
    wildcard = "*" in settings.cors_origins
    common: list[tuple[str, str]] = [
        ("Cache-Control", f"public, max-age={settings.max_age}"),
        NOSNIFF,
    ]
    if cors and wildcard:
        common += [("Access-Control-Allow-Origin", "*"), EXPOSE]
    if csp:
        common.append(("Content-Security-Policy", csp))
    modified = ("Last-Modified", http_date(last_modified))

    vary = "Accept-Encoding" if wildcard or not cors else "Accept-Encoding, Origin"

    def variant(body: bytes, etag: str, encoding: tuple[tuple[str, str], ...]) -> Variant:
        ok = (("Content-Type", content_type), ("Content-Length", str(len(body))),
              ("ETag", etag), modified, *encoding, *common)
        not_modified = (("ETag", etag), *common)
        plain, accept = ("Vary", vary), ("Vary", f"{vary}, Accept")
        return Variant(body, etag, (*ok, plain), (*not_modified, plain),
                       (*ok, accept), (*not_modified, accept))

    return Ready(
        version=version,
        last_modified=last_modified,
        plain=variant(data, f'"{digest}"', ()),
        zipped=variant(zipped, f'"{digest}-gz"', (("Content-Encoding", "gzip"),)),
        cors=cors,
    )


class Published:
    """The published files of one output folder, each held ready to answer.

    Thread-safe enough for gunicorn threads: entries are immutable and replaced whole; two
    threads that miss at once both read the file and one entry wins.
    """

    def __init__(self, config: Config) -> None:
        self.root = config.output_dir
        self._root = str(config.output_dir)
        self.settings = config.serve
        self._files: OrderedDict[str, Ready] = OrderedDict()

    def has(self, relpath: str) -> bool:
        """Whether the file is published (without reading it)."""
        return os.path.isfile(os.path.join(self._root, relpath))

    def get(self, relpath: str, content_type: str) -> Ready | None:
        """The file ready to answer, or None when it does not exist (not built yet)."""
        path = os.path.join(self._root, relpath)  # a str: no Path object on the hot path
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        ready = self._files.get(relpath)
        if ready is not None and ready.version == (stat.st_mtime_ns, stat.st_size):
            return ready
        return self._load(Path(path), relpath, content_type)

    def _load(self, path: Path, relpath: str, content_type: str) -> Ready | None:
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        zipped: bytes | None = None
        try:
            with open(gz_path(path), "rb") as handle:
                # Only a .gz written with this very file (publish gives both one mtime).
                if os.fstat(handle.fileno()).st_mtime_ns == stat.st_mtime_ns:
                    zipped = handle.read()
        except FileNotFoundError:
            pass
        ready = make_ready(self.settings, relpath, content_type, data, zipped,
                           int(stat.st_mtime), (stat.st_mtime_ns, stat.st_size))
        self._files[relpath] = ready
        while len(self._files) > FILE_CACHE_SIZE:
            self._files.popitem(last=False)
        return ready

    def allow_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from ``origin``, if allowed."""
        origins = self.settings.cors_origins
        if "*" in origins:
            return "*"
        if origin and origin in origins:
            return origin
        return None
