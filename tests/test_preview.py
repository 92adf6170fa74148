"""`feedhub preview`: one source fetched over real HTTP, shown as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feedhub.cli import main

from .support.httpd import LocalServer

LISTINGS = Path(__file__).parent / "data" / "listings"

ODD_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "t",
    "items": [
        {"id": "1", "title": "Fine", "url": "https://x.example/fine",
         "date_published": "2024-03-12T14:00:00+01:00"},
        {"id": "2", "title": "", "url": "/relative/story", "date_published": "soon"},
        {"id": "3", "title": "Undated", "url": "https://x.example/undated"},
    ]}).encode()


def test_preview_of_a_page_without_selectors(httpd: LocalServer, tmp_path: Path) -> None:
    page = (LISTINGS / "cards-time.html").read_bytes()
    httpd.route("/news/", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    runner = CliRunner()
    config = str(tmp_path / "none.yaml")
    result = runner.invoke(main, ["preview", "-c", config, httpd.url("/news/"), "--json",
                                       "--allow-private"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "html" and data["strategy"] == "blocks" and data["confident"]
    assert data["selectors"]["item"] == "div.grid > div.card"
    assert data["rows"][0]["title"] == "Clean water reaches 40 villages in the north"
    assert data["rows"][0]["date"] == "2024-03-12T08:00:00+00:00"
    text = runner.invoke(main, ["preview", "-c", config, httpd.url("/news/"),
                                "--allow-private"]).output
    assert "selectors chosen" in text and "item: div.grid > div.card" in text
    assert "2024-03-12 08:00  Press release" in text


def test_preview_of_a_feed_warns_row_by_row(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/feed", body=ODD_FEED, headers={"Content-Type": "application/feed+json"})
    result = CliRunner().invoke(main, ["preview", "-c", str(tmp_path / "x.yaml"),
                                       httpd.url("/feed"), "--json", "--allow-private"])
    data = json.loads(result.output)
    assert data["kind"] == "feed" and data["strategy"] == "feed"
    warnings = [r["warnings"] for r in data["rows"]]
    assert warnings[0] == []
    assert "empty title" in warnings[1]
    assert any(w.startswith("unparsed date 'soon'") for w in warnings[1])
    assert "relative link left: set base_url" in warnings[1]
    assert warnings[2] == ["no date: it will be dated when first seen"]
    assert data["warnings"] == 4
    assert data["rows"][0]["date"] == "2024-03-12T13:00:00+00:00"


def test_preview_by_source_id(project: Path) -> None:
    result = CliRunner().invoke(main, ["preview", "-c", str(project), "ilo-newsroom",
                                       "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "10 item(s) via selectors" in result.output
    assert "Partnership for improving prospects" in result.output
    assert "... and 7 more (--limit)" in result.output


def test_preview_of_a_broken_source_exits_1(httpd: LocalServer, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["preview", "-c", str(tmp_path / "x.yaml"),
                                       httpd.url("/missing"), "--allow-private"])
    assert result.exit_code == 1
    assert "error:" in result.output and "404" in result.output


def test_preview_of_an_unknown_source_id(project: Path) -> None:
    result = CliRunner().invoke(main, ["preview", "-c", str(project), "nope"])
    assert result.exit_code == 2
    assert "ilo-newsroom" in result.output


def test_preview_refuses_private_addresses_by_default(httpd: LocalServer, tmp_path: Path) -> None:
    httpd.route("/news/", body=b"<html></html>")
    result = CliRunner().invoke(main, ["preview", "-c", str(tmp_path / "x.yaml"),
                                       httpd.url("/news/")])
    assert result.exit_code == 1 and "allow_private" in result.output
    assert httpd.requests == []
