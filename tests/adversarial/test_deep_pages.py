"""Deeply nested listing pages are refused before lexbor spends minutes on them.

lexbor's parse time grows with nesting depth squared (20 000 levels: ~2 s), so a page that
nests elements more than 4 000 deep is a per-source error; real pages nest under 100.

| case                   | outcome                                                         |
| ---------------------- | --------------------------------------------------------------- |
| deep-page.html         | 5 000 nested <div>s: refused, with or without selectors, preview |
| nested-page-ok.html    | 300 levels and 5 000 unclosed <p>s (not nesting): read normally |
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedhub.errors import ExtractError
from feedhub.extract import extract
from feedhub.model import FetchResult, Selectors, Source, SourceKind

DATA = Path(__file__).parent / "data"


def source(selectors: Selectors | None) -> Source:
    return Source(id="deep-source", kind=SourceKind.HTML, location="https://x.example/",
                  selectors=selectors)


@pytest.mark.parametrize("selectors", [None, Selectors(item="li")], ids=["auto", "selectors"])
def test_a_deep_page_is_refused(selectors: Selectors | None) -> None:
    body = (DATA / "deep-page.html").read_bytes()
    with pytest.raises(ExtractError, match="more than 4000 deep") as caught:
        extract(source(selectors), FetchResult(url="https://x.example/", body=body))
    assert caught.value.source_id == "deep-source"


def test_nesting_that_is_not_deep_is_read() -> None:
    body = (DATA / "nested-page-ok.html").read_bytes()
    entries = extract(source(None), FetchResult(url="https://x.example/", body=body))
    assert [e.link for e in entries] == ["https://x.example/a", "https://x.example/b"]
