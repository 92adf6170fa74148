"""sources.yaml -> a validated :class:`~feedhub.model.Config`: read the file, compose its node
tree (:mod:`.document`), walk each section (:mod:`.sections`, :mod:`.sources`) and either
return the config or raise every problem found together, in the order of the file, as one
:class:`~feedhub.errors.ConfigError`; a config with any problem builds nothing.

Must not: touch the network, the store or the output folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError, ConfigProblem
from ..model import Config
from .document import read_document
from .schema import TOP_KEYS
from .sections import parse_categories, parse_fetch, parse_serve, parse_site
from .sources import parse_sources
from .walker import Walker

STORE_URL_RE = re.compile(r"^(sqlite|postgres(ql)?)://")


def load_config(path: str | Path) -> Config:
    """Read and validate a sources.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, "",
                                         "file not found; run `feedhub init` to write one")]
                          ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), 0, "", f"cannot read: {exc}")]) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Validate ``text`` (the content of ``path``) and return the config, or raise ConfigError."""
    file = str(path)
    root = read_document(text, file)
    walker = Walker(file)
    top = walker.mapping(root, "", TOP_KEYS)
    if top is None:
        raise ConfigError(walker.sorted_problems())

    site = parse_site(walker, top)
    categories = parse_categories(walker, top)
    slugs = {c.slug for c in categories}
    sources = parse_sources(walker, top, slugs)
    store = walker.text(top, "store", "", default="sqlite:///feedhub.db")
    if store and not STORE_URL_RE.match(store):
        walker.problem(top.get("store"), "store",
                       "must be a database URL: sqlite:///path or postgresql://...")
    output = walker.text(top, "output", "", default="feeds")
    serve = parse_serve(walker, top)
    fetch = parse_fetch(walker, top)

    if walker.problems:
        raise ConfigError(walker.sorted_problems())
    assert site is not None
    return Config(path=path.resolve(), site=site, categories=tuple(categories),
                  sources=tuple(sources), store=store, output=output, serve=serve,
                  fetch=fetch)
