"""The commands about sources.yaml and its sources: ``init``, ``check``, ``schema``, ``add``,
``fix`` and ``preview``. None of them builds or stores anything (``fix`` reads the drift a
build recorded); only ``init``, ``add`` and ``fix`` write: sources.yaml, and for ``init`` the
example sources beside it (each file all at once, see :func:`write_atomically`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from importlib import resources
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
from ..config import append_source, json_schema, parse_config, replace_selectors
from ..drift import watched
from ..errors import ConfigError, FeedhubError, SourceError
from ..fetch import fetch
from ..model import RENDER_MODES, FetchLimits, Source, SourceKind
from ..preview import preview_source, render, to_json
from ..render import Renderer
from ..store import open_store
from .base import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_SOURCE_FAILED,
    config_option,
    emit,
    fail,
    json_option,
    load,
    main,
    say,
)

RENDER_OPTION = click.option(
    "--render", "render_mode", type=click.Choice(RENDER_MODES), default=None,
    help="How to read a listing page: static (as served) or browser (headless Chromium runs "
         "its scripts first, for lists that JavaScript builds; needs "
         "pip install 'feedhub[browser]' and Chromium). Default: the source's render:, "
         "else static.")


@main.command("check")
@config_option
@json_option
def check_command(config_path: Path, as_json: bool) -> None:
    """Validate sources.yaml without fetching anything.

    Each problem is printed as FILE:LINE: KEY: MESSAGE; the exit code is 2 if there is any.

    \b
    Example:
      feedhub check -c sources.yaml --json
    """
    config = load(config_path, as_json=as_json)
    if as_json:
        emit({"ok": True, "config": str(config_path), "problems": [],
              "sources": [s.id for s in config.sources],
              "categories": [c.slug for c in config.categories]})
        return
    say(f"{config_path}: ok ({len(config.sources)} sources, "
        f"{len(config.categories)} categories)")


@main.command("init")
@config_option
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init_command(config_path: Path, force: bool) -> None:
    """Write a starter sources.yaml that explains every key in comments, and the example page
    and feed its sources read (in examples/ beside it), so that the first build works offline.

    It refuses to overwrite an existing file unless --force is given.

    \b
    Example:
      feedhub init && feedhub check && feedhub build && feedhub serve
    """
    data = resources.files("feedhub").joinpath("data")
    # The examples first: a sources.yaml written is one whose examples are there.
    files = {config_path.parent / EXAMPLES / example.name: example.read_text("utf-8")
             for example in sorted(data.joinpath(EXAMPLES).iterdir(), key=lambda f: f.name)
             if example.is_file()}
    files[config_path] = data.joinpath("starter.yaml").read_text("utf-8")
    if config_path.exists() and not force:
        fail(f"{config_path} exists; edit it, or pass --force to replace it with the starter",
             EXIT_CONFIG)
    # An example already there as init writes it is no obstacle; one that differs is the user's.
    taken = [path for path, text in files.items() if path != config_path and path.exists()
             and not force and path.read_bytes() != text.encode("utf-8")]
    if taken:
        fail(f"{', '.join(map(str, taken))} "
             + ("exists and differs" if len(taken) == 1 else "exist and differ")
             + " from the starter's example", EXIT_CONFIG,
             hint="Nothing was written. Move them away, or pass --force to replace them.")
    for path, text in files.items():
        try:
            write_atomically(path, text)
        except OSError as exc:
            fail(f"cannot write {path}: {exc}", EXIT_FAILED)
    say(f"Wrote {config_path} and its examples in {config_path.parent / EXAMPLES}. Next: "
        "`feedhub check` and `feedhub build` (it reads the examples), then edit the sources "
        "to read your own pages.")


EXAMPLES = "examples"
"""The folder of example sources beside the starter sources.yaml (its ``path:`` sources)."""


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: a crash leaves the old file or the new one.
    The file keeps its permissions; a new one gets what the umask allows of 0o666, as
    ``open()`` would give (the temp file it is written as is private to its owner)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.", suffix=".tmp") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~current_umask()
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except OSError:
        os.unlink(handle.name)
        raise


def current_umask() -> int:
    """The process's umask (reading it means setting it: it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of sources.yaml, for editors to validate and complete it.

    \b
    Example:
      feedhub schema > sources.schema.json
      # then, first line of sources.yaml (YAML language server):
      # yaml-language-server: $schema=sources.schema.json
    """
    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command("preview")
@config_option
@json_option
@click.argument("target")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1),
              help="Rows to print (--json prints all).")
@click.option("--allow-private", is_flag=True,
              help="Let a URL preview reach private addresses (an intranet page).")
@RENDER_OPTION
def preview_command(config_path: Path, as_json: bool, target: str, limit: int,
                    allow_private: bool, render_mode: str | None) -> None:
    """Fetch one source (a source id, or any URL) and show what would be extracted.

    Prints each item's date, label, title and link with warnings (no date, unparsed date,
    relative link, empty title) and, for a page without selectors, the selectors it chose.
    Nothing is stored. Exit code 1 if the source cannot be read.

    \b
    Example:
      feedhub preview ilo-newsroom
      feedhub preview https://www.example.org/news --json
      feedhub preview https://www.example.org/news --render browser
    """
    if target.startswith(("http://", "https://")):
        root = config_path.resolve().parent if config_path.exists() else Path.cwd()
        with Renderer(FetchLimits()) as renderer:
            result = preview_source(target, root, renderer.fetcher(fetch),
                                    allow_private=allow_private,
                                    render=render_mode or "static")
    else:
        config = load(config_path, as_json=as_json)
        source = config.source(target)
        if source is None:
            fail(f"no source {target!r} in {config_path}", EXIT_CONFIG,
                 hint="Sources: " + ", ".join(s.id for s in config.sources))
        if render_mode is not None and source.kind is SourceKind.HTML:
            source = replace(source, render=render_mode)
        limits = config.fetch.limits
        with Renderer(limits) as renderer:
            result = preview_source(source, config.root,
                                    renderer.fetcher(partial(fetch, limits=limits)),
                                    categories=CategoryMap.from_categories(config.categories))
    if as_json:
        emit(to_json(result))
    else:
        click.echo(render(result, limit))
    if result.error:
        sys.exit(EXIT_SOURCE_FAILED)
