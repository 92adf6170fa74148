"""Listing pages in French, German and Spanish read with no selectors and no ``locale``.

Each case is tests/data/pages/<name>.html beside <name>.expect.json: the language its dates
must be read in and why, the label rule detection must find, and every item's title, date,
label and category. The pages are built through a real `feedhub build` of local ``path:``
sources into categories whose labels match, and the published JSON feeds are checked.
vi-unparsable.html holds dates in a language feedhub does not read: the build, `status` and
`preview` must say so instead of dating its items silently by the time of the build.
Adding a case adds two files, not code.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedhub.cli import main
from feedhub.config import load_config
from feedhub.extract.auto import detect
from feedhub.extract.html import parse_page
from feedhub.model import FetchResult

from .support.httpd import LocalServer

PAGES = Path(__file__).parent / "data" / "pages"
CASES = sorted(PAGES.glob("*.expect.json"))
HTML = {"Content-Type": "text/html; charset=utf-8"}
UNPARSABLE = "vi-unparsable"

CONFIG_HEAD = """\
site:
  title: Presse locale
  base_url: http://127.0.0.1:8000
categories:
  - slug: politics
    title: Politics
    labels: [Politique, Politik, Política]
  - slug: sport
    title: Sport
    labels: [Deportes]
  - slug: culture
    title: Culture
    labels: [Kultur, Cultura]
  - slug: other
    title: Other
sources:
"""


def expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def name_of(path: Path) -> str:
    return path.name.removesuffix(".expect.json")


def write_project(folder: Path, names: list[str]) -> Path:
    """A sources.yaml with one `path:` source per page, no selectors and no locale."""
    (folder / "pages").mkdir()
    lines = [CONFIG_HEAD]
    for name in names:
        shutil.copy(PAGES / f"{name}.html", folder / "pages" / f"{name}.html")
        lines.append(f"  - id: {name}\n    kind: html\n    path: pages/{name}.html\n"
                     f"    base_url: https://{name}.example/liste/\n    category: other\n")
    config = folder / "sources.yaml"
    config.write_text("".join(lines), "utf-8")
    return config


@dataclass(frozen=True)
class Built:
    config: Path
    output: str
    """What `feedhub build` printed."""
    feeds: dict[str, list[dict[str, Any]]]
    """Published JSON feed items per category slug (and `all`)."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    config = write_project(tmp_path_factory.mktemp("locales"),
                           [name_of(p) for p in CASES] + [UNPARSABLE])
    result = CliRunner().invoke(main, ["build", "-c", str(config)])
    out = load_config(config).output_dir
    feeds = {slug: json.loads((out / f"{slug}.json").read_text("utf-8"))["items"]
             for slug in ("all", "politics", "sport", "culture", "other")}
    return Built(config, result.output, feeds)


def test_cases_cover_three_languages_in_two_markups() -> None:
    by_language: dict[str, int] = {}
    for path in CASES:
        language = expected(path)["locale"]
        by_language[language] = by_language.get(language, 0) + 1
    assert {lang: n >= 2 for lang, n in by_language.items()} == \
        {"fr": True, "de": True, "es": True}


@pytest.mark.parametrize("path", CASES, ids=name_of)
def test_detection_reads_the_page_in_its_language(path: Path) -> None:
    want = expected(path)
    page = parse_page(FetchResult(url="https://x.example/", body=path.with_name(
        f"{name_of(path)}.html").read_bytes()))
    entries, report = detect(page, "https://x.example/")
    assert report.locale.locale == want["locale"]
    assert report.locale.why.startswith(want["why"]), report.locale.why
    assert report.selectors is not None and report.selectors.label == want["label"]
    assert report.confident, report
    got = [(e.title, e.published.date().isoformat() if e.published else None, e.labels)
           for e in entries]
    assert got == [(i["title"], i["date"], (i["label"],)) for i in want["items"]]


@pytest.mark.parametrize("path", CASES, ids=name_of)
def test_build_publishes_every_title_date_and_category(built: Built, path: Path) -> None:
    want = expected(path)
    items = {i["title"]: i for i in built.feeds["all"]
             if i["url"].startswith(f"https://{name_of(path)}.example/")}
    assert set(items) == {i["title"] for i in want["items"]}
    for item in want["items"]:
        published = items[item["title"]]
        assert published["date_published"].startswith(item["date"] + "T00:00:00"), published
        assert item["label"] in published["tags"]
        in_category = {i["title"] for i in built.feeds[item["category"]]}
        assert item["title"] in in_category, (item["category"], item["title"])
        assert item["title"] not in {i["title"] for i in built.feeds["other"]}


def test_build_summary_is_quiet_for_pages_it_read(built: Built) -> None:
    lines = built.output.splitlines()
    for path in CASES:
        row = next(i for i, line in enumerate(lines) if line.startswith(name_of(path) + " "))
        assert lines[row].rstrip().endswith("ok"), lines[row]
        follow = lines[row + 1] if row + 1 < len(lines) else ""
        assert not follow.startswith(" "), (lines[row], follow)


def test_build_and_status_count_items_dated_when_first_seen(built: Built) -> None:
    text = built.output
    assert "dates that did not parse (first seen used): '27 tháng 10 năm 2021'" in text
    assert "4 item(s) dated when first seen: set date_format or locale" in text
    assert f"`feedhub preview {UNPARSABLE}` shows why" in text
    status = CliRunner().invoke(main, ["status", "-c", str(built.config)])
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(UNPARSABLE))
    assert "4 item(s) dated when first seen" in lines[row + 1]
    assert "dated when first seen" not in status.output.replace(lines[row + 1], "")


def test_preview_says_what_to_set_for_dates_that_do_not_parse(built: Built) -> None:
    result = CliRunner().invoke(main, ["preview", "-c", str(built.config), UNPARSABLE])
    assert result.exit_code == 0, result.output
    assert "4 of 4 date(s) did not parse, read as en (<html lang=\"vi\"> names no supported " \
        "language" in result.output
    assert "set `date_format`" in result.output and "`locale`" in result.output
    assert "unparsed date '27 tháng 10 năm 2021'" in result.output
    data = json.loads(CliRunner().invoke(
        main, ["preview", "-c", str(built.config), UNPARSABLE, "--json"]).output)
    assert data["date_rule"] == "p.ngay" and not data["confident"]


def test_preview_shows_language_rule_category_summary_and_image(built: Built) -> None:
    result = CliRunner().invoke(main, ["preview", "-c", str(built.config), "fr-articles"])
    text = result.output
    assert 'dates read as fr: fr from <html lang="fr">, date rule \'span.quand\'' in text
    assert "2021-10-27 00:00  Politique" in text
    assert "-> politics" in text and "-> sport" in text
    assert "Les élus ont voté dans la nuit un budget en hausse de …" in text
    assert "image: https://fr-articles.example/img/budget.jpg" in text
    assert "label 'span.rubrique' found by structure" in text
    data = json.loads(CliRunner().invoke(
        main, ["preview", "-c", str(built.config), "fr-articles", "--json"]).output)
    assert data["locale"] == "fr" and data["rows"][0]["categories"] == ["politics"]


# Dates whose month ("Mai") is French and German alike: only the page's declared language
# tells them apart. The page declares none; the server's Content-Language header does.
MAY_ITEMS = [("3. Mai 2021", "Neue Buslinie zwischen Bahnhof und Uni"),
             ("17. Mai 2021", "Freibad öffnet am Pfingstwochenende"),
             ("28. Mai 2021", "Stadtfest mit Konzerten auf dem Marktplatz")]
MAY_PAGE = ("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Meldungen</title>
</head><body><ul class="meldungen">"""
            + "".join(f'<li><span class="datum">{day}</span> <a href="/m/{n}">{title}</a></li>\n'
                      for n, (day, title) in enumerate(MAY_ITEMS))
            + "</ul></body></html>").encode()


def preview_url(httpd: LocalServer, path: str, tmp_path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["preview", "-c", str(tmp_path / "none.yaml"),
                                       httpd.url(path), "--json", "--allow-private"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_content_language_header_names_the_language(httpd: LocalServer, tmp_path: Path,
                                                    project: Path) -> None:
    httpd.route("/meldungen", MAY_PAGE, headers={**HTML, "Content-Language": "de-DE"})
    httpd.route("/ohne", MAY_PAGE, headers=HTML)
    data = preview_url(httpd, "/meldungen", tmp_path)
    assert data["locale"] == "de"
    assert data["locale_why"] == "de from the Content-Language header (de-DE)"
    assert [r["date"][:10] for r in data["rows"]] == ["2021-05-03", "2021-05-17", "2021-05-28"]
    assert preview_url(httpd, "/ohne", tmp_path)["locale"] == "fr"  # the tie goes elsewhere

    added = CliRunner().invoke(main, ["add", "-c", str(project), "--allow-private", "--yes",
                                      "--id", "meldungen", httpd.url("/meldungen")])
    assert added.exit_code == 0, added.output
    source = load_config(project).source("meldungen")
    assert source is not None and source.locale == "de"
    assert source.selectors is not None and source.selectors.date == "span.datum"
    assert "locale: de                  # de from the Content-Language header (de-DE)" \
        in project.read_text("utf-8")


def test_add_drafts_locale_and_a_date_format_to_fill_in(httpd: LocalServer,
                                                        project: Path) -> None:
    httpd.route("/tin", (PAGES / f"{UNPARSABLE}.html").read_bytes(), headers=HTML)
    httpd.route("/liste", (PAGES / "fr-table.html").read_bytes(), headers=HTML)
    added = CliRunner().invoke(main, ["add", "-c", str(project), "--allow-private", "--yes",
                                      "--id", "tin", httpd.url("/tin")])
    assert added.exit_code == 0, added.output
    assert ("# date_format: ...   # 4 date(s) like '27 tháng 10 năm 2021' did not parse"
            in project.read_text("utf-8"))
    added = CliRunner().invoke(main, ["add", "-c", str(project), "--allow-private", "--yes",
                                      "--id", "liste", httpd.url("/liste")])
    assert added.exit_code == 0, added.output
    source = load_config(project).source("liste")
    assert source is not None and source.locale == "fr"
    assert source.selectors is not None
    assert (source.selectors.date, source.selectors.label) == ("td.col-1", "small")


def test_selectors_without_locale_read_dates_in_the_language_they_name() -> None:
    """A source with hand-written selectors and no `locale`: the page declares no language;
    the words of its date texts name it."""
    from feedhub.extract import extract
    from feedhub.model import Selectors, Source, SourceKind

    source = Source(id="prefecture", kind=SourceKind.HTML, location="https://x.example/",
                    selectors=Selectors(item="tbody > tr", title="a", link="a@href",
                                        date="td.col-1", label="small"))
    body = (PAGES / "fr-table.html").read_bytes()
    entries = extract(source, FetchResult(url="https://x.example/", body=body))
    want = expected(PAGES / "fr-table.expect.json")["items"]
    assert [e.published.date().isoformat() if e.published else None for e in entries] == \
        [i["date"] for i in want]
