"""The message catalogs as translators edit them: extract feedhub's English words, merge them.

``python -m feedhub.publish.catalogs`` extracts every message of the templates
(``{% trans %}``, ``_()``) and of the publish modules (``gettext``, ``ngettext``) into
``locale/feedhub.pot``, then merges it into every ``locale/<language>/LC_MESSAGES/feedhub.po``:
a new English string arrives empty, a changed one is kept as a fuzzy guess, a removed one is
kept as obsolete (``#~``), so a translator sees exactly what to do. ``--check`` changes
nothing and exits 1 when the template is out of date or a catalog misses a translation (what
tests/test_i18n.py asserts). ``--init LANGUAGE`` starts a catalog for a new language.

publish.i18n reads the .po files at run time; this module only writes them. Must not: run
while rendering, or read anything but this package's templates and modules.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, SOURCE_LANGUAGE

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
LOCALE = PACKAGE / "locale"
TEMPLATE_FILE = LOCALE / f"{DOMAIN}.pot"
PYTHON_SOURCES = ("publish/document.py", "publish/pages.py", "publish/embeds.py")
"""The modules that say words of their own on pages and embeds."""
JINJA_EXTRACTOR = "jinja2.ext:babel_extract"
JINJA_OPTIONS = {"trimmed": "true", "trim_blocks": "true", "lstrip_blocks": "true",
                 "keep_trailing_newline": "true", "silent": "false"}
"""As publish.i18n.environment renders them, so the msgids are the ones looked up."""
HEADER = "feedhub's words on its pages and embeds (docs/configuration.md, \"Languages\")."
FIXED_DATE = datetime(2025, 1, 1, tzinfo=UTC)
"""The template's creation date: fixed, so extracting twice writes the same file."""


def _messages() -> Iterator[tuple[str, int, str | tuple[str, ...], list[str]]]:
    """(file, line, message, translator comments) of every message, in file order."""
    for path in sorted(TEMPLATES.glob("*.html")):
        with path.open("rb") as source:
            for line, message, comments, _ in extract(JINJA_EXTRACTOR, source,
                                                      comment_tags=("Translators:",),
                                                      options=JINJA_OPTIONS):
                yield path.relative_to(PACKAGE).as_posix(), line, message, comments
    for name in PYTHON_SOURCES:
        with (PACKAGE / name).open("rb") as source:
            for line, message, comments, _ in extract("python", source,
                                                      comment_tags=("Translators:",)):
                yield name, line, message, comments


def _comments(comments: list[str]) -> list[str]:
    return [comment.removeprefix("Translators:").strip() for comment in comments]


def extracted() -> Catalog:
    """Every English message of the templates and modules, as a gettext template."""
    catalog = Catalog(project="feedhub", domain=DOMAIN, header_comment=f"# {HEADER}",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                      msgid_bugs_address="", fuzzy=False)
    for where, line, message, comments in _messages():
        catalog.add(message, locations=[(where, line)], auto_comments=_comments(comments))
    return catalog


def catalog_paths() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(path: Path) -> Catalog:
    """A .po file (its language from its folder) or the .pot template."""
    locale = path.parent.parent.name if path.suffix == ".po" else None
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_previous=True)
    return out.getvalue()


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def missing(catalog: Catalog, template: Catalog) -> list[str]:
    """The msgids of ``template`` that ``catalog`` does not translate (absent, empty, or
    fuzzy: a guess nobody confirmed is not shown)."""
    gaps = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = (found.string if isinstance(found.string, tuple) else (found.string,)
                   ) if found is not None else ("",)
        if found is None or found.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def update(check: bool = False) -> list[str]:
    """Write the template and merge it into every catalog (or, with ``check``, only say what
    is out of date). Returns one line per problem left."""
    template = extracted()
    problems = []
    if not TEMPLATE_FILE.is_file() or _ids(read_catalog(TEMPLATE_FILE)) != _ids(template):
        problems.append(f"{TEMPLATE_FILE.relative_to(PACKAGE)} is out of date: run "
                        f"python -m feedhub.publish.catalogs")
    if not check:
        TEMPLATE_FILE.write_bytes(_po_bytes(template))
    for path in catalog_paths():
        catalog = read_catalog(path)
        catalog.update(template, update_header_comment=False)
        if not check:
            path.write_bytes(_po_bytes(catalog))
        for msgid in missing(catalog, template):
            problems.append(f"{path.relative_to(PACKAGE)}: no translation of {msgid!r}")
    return problems


def init(language: str) -> Path:
    """Start the catalog of ``language`` (a BCP 47 tag Babel knows) from the template."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise SystemExit(f"{language!r} is no language Babel knows: give a tag such as it, "
                         f"pt-BR or sr-Latn") from exc
    path = LOCALE / str(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        raise SystemExit(f"{path} exists already: edit it, or run without --init to merge")
    if str(locale) == SOURCE_LANGUAGE:
        raise SystemExit("English is the language of the source strings: it needs no catalog")
    catalog = Catalog(locale=locale, domain=DOMAIN, project="feedhub",
                      header_comment=f"# {HEADER}", fuzzy=False)
    catalog.update(extracted())
    path.parent.mkdir(parents=True)
    path.write_bytes(_po_bytes(catalog))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feedhub.publish.catalogs",
                                     description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a catalog is out of date")
    parser.add_argument("--init", metavar="LANGUAGE",
                        help="start the catalog of a new language (a tag such as it or pt-BR)")
    args = parser.parse_args(argv)
    if args.init:
        print(f"wrote {init(args.init)}: translate every msgstr, then run --check")
        return 0
    problems = update(check=args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
