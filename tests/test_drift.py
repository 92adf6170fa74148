"""Drift: a listing page redesigned under its selectors is noticed at the next build, which
proposes the selectors automatic detection finds on the same page; `feedhub fix` writes them
in place (the rest of sources.yaml byte for byte) and the next build brings back the same
items, with the same ids. The pages are tests/data/drift/: before.html, and after.html with
the same stories in other markup and classes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from feedhub.cli import main
from feedhub.config import load_config, replace_selectors
from feedhub.drift import drift_reason
from feedhub.store import Yield, open_store

DATA = Path(__file__).resolve().parent / "data" / "drift"

CONFIG = """\
site: {title: Town, base_url: 'https://hub.example.org'}
categories:
  - {slug: news, title: News}
sources:
  - id: town
    kind: html
    path: page.html
    category: news
    # the listing's rules, written by hand
    selectors:
      item: li.news-item     # one per story
      title: a.headline
      link: a.headline@href
      date: span.when
    date_format: '%Y-%m-%d'
  - id: other
    kind: html
    path: page.html
    selectors: {item: li.news-item}
"""


def run(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [args[0], "-c", str(config), *args[1:]], input=input)


def stored(config: Path) -> dict[str, str]:
    """The town source's stored items: link -> id."""
    loaded = load_config(config)
    with open_store(loaded.store, loaded.root) as store:
        return {item.link: item.id for item in store.source_items("town")}


def test_redesign_is_drift_with_a_fix_that_brings_the_same_items_back(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    shutil.copy(DATA / "before.html", tmp_path / "page.html")
    first = run(config, "build")
    assert first.exit_code == 0, first.output
    assert "drift:" not in first.output
    before = stored(config)
    assert len(before) == 6

    shutil.copy(DATA / "after.html", tmp_path / "page.html")  # the site is redesigned
    second = run(config, "build", "--force", "--json")
    assert second.exit_code == 1, second.output
    drift = json.loads(second.stdout)["sources"]["town"]["drift"]
    assert drift["reason"] == "no items, where the last good read had 6"
    assert drift["proposed_items"] == 6 and drift["proposed_dated"] == 6
    assert drift["proposed"]["item"] and drift["proposed"]["date"]
    status = run(config, "status", "--json")
    town = next(s for s in json.loads(status.stdout)["sources"] if s["id"] == "town")
    assert town["drift"]["proposed"] == drift["proposed"]
    text_status = run(config, "status")
    assert "feedhub fix town" in text_status.output and "no items" in text_status.output

    refused = run(config, "fix", "town", input="n\n")
    assert refused.exit_code == 0, refused.output
    assert "Museum opens a wing" in refused.output  # the preview of the proposed items
    assert config.read_text(encoding="utf-8") == CONFIG

    fixed = run(config, "fix", "town", "--yes")
    assert fixed.exit_code == 0, fixed.output
    text = config.read_text(encoding="utf-8")
    head = CONFIG.index("      item: li.news-item")
    tail = CONFIG.index("\n    date_format:")
    assert text[:head] == CONFIG[:head] and text.endswith(CONFIG[tail:])
    assert load_config(config).source("town").selectors.item == drift["proposed"]["item"]

    third = run(config, "build", "--force")
    assert "fix town" not in third.output and "fix other" in third.output
    assert stored(config) == before
    status = run(config, "status", "--json")
    town = next(s for s in json.loads(status.stdout)["sources"] if s["id"] == "town")
    assert town["drift"] is None and town["failures"] == 0


def test_drift_thresholds() -> None:
    norm = Yield(items=10, dated=10, entries=10)
    assert drift_reason(Yield(), Yield()) == ""  # no norm yet
    assert drift_reason(norm, Yield(items=5, dated=5, entries=5)) == ""
    assert "under half" in drift_reason(norm, Yield(items=4, dated=4, entries=4))
    assert "no item has a date" in drift_reason(norm, Yield(items=10, dated=0, entries=10))
    assert "have a link" in drift_reason(norm, Yield(items=5, dated=5, entries=12))
    assert drift_reason(Yield(items=10, dated=0, entries=10),
                        Yield(items=9, dated=0, entries=9)) == ""


def test_replace_selectors_keeps_the_rest_and_rewrites_a_flow_mapping() -> None:
    new = replace_selectors(CONFIG, "other", {"item": "article", "link": "h2 a@href"})
    assert new == CONFIG.replace("    selectors: {item: li.news-item}\n",
                                 "    selectors:\n      item: article\n"
                                 "      link: h2 a@href\n")
