"""The commands about sources.yaml itself and one source's read: ``init``, ``check``,
``schema`` and ``preview``. None of them builds or stores anything; only ``init`` writes: the
starter sources.yaml and the example sources beside it (each file all at once, see
:func:`write_atomically`). The commands that edit sources.yaml from a source's pages (``add``,
``fix``) are in :mod:`.edit`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import replace
from functools import partial
from importlib import resources
from pathlib import Path

import click

from ..categories import CategoryMap
from ..config import json_schema
from ..fetch import fetch
from ..model import RENDER_MODES, FetchLimits, SourceKind
from ..preview import preview_source, render, to_json
from ..render import Renderer
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
