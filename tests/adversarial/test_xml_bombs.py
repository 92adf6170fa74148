"""Hostile XML is refused before it costs memory; harmless entities still work.

Inputs are tests/adversarial/data/*.xml. ``{ORIGIN}`` in a file is replaced by a real local HTTP
server's origin, which records any request: a fetched entity or DTD would show up there.

| case                         | outcome                                                     |
| ---------------------------- | ----------------------------------------------------------- |
| billion-laughs.xml           | refused: entity expands past 10 000 chars; < 2 MB traced    |
| billion-laughs-multiline.xml | refused the same way                                        |
| quadratic-blowup.xml         | refused: references expand past 1 000 000 chars; < 2 MB     |
| recursive-entity.xml         | refused: entity refers to itself                            |
| xxe-file.xml                 | refused: external entity; /etc/passwd never read            |
| xxe-http.xml                 | refused: external entity; the server sees no request        |
| parameter-entity.xml         | refused: parameter entity; the server sees no request       |
| stray-entity.xml             | refused: entity outside the DOCTYPE (loose-parser path)     |
| deep-nesting.xml             | refused: nested more than 256 deep                          |
| external-dtd.xml             | parsed (1 entry); the DTD is never requested                |
| internal-entities-ok.xml     | parsed; &org; &copy; and a nested &full; expand correctly   |
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.errors import ExtractError
from feedhub.extract import extract
from feedhub.model import FetchResult, RawEntry, Source, SourceKind

from ..support.httpd import LocalServer

DATA = Path(__file__).parent / "data"

REFUSED = {
    "billion-laughs.xml": "expands to more than 10000 characters",
    "billion-laughs-multiline.xml": "expands to more than 10000 characters",
    "quadratic-blowup.xml": "expand to more than 1000000 characters",
    "recursive-entity.xml": "refers to itself",
    "xxe-file.xml": "never fetches or reads external entities",
    "xxe-http.xml": "never fetches or reads external entities",
    "parameter-entity.xml": "parameter entity",
    "stray-entity.xml": "entity outside its DOCTYPE",
    "deep-nesting.xml": "nested more than 256 deep",
}


def run(name: str, origin: str = "http://127.0.0.1:9") -> list[RawEntry]:
    body = (DATA / name).read_bytes().replace(b"{ORIGIN}", origin.encode())
    source = Source(id=f"hostile-{name}", kind=SourceKind.FEED, location=origin + "/feed")
    return extract(source, FetchResult(url=origin + "/feed", body=body))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_before_expansion(name: str, httpd: LocalServer) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ExtractError) as caught:
            run(name, httpd.url("").rstrip("/"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert REFUSED[name] in message
    assert f"hostile-{name}" in message  # the error names the source
    assert peak < 2_000_000, f"{peak} bytes traced while refusing {name}"
    assert httpd.requests == []


def test_external_dtd_reference_is_never_loaded(httpd: LocalServer) -> None:
    entries = run("external-dtd.xml", httpd.url("").rstrip("/"))
    assert [e.title for e in entries] == ["Harmless title"]
    assert httpd.requests == []


def test_harmless_internal_entities_still_expand() -> None:
    entries = run("internal-entities-ok.xml")
    assert entries[0].title == "Example Org report"
    assert entries[0].summary == "Example Org © 2024"


def test_every_data_file_has_a_case() -> None:
    names = {p.name for p in DATA.glob("*.xml") if not p.name.startswith("enc-")}
    assert names == set(REFUSED) | {"external-dtd.xml", "internal-entities-ok.xml"}


def _deepest_the_old_way(text: str) -> int:
    """How deep elements nest, as the guard counted it before it used findall (the
    reference the faster scan must agree with)."""
    import re

    tags = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<(/?)[A-Za-z_][^>]*?(/?)>",
                      re.DOTALL)
    depth = deepest = 0
    for match in tags.finditer(text):
        closing, empty = match.groups()
        if closing is None or empty:
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


tag_soup = st.lists(st.sampled_from([
    "<a>", "</a>", "<b x='1'>", "<a/>", "<a />", "</a/>", "<_>", "</_ >", "<!--", "-->",
    "<![CDATA[", "]]>", "<?pi", "?>", "<", ">", "/", "/>", "a", " ", "<a x=\"<!--\"/>",
    "<a x='/'>", "<1>", "</>", "\n",
]), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(tag_soup)
def test_depth_scan_counts_nesting_as_before(text: str) -> None:
    from unittest import mock

    from feedhub.extract import xmlguard

    deepest = _deepest_the_old_way(text)
    for limit in (deepest - 1, deepest):
        with mock.patch.object(xmlguard, "MAX_DEPTH", max(limit, 0)):
            refused = deepest > max(limit, 0) and text.count("<") > max(limit, 0)
            if refused:
                with pytest.raises(xmlguard.XmlRefused):
                    xmlguard._check_depth(text, 0)
            else:
                xmlguard._check_depth(text, 0)
