"""A response body read from httpcore's raw stream and decoded (gzip, deflate, br) in bounded
pieces, within the fetch's size cap and deadline.

Contract: :func:`read_body` returns the decoded body, or raises :class:`FetchError` when it
would pass ``limits.max_bytes`` *after* decompression (:class:`TooLarge`, so a gzip bomb stops
at the cap instead of filling memory), when the encoding is unknown or corrupt, or when the
deadline passes. It holds at most ``limits.max_bytes`` plus one ``PIECE`` of body in memory.
zlib and brotli errors are wrapped here.

Trap: httpx would decode Content-Encoding in whole network chunks (a 64 kB gzip chunk can
inflate to 64 MB at once); feedhub reads httpcore's raw stream and decodes each chunk with
bounded output itself.

It reads one response's body; it does not send requests or look at status codes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from typing import Protocol

import brotli
import httpcore

from ..errors import FetchError
from ..model import FetchLimits
from .deadline import Deadline

__all__ = ["PIECE", "TooLarge", "read_body"]

PIECE = 64 * 1024
"""Largest piece of decoded output produced at once."""


class TooLarge(FetchError):
    """The body would pass ``limits.max_bytes`` (after decompression)."""


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, wbits: int, raw_fallback: bool = False) -> None:
        self._d = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self._raw_fallback:
                # "deflate" is zlib-wrapped by the RFC but raw deflate in the wild.
                try:
                    zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:64], 1)
                except zlib.error:
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        while data:
            out = self._d.decompress(data, PIECE)
            if out:
                yield out
            data = self._d.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        while True:
            out = self._d.flush(PIECE)
            if not out:
                return
            yield out


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._d.process(data, output_buffer_limit=PIECE)
        if out:
            yield out
        while not self._d.can_accept_more_data():
            out = self._d.process(b"", output_buffer_limit=PIECE)
            if not out:
                return
            yield out

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _decoder(name: str) -> _Decoder:
    if name in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if name == "br":
        return _Brotli()
    raise ValueError(name)


def _decode_chain(decoders: list[_Decoder], data: bytes | None) -> Iterator[bytes]:
    """Run ``data`` through decoders (outermost encoding first); None flushes them all."""
    if not decoders:
        if data:
            yield data
        return
    first, rest = decoders[0], decoders[1:]
    pieces = first.flush() if data is None else first.feed(data)
    for piece in pieces:
        yield from _decode_chain(rest, piece)
    if data is None and rest:
        yield from _decode_chain(rest, None)


def read_body(
    response: httpcore.Response, found: Mapping[str, str], here: str, source_id: str,
    limits: FetchLimits, deadline: Deadline,
) -> bytes:
    """The body of ``response`` (from ``here``, with the headers ``found``), decoded."""
    names = [n.strip().lower() for n in found.get("content-encoding", "").split(",")]
    names = [n for n in names if n and n != "identity"]
    try:
        decoders = [_decoder(n) for n in reversed(names)]
    except ValueError as exc:
        raise FetchError(source_id, f"{here} sent Content-Encoding {exc}, which "
                                    "feedhub cannot decode") from exc
    too_large = TooLarge(source_id, f"the response from {here} is larger than "
                                    f"{limits.max_bytes} bytes (after decompression); raise "
                                    "fetch.max_bytes if it is expected")
    length = found.get("content-length", "")
    if not decoders and length.isdigit() and int(length) > limits.max_bytes:
        raise too_large
    body = bytearray()
    try:
        for raw in response.iter_stream():
            for piece in _decode_chain(decoders, raw):
                body += piece
                if len(body) > limits.max_bytes:
                    raise too_large
            if deadline.remaining() <= 0:
                raise FetchError(source_id, f"{here} did not finish within the "
                                            f"{limits.deadline:g}s deadline")
        for piece in _decode_chain(decoders, None):
            body += piece
            if len(body) > limits.max_bytes:
                raise too_large
    except (zlib.error, brotli.error) as exc:
        raise FetchError(source_id, f"the {', '.join(names)} body from {here} is "
                                    f"corrupt: {exc}") from exc
    return bytes(body)
