"""The commands that edit sources.yaml from what a source's pages show: ``add`` (a URL -> a
new, commented source entry) and ``fix`` (a listing source's selectors, re-detected after its
page changed). Each fetches, proposes, shows the edit and writes it only once it is a valid
config and the user agreed (:func:`edit_config`); they store nothing.

Must not: build or publish, or write anything but sources.yaml.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import click

from ..add import (
    draft,
    existing_source,
    inspect_url,
    matching_category,
    preview_target,
    rendered_advice,
    suggest_id,
)
from ..categories import CategoryMap
from ..config import append_source, parse_config, replace_selectors
from ..drift import watched
from ..errors import ConfigError, FeedhubError, SourceError
from ..fetch import fetch
from ..model import Source, SourceKind
from ..preview import preview_source, render
from ..render import Renderer
from ..store import open_store
from .base import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_SOURCE_FAILED,
    config_option,
    fail,
    load,
    main,
    say,
)
from .sources import RENDER_OPTION, write_atomically


@main.command("add")
@config_option
@click.argument("url")
@click.option("--id", "source_id", default="", help="The new source's id (default: from the URL).")
@click.option("--category", default="", help="Category slug for items whose label maps to none.")
@click.option("--feed", "feed_choice", type=click.IntRange(0), default=None,
              help="Which advertised feed to use (1 = first; 0 = read the page itself).")
@click.option("-y", "--yes", is_flag=True,
              help="Append without asking: the first feed, if any, and (without --category) "
                   "the first category the items' labels land in, else the first category.")
@click.option("--allow-private", is_flag=True,
              help="Let the source reach a private address (an intranet page); it is written "
                   "into the entry.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1),
              help="Preview rows to print.")
@RENDER_OPTION
def add_command(config_path: Path, url: str, source_id: str, category: str,
                feed_choice: int | None, yes: bool, allow_private: bool, limit: int,
                render_mode: str | None) -> None:
    """Add a source from a URL: use the feeds it advertises, or draft selectors for the page.

    Fetches the page. If it advertises feeds (<link rel="alternate">), offers them; otherwise
    finds the listing's items and drafts selectors. Shows a preview of the items, then appends
    a commented entry to the end of the sources list, keeping the file's comments and order.
    Nothing is written if the config would not pass `feedhub check`, or if a source reads
    that URL already (unless --id is given). Exit code 1 if the URL cannot be read or holds
    no items.

    \b
    Example:
      feedhub add https://www.example.org/news
      feedhub add https://www.example.org/news --yes --category news
      feedhub add https://www.example.org/news --render browser
    """
    if not url.startswith(("http://", "https://")):
        fail(f"{url!r} is not an http(s) URL", EXIT_CONFIG)
    if not config_path.exists():
        fail(f"{config_path} does not exist", EXIT_CONFIG,
             hint="Run `feedhub init` first, then `feedhub add` again.")
    render_mode = render_mode or "static"
    config = load(config_path)
    root = config.root
    if not source_id:
        already(config.sources, url)
    try:
        found = inspect_url(url, root, allow_private=allow_private)
    except SourceError as exc:
        private = "allow_private" in exc.message and not allow_private
        fail(f"cannot read {url}: {exc.message}", EXIT_SOURCE_FAILED,
             hint="If it is an intranet page you trust, pass --allow-private (it writes "
                  "allow_private: true into the entry)." if private else "")
    target, kind = found.url, SourceKind.FEED if found.is_feed else SourceKind.HTML
    title = found.page_title
    if found.feeds:
        say(f"{found.url} advertises {len(found.feeds)} feed(s):")
        for number, feed in enumerate(found.feeds, 1):
            say(f"  {number}) {feed.title or '(untitled)'} [{feed.type}] {feed.url}")
        say("  0) none: read the page itself with selectors")
        choice = feed_choice
        if choice is None:
            choice = 1 if yes else click.prompt("Use which?", default=1,
                                                type=click.IntRange(0, len(found.feeds)))
        if choice > len(found.feeds):
            fail(f"--feed {choice}: the page advertises {len(found.feeds)} feed(s)", EXIT_CONFIG)
        if choice:
            target, kind = found.feeds[choice - 1].url, SourceKind.FEED
            title = found.feeds[choice - 1].title or found.page_title
    elif not found.is_feed:
        say(f"{found.url} advertises no feed: looking for its list of items.")
    if not source_id:
        already(config.sources, found.url, target)
    taken = [s.id for s in config.sources]
    if source_id and source_id in taken:
        fail(f"a source {source_id!r} exists already; choose another --id", EXIT_CONFIG)
    sid = source_id or suggest_id(target if kind is SourceKind.FEED else found.url, taken)
    with Renderer(config.fetch.limits) as renderer:
        preview = preview_target(target, kind, root, source_id=sid, allow_private=allow_private,
                                 categories=config.categories, category=category,
                                 render=render_mode,
                                 fetcher=renderer.fetcher(partial(
                                     fetch, limits=config.fetch.limits)))
    say(render(preview, limit))
    if preview.error or not preview.rows:
        advice = ""
        if kind is SourceKind.HTML and render_mode == "static":
            advice = rendered_advice(target, root, config.fetch.limits, source_id=sid,
                                     allow_private=allow_private)
        fail(f"no items found at {target}", EXIT_SOURCE_FAILED,
             hint="Nothing was added. " + (advice or "Try another page (the news listing "
                                                     "itself), or write the source's "
                                                     "selectors by hand."))
    if yes and not category:
        category = matching_category(preview, config.categories)
    entry = draft(sid, target, kind, preview, page_url=url, title=title, category=category,
                  categories=[c.slug for c in config.categories], allow_private=allow_private,
                  now=datetime.now(UTC), render=render_mode)
    text = config_path.read_text(encoding="utf-8")
    edit_config(config_path, lambda: append_source(text, entry), yes=yes,
                change="the new entry",
                shown="\nThe new source:\n" + "\n".join(f"  {line}" for line in entry),
                question=f"Append it to {config_path}?",
                done=f"Added source {sid!r} to {config_path}. Next: `feedhub preview {sid}`, "
                     "then `feedhub build`.")


@main.command("fix")
@config_option
@click.argument("source_id")
@click.option("-y", "--yes", is_flag=True, help="Write the proposed selectors without asking.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1),
              help="Preview rows to print.")
def fix_command(config_path: Path, source_id: str, yes: bool, limit: int) -> None:
    """Replace a drifting source's selectors with the ones automatic detection proposed.

    When a build finds that a listing source's selectors yield nothing or far less than
    before (its site changed its markup), it records the selectors automatic detection
    chooses on the same page (`feedhub status` shows them). This fetches the page again,
    previews the items those selectors give, and writes them in place of the source's
    selectors: block, keeping every other byte of sources.yaml. Nothing is written if no
    drift is recorded, if the proposed selectors find no items now, or if the config would
    not pass `feedhub check`. Exit code 1 if the page cannot be read or holds no items.

    \b
    Example:
      feedhub status
      feedhub fix ilo-newsroom
      feedhub fix ilo-newsroom --yes && feedhub build
    """
    config = load(config_path)
    source = config.source(source_id)
    if source is None:
        fail(f"no source {source_id!r} in {config_path}", EXIT_CONFIG,
             hint="Sources: " + ", ".join(s.id for s in config.sources))
    if not watched(source):
        fail(f"source {source_id!r} has no selectors to fix", EXIT_CONFIG,
             hint="Only a listing page read with selectors (kind: html) drifts.")
    try:
        with open_store(config.store, config.root) as store:
            drift = store.source_yield(source_id)[1]
    except FeedhubError as exc:
        fail(str(exc), EXIT_FAILED)
    if drift is None:
        say(f"No drift recorded for {source_id!r}: its last read was as good as the one before."
            " Nothing was written.")
        return
    say(f"{source_id}: drift since {drift.at:%Y-%m-%d %H:%M UTC}: {drift.reason}."
        if drift.at else f"{source_id}: drift: {drift.reason}.")
    if drift.proposed is None:
        fail("automatic detection found no listing on the page to propose selectors from",
             EXIT_SOURCE_FAILED, hint=f"Run `feedhub preview {source_id}` and write the "
                                      "selectors by hand. Nothing was written.")
    proposed = drift.proposed
    preview = preview_source(replace(source, selectors=proposed), config.root,
                             categories=CategoryMap.from_categories(config.categories))
    say(render(preview, limit))
    if preview.error or not preview.rows:
        fail(f"the proposed selectors find no items at {source.location} now",
             EXIT_SOURCE_FAILED, hint="Nothing was written. Run `feedhub build` to propose "
                                      "again, or write the selectors by hand.")
    rules = {name: rule for name, rule in asdict(proposed).items() if rule}
    text = config_path.read_text(encoding="utf-8")
    edit_config(config_path, lambda: replace_selectors(text, source_id, rules), yes=yes,
                change="the new selectors",
                shown="\nThe proposed selectors:\n" + "\n".join(
                    f"  {name}: {rule}" for name, rule in rules.items()),
                question=f"Write them into {config_path}?",
                done=f"Wrote the selectors of {source_id!r} into {config_path}. "
                     "Next: `feedhub build`.")


def edit_config(config_path: Path, edited: Callable[[], str], *, yes: bool, change: str,
                shown: str, question: str, done: str) -> None:
    """Write an edit of sources.yaml (``add``, ``fix``): the edited text must be a valid
    config, is shown, confirmed (unless ``yes``) and written atomically; otherwise nothing is
    written, and the user is told so."""
    try:
        new_text = edited()
        parse_config(new_text, config_path)
    except ConfigError as exc:
        fail(f"{change} would make {config_path} invalid: {exc}", EXIT_CONFIG,
             hint="Nothing was written.")
    say(shown)
    if not yes and not click.confirm(question, default=True):
        say("Nothing was written.")
        return
    try:
        write_atomically(config_path, new_text)
    except OSError as exc:
        fail(f"cannot write {config_path}: {exc}", EXIT_FAILED)
    say(done)


def already(sources: Sequence[Source], *urls: str) -> None:
    """Say so and exit 0 when a source reads one of ``urls`` already (``add`` is idempotent;
    --id adds a second source anyway)."""
    existing = existing_source(sources, *urls)
    if existing is not None:
        say(f"{existing.location} is already in the config as source {existing.id!r}; nothing "
            "was added (pass --id NEW_ID to add it a second time).")
        sys.exit(0)
