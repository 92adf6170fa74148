"""Script injection never reaches feeds, pages or embeds as live code (issue 7, item 5).

Inputs are data files: data/injection/hostile.rss (one item per trick, its guid names it) and
data/injection/hostile.html (a listing page). They are built through the whole pipeline and
every file feedhub publishes is parsed back and checked:

| trick                                              | what feedhub does                        |
| -------------------------------------------------- | ---------------------------------------- |
| <script>, <style> in summary/content               | element and its text dropped (nh3)       |
| on* attributes (onerror, onload, onclick...)       | dropped: not in the attribute allowlist  |
| javascript:, JaVaScRiPt:, with &#x09;/&#x0A;/&#106; | URL attribute removed; link field ""     |
| vbscript:, data:text/html, data:image/svg+xml      | same: only http(s) (and mailto: in href) |
| <svg onload>, <math> mXSS, <noscript> mXSS          | not allowlisted: dropped (text only)     |
| <form>, <input>, <button formaction>, <iframe>      | dropped                                  |
| style="expression(...)", url(javascript:)          | style attributes never allowed           |
| <object>, <embed>, <base>, <meta refresh>, <link>  | dropped                                  |
| markup in title, author, label                     | plain text: tags and script text removed |
| javascript:/vbscript:/data: in link, image, enclosure | field emptied / enclosure dropped     |
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import lxml.etree as etree
import lxml.html
import pytest

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.normalise import safe_url, sanitise_html
from feedhub.pipeline import build
from feedhub.store import open_store

DATA = Path(__file__).parent / "data" / "injection"
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)

DANGEROUS_ELEMENTS = {"script", "style", "iframe", "frame", "form", "input", "button", "object",
                      "embed", "svg", "math", "base", "meta", "link", "noscript", "textarea",
                      "select"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "cite", "data", "poster",
                  "background", "xlink:href"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript|mocha):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")

SOURCES = """\
site:
  title: Injection test
  base_url: https://hub.example.org
categories:
  - slug: news
    labels: [Press]
sources:
  - id: hostile-feed
    kind: feed
    path: hostile.rss
    base_url: https://evil.example.org/
    category: news
  - id: hostile-page
    kind: html
    path: hostile.html
    base_url: https://list.example.org/
    category: news
    selectors:
      item: li.item
      title: a
      link: a@href
      summary: .s@html
      image: img.pic@src
store: sqlite:///feedhub.db
output: feeds
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Config:
    folder = tmp_path_factory.mktemp("injection")
    for name in ("hostile.rss", "hostile.html"):
        shutil.copy(DATA / name, folder / name)
    (folder / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    config = load_config(folder / "sources.yaml")
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    return config


def url_is_dangerous(value: str) -> bool:
    import html

    return bool(BAD_SCHEME.match(_INVISIBLE.sub("", html.unescape(value))))


def assert_inert_html(markup: str, where: str) -> None:
    """Parsed as a browser would, the markup holds no element, attribute or URL that runs."""
    if not markup.strip():
        return
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in DANGEROUS_ELEMENTS, (where, element.tag, markup)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, name, markup)
            assert name.lower() != "style", (where, markup)
            if name.lower() in URL_ATTRIBUTES:
                assert not url_is_dangerous(value), (where, name, value)
        if element.tag == "img":
            assert element.get("loading") == "lazy", (where, markup)
            assert element.get("referrerpolicy") == "no-referrer", (where, markup)
            assert element.get("src", "").startswith(("http://", "https://")), (where, markup)
        if element.tag == "a" and element.get("href"):
            assert element.get("href", "").startswith(("http://", "https://", "mailto:")), (
                where, markup)


def assert_plain(text: str, where: str) -> None:
    assert "<" not in text and ">" not in text, (where, text)
    assert "alert(" not in text, (where, text)


def published_files(config: Config) -> Iterator[Path]:
    for path in sorted(config.output_dir.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".gz":
            yield path


HTML_PAYLOADS = {"summary", "content", "description", "encoded", "content_html"}
PLAIN_FIELDS = {"title", "name", "author", "category"}


def check_xml(path: Path) -> int:
    root = etree.fromstring(path.read_bytes(),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    checked = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        for name, value in element.attrib.items():
            assert not etree.QName(name).localname.lower().startswith("on"), (path, name)
            if etree.QName(name).localname in {"href", "url", "src", "term", "label"}:
                assert not url_is_dangerous(value), (path, name, value)
                if etree.QName(name).localname in {"term", "label"}:
                    assert_plain(value, f"{path.name} {local}@{name}")
        text = element.text or ""
        if local in HTML_PAYLOADS:
            assert_inert_html(text, f"{path.name} <{local}>")
            checked += 1
        elif local in PLAIN_FIELDS and len(element) == 0:
            assert_plain(text, f"{path.name} <{local}>")
            checked += 1
        elif local in {"link", "guid", "id", "uri", "url"}:
            assert not url_is_dangerous(text.strip()), (path, local, text)
    return checked


def check_json(path: Path) -> int:
    feed = json.loads(path.read_text(encoding="utf-8"))
    checked = 0
    for item in feed.get("items", []):
        for key in ("content_html", "summary"):
            if key in item:
                assert_inert_html(item[key], f"{path.name} {key}")
                checked += 1
        assert_plain(item.get("title", ""), f"{path.name} title")
        for author in item.get("authors", []):
            assert_plain(author.get("name", ""), f"{path.name} author")
        for key in ("url", "external_url", "image", "banner_image"):
            assert not url_is_dangerous(item.get(key, "")), (path, key, item.get(key))
        for attachment in item.get("attachments", []):
            assert not url_is_dangerous(attachment.get("url", "")), (path, attachment)
        checked += 1
    return checked


def check_page(path: Path) -> int:
    document = lxml.html.document_fromstring(path.read_bytes())
    checked = 0
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in {"iframe", "form", "object", "embed", "svg", "math"}, (
            path, element.tag)
        assert element.tag != "base" or "href" not in element.attrib, path
        if element.tag == "script":
            # feedhub's own scripts only: none carries a payload from a source.
            assert "alert(" not in (element.text or ""), path
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (path, name, value)
            own_blank_icon = element.tag == "link" and value == "data:,"  # feedhub's own
            if name.lower() in URL_ATTRIBUTES and not own_blank_icon:
                assert not url_is_dangerous(value), (path, name, value)
        checked += 1
    # Script text from a source never appears anywhere, even as inert text: plain fields drop
    # <script> contents, and HTML fields drop the element with its contents.
    assert "alert(" not in lxml.html.tostring(document, encoding="unicode"), path
    return checked


def check_embed(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    assert "alert(" not in text, path
    assert not re.search(r"</script", text.split("(function", 1)[-1], re.IGNORECASE), path
    for url in re.findall(r'"(?:url|link|image)":\s*"([^"]*)"', text):
        assert not url_is_dangerous(url), (path, url)
    return 1


def test_every_published_file_is_inert(hostile: Config) -> None:
    counts: dict[str, int] = {}
    for path in published_files(hostile):
        suffix = path.suffix
        if suffix in {".rss", ".atom", ".opml"}:
            counts[suffix] = counts.get(suffix, 0) + check_xml(path)
        elif suffix == ".json":
            counts[suffix] = counts.get(suffix, 0) + check_json(path)
        elif suffix == ".html":
            counts[suffix] = counts.get(suffix, 0) + check_page(path)
        elif suffix == ".js":
            counts[suffix] = counts.get(suffix, 0) + check_embed(path)
    # The checks really looked at item fields in every format feedhub publishes.
    assert counts.get(".rss", 0) >= 10 and counts.get(".atom", 0) >= 10, counts
    assert counts.get(".json", 0) >= 5 and counts.get(".html", 0) > 0, counts
    feeds = b"".join(p.read_bytes() for p in hostile.output_dir.glob("*.*"))
    for payload in (b"alert(", b"msgbox(", b"javascript:", b"vbscript:", b"data:text/html"):
        assert payload not in feeds.lower(), payload


def test_stored_items_are_clean_and_kept(hostile: Config) -> None:
    with open_store(hostile.store, hostile.root) as store:
        items = {i.title: i for i in store.items_for("all", 100)}
    # Nothing was lost: every item with a usable identity is there, cleaned.
    assert set(items) == {
        "Budget news & more", "Plain script-scheme link", "Encoded script-scheme links",
        "vbscript and data URLs", "Forms, frames and CSS", "A fine story"}
    budget = items["Budget news & more"]
    assert budget.author == "Mallory" and budget.labels == ("Press",)
    assert budget.categories == ("news",)
    assert items["Plain script-scheme link"].link == ""
    assert items["Encoded script-scheme links"].link == ""
    data = items["vbscript and data URLs"]
    assert data.image == "" and data.enclosures == ()
    forms = items["Forms, frames and CSS"]
    assert '<a href="https://evil.example.org/relative"' in forms.content  # made absolute
    assert "srcset" not in forms.content
    story = items["A fine story"]
    assert story.link == "https://list.example.org/ok/story" and story.image == ""
    assert '<a href="https://list.example.org/rel"' in story.summary
    for item in items.values():
        assert_plain(item.title, "title")
        assert_inert_html(item.summary, f"{item.title} summary")
        assert_inert_html(item.content, f"{item.title} content")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)",
    "java\tscript:alert(1)", "java&#x09;script:alert(1)", "java&#9;script:alert(1)",
    "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)", "jav&#x0A;ascript:alert(1)",
    "\x01javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>",
    "data:image/svg+xml;base64,PHN2Zz4=", "file:///etc/passwd", "//", "http://",
])
def test_safe_url_refuses_every_non_http_scheme(url: str) -> None:
    assert safe_url(url) == ""
    assert safe_url(url, "https://base.example.org/") in {"", "https://base.example.org/"} or \
        safe_url(url, "https://base.example.org/").startswith("https://base.example.org/")


def test_sanitiser_output_is_stable() -> None:
    for name in ("hostile.rss", "hostile.html"):
        raw = (DATA / name).read_text(encoding="utf-8")
        once = sanitise_html(raw, "https://x.example.org/")
        assert sanitise_html(once, "https://x.example.org/") == once
        assert_inert_html(once, name)
