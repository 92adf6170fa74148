"""Any charset, declared right or wrong, comes out as valid UTF-8 text, or the repair is noted.

Inputs are tests/adversarial/data/enc-*.xml (feeds) and page-*.html (listing pages); the
expected title and the HTTP headers of each are in data/encodings.json.

| case                                 | outcome                                           |
| ------------------------------------ | ------------------------------------------------- |
| enc-latin1-declared-but-utf8.xml     | read as UTF-8 (valid UTF-8 beats a 1-byte label)  |
| enc-cp1252-declared-utf8.xml         | UTF-8 fails, bytes read as Windows-1252; noted    |
| enc-cp1252-correctly-declared.xml    | read as declared                                  |
| enc-utf16le-bom.xml / be-bom         | BOM decides                                       |
| enc-utf16le-no-bom.xml               | NUL pattern around '<' recognised as UTF-16 LE    |
| enc-utf16be-no-bom-undeclared.xml    | NUL pattern recognised as UTF-16 BE               |
| enc-mixed-utf8-cp1252.xml            | UTF-8 kept, each stray byte read as Windows-1252  |
| enc-header-wrong.xml                 | header says ISO-8859-1, bytes are UTF-8: UTF-8    |
| enc-header-unknown.xml               | unknown charset ignored, noted                    |
| enc-control-chars.xml                | C0 control characters dropped, feed still parses  |
| enc-utf16-declared-but-utf8.xml      | UTF-16 label without NULs ignored                 |
| enc-truncated-utf16.xml              | odd trailing byte replaced, rest kept             |
| enc-eucjp-undeclared.xml             | no label, not UTF-8: detected as EUC-JP, noted    |
| enc-koi8r-undeclared.xml             | no label, not UTF-8: detected as KOI8-R           |
| enc-cp1255-undeclared.xml            | no label, not UTF-8: detected as Windows-1255     |
| page-meta-cp1252.html                | <meta http-equiv> charset used                    |
| page-bom-utf8.html                   | BOM beats a contradicting <meta>                  |
| page-header-cp1252.html              | HTTP charset used                                 |
| page-no-charset-cp1252.html          | no label, not UTF-8: Windows-1252                 |
| page-utf16le-bom.html                | BOM decides                                       |

Every case also checks that every text field encodes to UTF-8 and holds no control character,
and the feed cases are built together into real RSS and Atom files that must parse as XML.
"""

from __future__ import annotations

import json
import re
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from feedhub.extract import extract
from feedhub.extract.encoding import decode
from feedhub.model import FetchResult, RawEntry, Selectors, Source, SourceKind

DATA = Path(__file__).parent / "data"
CASES: dict[str, dict[str, Any]] = json.loads((DATA / "encodings.json").read_text("utf-8"))
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strings(entry: RawEntry) -> list[str]:
    return [v for v in astuple(entry) if isinstance(v, str)]


def test_every_data_file_has_a_case() -> None:
    files = {p.name for p in DATA.iterdir() if p.name.startswith(("enc-", "page-"))}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_decoded_right(name: str) -> None:
    case = CASES[name]
    body = (DATA / name).read_bytes()
    if name.endswith(".html"):
        source = Source(id=name, kind=SourceKind.HTML, location="https://x.example/",
                        selectors=Selectors(item="li.n"))
    else:
        source = Source(id=name, kind=SourceKind.FEED, location="https://x.example/feed")
    entries = extract(source, FetchResult(url="https://x.example/", body=body,
                                          headers=case["headers"]))
    assert entries[0].title == case["title"]
    for entry in entries:
        for text in strings(entry):
            text.encode("utf-8")  # raises on a lone surrogate
            assert not CONTROL.search(text), (name, text)


def test_repairs_are_reported() -> None:
    body = (DATA / "enc-cp1252-declared-utf8.xml").read_bytes()
    decoded = decode(body, {})
    assert decoded.encoding == "utf-8+cp1252"
    assert "declared 'UTF-8' but the bytes are not valid utf-8" in decoded.note
    unknown = decode((DATA / "enc-header-unknown.xml").read_bytes(),
                     {"content-type": "text/xml; charset=x-klingon"})
    assert "unknown charset 'x-klingon' ignored" in unknown.note
    wrong = decode((DATA / "enc-header-wrong.xml").read_bytes(),
                   {"content-type": "text/xml; charset=iso-8859-1"})
    assert wrong.encoding == "utf-8" and "bytes are UTF-8" in wrong.note
    japanese = decode((DATA / "enc-eucjp-undeclared.xml").read_bytes(), {})
    assert japanese.encoding.startswith("euc_j") and "(detected)" in japanese.note
    # Western bytes with no label stay Windows-1252, never a guessed cousin such as cp1250
    for text in ("Café crème “quoted”", "Ça va? Très bien!",  # too short to detect (Big5?)
                 "Le préfet a annoncé que les écoles fermées rouvriront; les élèves déplacés "
                 "seront accueillis à la mairie, où des goûters sont prévus. À bientôt !"):
        western = decode(f"<rss><title>{text}</title></rss>".encode("cp1252"), {})
        assert western.encoding == "utf-8+cp1252" and text in western.text


def test_published_feeds_stay_well_formed_utf8(tmp_path: Path) -> None:
    """Every encoding case built into real feeds: each output file parses as XML."""
    import shutil
    import xml.etree.ElementTree as ET

    from feedhub.config import load_config
    from feedhub.pipeline import build

    lines = ["site: {title: Enc, base_url: 'https://feeds.example'}", "sources:"]
    for number, name in enumerate(sorted(n for n in CASES if n.endswith(".xml"))):
        shutil.copy(DATA / name, tmp_path / name)
        lines.append(f"  - {{id: s{number}, kind: feed, path: {name}}}")
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    config = load_config(tmp_path / "sources.yaml")
    report = build(config)
    assert report.ok, [s.error for s in report.sources]
    for ext in ("rss", "atom"):
        raw = (config.output_dir / f"all.{ext}").read_bytes()
        raw.decode("utf-8")
        root = ET.fromstring(raw)
        titles = [t.text for t in root.iter() if t.tag.endswith("title")]
        assert "Café “quoted” – 5 €" in titles  # nine sources, one story (same title)
        assert "Bad title" in titles and "Café résumé “ok” – “quoted”" in titles
