"""Bytes -> text for feeds and pages, whatever charset they claim. Pure; no I/O.

Contract: :func:`decode` always returns valid Unicode text (no lone surrogates, no C0 control
characters other than tab, newline and carriage return) plus a note when it had to guess, so the
rest of feedhub only ever sees text that encodes to well-formed UTF-8.

Order of evidence, most trusted first:
1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. UTF-16 without a BOM, recognised by the NUL bytes around ``<`` in the first characters;
3. the charset of the HTTP ``Content-Type`` header, then the XML declaration's ``encoding`` or
   the HTML ``<meta charset>``, each used only if the bytes decode with it cleanly;
4. UTF-8;
5. with no usable label and bytes that are mostly not UTF-8 (under half the non-ASCII bytes
   form UTF-8 sequences; CJK text forms a few by chance): the charset charset-normalizer
   detects, unless it is a Latin-script single-byte one. Old CJK, Cyrillic, Hebrew or Thai
   feeds (EUC-JP, Shift_JIS, GB2312, EUC-KR, KOI8-R, Windows-1255, TIS-620...) often declare
   nothing, and reading them as Windows-1252 would publish mojibake;
6. UTF-8 with every undecodable byte read as Windows-1252 (the usual "mixed" page: a template
   in UTF-8 with text pasted from a Windows-1252 source, or Windows-1252 declared as UTF-8).

A single-byte declaration (ISO-8859-1, Windows-1252...) never fails to decode, so bytes that
declare one but are valid UTF-8 with non-ASCII characters are read as UTF-8: the chance that
real Latin-1 text forms valid multi-byte UTF-8 sequences throughout is negligible.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Single-byte charsets of Latin-script languages: short Western text is often detected as one
# of them, and where they differ from Windows-1252 the difference is a few letters, not every
# character (as it is for Cyrillic, Greek, Hebrew, Arabic or Thai read as Windows-1252).
_LATIN_SCRIPT = frozenset({
    "ascii", "iso8859-1", "cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "cp437", "cp850",
    "cp852", "mac-roman", "mac-latin2", "mac-turkish", "mac-iceland", "iso8859-2", "iso8859-3",
    "iso8859-4", "iso8859-9", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15",
    "iso8859-16",
})
# Non-ASCII bytes a body needs before its charset is detected: a few accented letters fit
# many charsets equally well, a sentence of Japanese or Russian fits one.
_DETECT_MIN_BYTES = 16
_HIGH = bytes(range(0x80, 0x100))
"""The bytes that are not ASCII (deleted from a body to count them)."""
# A well-formed multi-byte UTF-8 sequence.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf](?![\x80-\xbf])|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"(?![\x80-\xbf])|[\xf0-\xf4][\x80-\xbf]{3}(?![\x80-\xbf])")
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15", "cp1250", "cp1251",
                "iso8859-2", "mac-roman"}
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# XML 1.0 forbids these code points; HTML parsers choke on NUL. Tab, LF and CR stay.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Decoded:
    """Text decoded from a document, and how."""

    text: str
    encoding: str
    """Python codec name that was used ("utf-8+cp1252" for the mixed repair)."""
    note: str = ""
    """Why the declared charset was not used, or what was repaired; "" when all was clean."""


def _codec(name: str) -> str:
    """Python's canonical name of a charset label, or "" when unknown."""
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return ""


def header_charset(headers: dict[str, str]) -> str:
    content_type = headers.get("content-type", "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def declared_charset(body: bytes) -> str:
    """The charset the document names itself: XML declaration, else HTML <meta>."""
    head = body[:4096]
    match = _XML_DECL.match(head) or _META.search(head)
    return match.group(1).decode("ascii") if match else ""


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("feedhub-cp1252", _cp1252_fallback)


def _utf16_without_bom(body: bytes) -> str:
    head = body[:4]
    if len(head) < 4:
        return ""
    if head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be"
    if head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le"
    return ""


def _detected(body: bytes) -> str:
    """The non-Western charset of a body with no UTF-8 in it, as detected; "" for none."""
    high = len(body) - len(body.translate(None, _HIGH))
    if high < _DETECT_MIN_BYTES:
        return ""  # too little to tell: "Ça va? Très bien!" is as good Big5 as it is French
    in_utf8 = sum(len(found) for found in _UTF8_SEQUENCE.findall(body))
    if in_utf8 * 2 >= high:
        return ""  # UTF-8 with stray bytes: the Windows-1252 repair reads it best
    # Imported here: ~25 ms that only the rare undeclared non-UTF-8 body needs (as Playwright
    # and readability are imported only by what uses them).
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    codec = _codec(best.encoding) if best else ""
    if not codec or codec in _LATIN_SCRIPT or codec.startswith("utf"):
        return ""
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return ""
    return codec


def _clean(text: str) -> str:
    return _FORBIDDEN.sub("", text) if _FORBIDDEN.search(text) else text


def decode(body: bytes, headers: dict[str, str] | None = None) -> Decoded:
    """Decode ``body`` following the order of evidence in the module docstring."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                return Decoded(_clean(body[len(bom):].decode(codec)), codec)
            except UnicodeDecodeError:
                text = body[len(bom):].decode(codec, errors="replace")
                return Decoded(_clean(text), codec,
                               f"invalid {codec} after its byte-order mark; bad bytes replaced")
    sniffed = _utf16_without_bom(body)
    if sniffed:
        text = body.decode(sniffed, errors="replace")
        return Decoded(_clean(text), sniffed)
    notes: list[str] = []
    tried: set[str] = set()
    for label in (header_charset(headers or {}), declared_charset(body)):
        if not label:
            continue
        codec = _codec(label)
        if codec and codec in tried:
            continue
        tried.add(codec)
        if not codec:
            notes.append(f"unknown charset {label!r} ignored")
            continue
        if codec.startswith(("utf-16", "utf-32")):
            # Without a BOM or NUL pattern (checked above) these bytes are not UTF-16/32.
            notes.append(f"declared {label!r} but the bytes are not {codec}")
            continue
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            notes.append(f"declared {label!r} but the bytes are not valid {codec}")
            continue
        if codec in _SINGLE_BYTE and not body.isascii():
            try:
                utf8 = body.decode("utf-8")
            except UnicodeDecodeError:
                return Decoded(_clean(text), codec, "; ".join(notes))
            notes.append(f"declared {label!r} but the bytes are UTF-8; read as UTF-8")
            return Decoded(_clean(utf8), "utf-8", "; ".join(notes))
        return Decoded(_clean(text), codec, "; ".join(notes))
    try:
        return Decoded(_clean(body.decode("utf-8")), "utf-8", "; ".join(notes))
    except UnicodeDecodeError:
        pass
    guessed = _detected(body)
    if guessed:
        notes.append(f"no usable charset declared; the bytes read as {guessed} (detected)")
        return Decoded(_clean(body.decode(guessed)), guessed, "; ".join(notes))
    text = body.decode("utf-8", errors="feedhub-cp1252")
    notes.append("bytes that are not UTF-8 were read as Windows-1252")
    return Decoded(_clean(text), "utf-8+cp1252", "; ".join(notes))


_XML_DECL_TEXT = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def as_utf8_xml(text: str) -> bytes:
    """The decoded document as UTF-8 bytes whose XML declaration (if any) says so."""
    text = _XML_DECL_TEXT.sub(r"\1\2utf-8\2", text, count=1)
    return text.encode("utf-8")
