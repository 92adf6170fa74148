"""Mutation testing of the code where a silent bug loses or corrupts stories (run on demand).

Usage: ``scripts/mutation.sh [module ...]`` (modules: identity, merge, store, publish, web;
none = all); ``--survivors`` tests the last run's survivors again after you added tests;
``--report`` prints the last run's table and survivors again.
Needs mutmut 3 (``pip install mutmut``); see docs/testing.md, "Mutation testing".

mutmut 3 changes one thing in a function at a time (``<`` for ``<=``, ``"XXaXX"`` for ``"a"``,
``None`` for a value ...) and runs the tests that call that function: a mutant the tests do
not notice ("survived") is a change of behaviour nothing checks. Only the functions named in
:data:`TARGETS` are mutated, and only the fast tests of pyproject.toml's ``[tool.mutmut]``
run, so a whole run takes minutes, not hours.

The run happens on a copy of the project in ``build/mutation/`` (mutmut's own ``mutants/``
folder is inside it), for one reason: mutmut 3 leaves every decorated function alone, and
two of the functions that matter most are cached (``@functools.lru_cache`` on
``normalise._canonical_url`` and ``store.format_date``). The copy drops the cache decorator
of the targets; caching a pure function changes its speed, never its answers. Nothing under
``src/`` is edited.

This script is not part of the package and not run by CI (test.sh, .ci/run).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"
CLASS = "ǁ"  # mutmut's separator in the names of methods' mutants


@dataclass(frozen=True)
class Target:
    """The functions of one module that are mutated."""

    path: str
    """The module, relative to the project root."""
    functions: tuple[str, ...]
    """Function names; ``Class.method`` for a method."""

    @property
    def module(self) -> str:
        name = self.path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        return name.removesuffix(".__init__")

    def patterns(self) -> list[str]:
        """mutmut's names of these functions' mutants, as fnmatch patterns."""
        out = []
        for function in self.functions:
            cls, _, name = function.rpartition(".")
            mangled = f"x{CLASS}{cls}{CLASS}{name}" if cls else f"x_{name}"
            out.append(f"{self.module}.{mangled}__mutmut_*")
        return out


TARGETS: dict[str, Target] = {
    # Identity: what makes two entries one story, and an item's id.
    "identity": Target("src/feedhub/normalise.py", (
        "canonical_url", "_canonical_url", "without_tracking", "title_key", "item_id",
        "_guid_key", "identity_keys")),
    # Merge: a story met again keeps its id, first_seen and the right dates.
    "merge": Target("src/feedhub/merge.py", ("find_stored", "remember", "_published")),
    # The store's item writes and reads.
    "store": Target("src/feedhub/store/items.py", (
        "ItemQueries.save_items", "ItemQueries._items", "ItemQueries.get_items",
        "ItemQueries.find_keys")),
    "store-dates": Target("src/feedhub/store/dates.py", ("format_date", "parse_stored_date")),
    # Published dates and ids (RSS guid/isPermaLink and pubDate, Atom id/updated/published).
    "publish": Target("src/feedhub/publish/feeds.py", (
        "rfc822", "rfc3339", "_utc", "_rss_item", "_atom_entry")),
    # Conditional answers: 304 or 200, which representation, which headers.
    "web": Target("src/feedhub/web/conditional.py", (
        "parse_http_date", "accepts_gzip", "etag_matches", "answer")),
    "web-dates": Target("src/feedhub/web/headers.py", ("http_date",)),
}

_POLICY = "policy is only ever compared with 'auto' and 'link': any other value acts as 'guid'"
_EMPTY_URL = "canonical_url('') is '': canonicalising an empty value gives the same ''"
_SAME_LENGTH = "both lists have one element per entry: strict or not, zip pairs them the same"
_NO_PLUS = ("tracking names are letters, '_' and '.': a name with a '+' matches none, "
            "whatever the '+' becomes (' ', 'XX XX' or '+')")
_HEADER_CASE = "HTTP field names are case-insensitive (RFC 9110 5.1): same header to clients"
_CHUNKS = ("the ids read 500 at a time with overlap land in one dict: same items, more queries "
           "(501 parameters is far below SQLite's and PostgreSQL's limits)")
_CDATA = ("feedgen writes RSS content as CDATA only for type 'CDATA', else as escaped text: "
          "the same characters to every XML parser")
_FEEDGEN_LINK = ("feedgen (1.0) writes an entry's <link> with its href only (atom_entry rebinds "
                 "`link`), and its rel defaults to 'alternate': rel and type never reach the "
                 "feed")
_TITLE_IDS = ("no id comes from a title key (an id comes from an item's first key, a guid or "
              "link key): looking up such ids as well finds nothing more")
_FIRST_SEEN = "every stored item has a first_seen (save_items refuses one without): never read"
_LOADED = ("every id a key names was loaded into `stored` a line above: the default for a "
           "missing one is never read")
_GIVEN_HASH = ("a hash given is content_hash(item), computed by the caller: ignoring it "
               "stores the same value, computed again")
_ASCII_JSON = ("labels stored as JSON with \\u escapes or as UTF-8 read back the same "
               "(json.loads)")
_SQL_CASE = ("SQL keywords and unquoted names are case-insensitive in SQLite and PostgreSQL")
_YEAR_1000 = "the year 1000 is four digits both ways (strftime and isoformat)"
_STORED_Z = ("every stored date is format_date's, ending in 'Z': fromisoformat reads it as UTC, "
             "so the branch for a naive value is never taken and either branch returns it as is")
EQUIVALENT: dict[str, str] = {
    # mutant name -> why it behaves exactly as the original (docs/testing.md lists them too).
    # The numbers are mutmut's and change when the function changes: re-check after edits.
    "feedhub.normalise.x_item_id__mutmut_7": "codec names are case-insensitive: 'UTF-8' is utf-8",
    "feedhub.normalise.x_canonical_url__mutmut_1":
        "the fast path for simple URLs gives what the general code gives (it exists for speed)",
    "feedhub.normalise.x__canonical_url__mutmut_22":
        "urlsplit's hostname is lowercase already: stripping 'X' as well as '.' strips the same",
    "feedhub.normalise.x__canonical_url__mutmut_25":
        "the idna codec returns an ASCII host unchanged (or fails, and the host is kept)",
    "feedhub.normalise.x__canonical_url__mutmut_30": "codec names are case-insensitive",
    "feedhub.normalise.x__canonical_url__mutmut_32": "codec names are case-insensitive",
    "feedhub.normalise.x__canonical_url__mutmut_52":
        "quote() never escapes letters: adding 'X' to the safe characters changes nothing",
    "feedhub.normalise.x__canonical_url__mutmut_53":
        "a path of length 1 is '/', which the trailing-slash rule turns into '/' again",
    "feedhub.normalise.x_identity_keys__mutmut_3": _POLICY,
    "feedhub.normalise.x_identity_keys__mutmut_9": _POLICY,
    "feedhub.normalise.x_identity_keys__mutmut_10": _POLICY,
    "feedhub.normalise.x_identity_keys__mutmut_13": _EMPTY_URL,
    "feedhub.normalise.x_identity_keys__mutmut_35": _EMPTY_URL,
    "feedhub.normalise.x_identity_keys__mutmut_92": _SAME_LENGTH,
    "feedhub.normalise.x_identity_keys__mutmut_95": _SAME_LENGTH,
    "feedhub.normalise.x_identity_keys__mutmut_96": _SAME_LENGTH,
    "feedhub.normalise.x_identity_keys__mutmut_105": _SAME_LENGTH,
    "feedhub.normalise.x_identity_keys__mutmut_108": _SAME_LENGTH,
    "feedhub.normalise.x_identity_keys__mutmut_109": _SAME_LENGTH,
    "feedhub.normalise.x_without_tracking__mutmut_24": _NO_PLUS,
    "feedhub.normalise.x_without_tracking__mutmut_25": _NO_PLUS,
    "feedhub.merge.x_find_stored__mutmut_11": _TITLE_IDS,
    "feedhub.merge.x_find_stored__mutmut_12": _TITLE_IDS,
    "feedhub.merge.x_find_stored__mutmut_15": "get_items of no ids is {} too",
    "feedhub.merge.x_find_stored__mutmut_19": _FIRST_SEEN,
    "feedhub.merge.x_find_stored__mutmut_23": _LOADED,
    "feedhub.merge.x_find_stored__mutmut_25": _LOADED,
    "feedhub.merge.x_find_stored__mutmut_26": _LOADED,
    "feedhub.merge.x_find_stored__mutmut_29":
        "match is set by the first key, and every fresh item has one (normalise drops the rest)",
    "feedhub.merge.x_find_stored__mutmut_36":
        "a title key is an item's last key (normalise appends it; stored keys sort 'title:' "
        "after 'guid:' and 'link:'): skipping it or stopping there is the same",
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_15": _GIVEN_HASH,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_16": _GIVEN_HASH,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_18": _GIVEN_HASH,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_25": _ASCII_JSON,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_27": _ASCII_JSON,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_29": _ASCII_JSON,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_39": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_40": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_42": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_44": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_46": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_48": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_50": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_52": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_58": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_59": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_65": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_66": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_72": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_73": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_79": _SQL_CASE,
    "feedhub.store.items.xǁItemQueriesǁsave_items__mutmut_80": _SQL_CASE,
    "feedhub.store.dates.x_format_date__mutmut_5": _YEAR_1000,
    "feedhub.store.dates.x_format_date__mutmut_6": _YEAR_1000,
    "feedhub.store.dates.x_parse_stored_date__mutmut_3": _STORED_Z,
    "feedhub.store.dates.x_parse_stored_date__mutmut_4": _STORED_Z,
    "feedhub.store.dates.x_parse_stored_date__mutmut_5": _STORED_Z,
    "feedhub.store.dates.x_parse_stored_date__mutmut_6": _STORED_Z,
    "feedhub.store.items.xǁItemQueriesǁget_items__mutmut_9": _CHUNKS,
    "feedhub.store.items.xǁItemQueriesǁget_items__mutmut_14": _CHUNKS,
    "feedhub.publish.feeds.x__rss_item__mutmut_15": _CDATA,
    "feedhub.publish.feeds.x__rss_item__mutmut_17": _CDATA,
    "feedhub.publish.feeds.x__rss_item__mutmut_26": _CDATA,
    "feedhub.publish.feeds.x__rss_item__mutmut_27": _CDATA,
    "feedhub.publish.feeds.x__rss_item__mutmut_50":
        "feedgen's guid() default is permalink=False: the same isPermaLink=\"false\"",
    "feedhub.publish.feeds.x__atom_entry__mutmut_27": _FEEDGEN_LINK,
    "feedhub.publish.feeds.x__atom_entry__mutmut_29": _FEEDGEN_LINK,
    "feedhub.publish.feeds.x__atom_entry__mutmut_30": _FEEDGEN_LINK,
    "feedhub.publish.feeds.x__atom_entry__mutmut_33": _FEEDGEN_LINK,
    "feedhub.publish.feeds.x__atom_entry__mutmut_34": _FEEDGEN_LINK,
    "feedhub.web.conditional.x_answer__mutmut_1":
        "the default is never used: both callers (_ready_response, FastPublished) pass it",
    "feedhub.web.conditional.x_answer__mutmut_7":
        "not_modified is only read for its truth: None acts as False",
    "feedhub.web.conditional.x_answer__mutmut_38": _HEADER_CASE,
    "feedhub.web.conditional.x_answer__mutmut_39": _HEADER_CASE,
}

_CACHE_DECORATOR = re.compile(r"^[ \t]*@functools\.(?:lru_cache\(.*\)|cache)[ \t]*\n", re.M)


def stage() -> None:
    """A fresh copy of what the tests need in STAGE, the targets' cache decorators dropped."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir(parents=True)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("src", "tests", "examples"):
        shutil.copytree(ROOT / name, STAGE / name, ignore=junk)
    for name in ("pyproject.toml", "sources.yaml"):
        shutil.copy(ROOT / name, STAGE / name)
    for target in TARGETS.values():
        path = STAGE / target.path
        text = path.read_text("utf-8")
        for function in target.functions:
            name = function.rpartition(".")[2]
            text = re.sub(_CACHE_DECORATOR.pattern + rf"(?=[ \t]*def {re.escape(name)}\()", "",
                          text, flags=re.M)
        path.write_text(text, "utf-8")


def restage_tests() -> None:
    """Bring the tests and the mutmut settings of STAGE up to date; the mutants stay."""
    shutil.copytree(ROOT / "tests", STAGE / "tests", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", STAGE / "pyproject.toml")


def run(modules: list[str], children: int, *, survivors: bool = False) -> int:
    """Run mutmut on every mutant of ``modules``, or (``survivors``) again on those of the last
    run that no test killed, with the tests as they are now."""
    beside = Path(sys.executable).parent / "mutmut"  # the one of this Python's environment
    mutmut = str(beside) if beside.exists() else shutil.which("mutmut")
    if mutmut is None:
        sys.exit("mutmut is not installed: pip install mutmut (3.x), then run this again")
    before: dict[str, dict[str, int | None]] = {}
    if survivors:
        before = results(list(TARGETS))
        patterns = sorted(k for name in modules for k, c in before.get(name, {}).items()
                          if c not in KILLED and k not in EQUIVALENT)
        if not patterns:
            print("no survivors to test again")
            return 0
        restage_tests()
    else:
        patterns = [p for m in modules for p in TARGETS[m].patterns()]
        stage()
    # mutmut sets up its own import path (mutants/src first); an inherited one would only
    # let the original code in.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = subprocess.call([mutmut, "run", "--max-children", str(children), *patterns],
                           cwd=STAGE, env=env)
    if before:
        keep_verdicts(before)
    return code


def keep_verdicts(before: dict[str, dict[str, int | None]]) -> None:
    """Put back the verdicts of the mutants a --survivors run did not test again: mutmut
    forgets every verdict when the tests it selects change (a new test file in pyproject)."""
    for name, codes in before.items():
        meta = STAGE / "mutants" / (TARGETS[name].path + ".meta")
        data = json.loads(meta.read_text("utf-8"))
        now = data["exit_code_by_key"]
        for key, code in codes.items():
            if now.get(key) is None and code is not None:
                now[key] = code
        meta.write_text(json.dumps(data), "utf-8")


def results(modules: list[str]) -> dict[str, dict[str, int | None]]:
    """Per module, mutant name -> mutmut's exit code (None: not run) for the targets."""
    out: dict[str, dict[str, int | None]] = {}
    for name in modules:
        target = TARGETS[name]
        meta = STAGE / "mutants" / (target.path + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        patterns = target.patterns()
        out[name] = {k: v for k, v in codes.items()
                     if any(fnmatch.fnmatchcase(k, p) for p in patterns)}
    return out


KILLED = {1, 3, 36, -24, 24, 152, 255}  # a failing test, pytest's internal error, a timeout


def report(modules: list[str]) -> bool:
    """Print the table and every survivor; True when at least 90% are killed or equivalent.

    Survivors marked in :data:`EQUIVALENT` count as equivalent, the others as survived; a
    mutant no selected test calls, or that was not run (an interrupted run), is "not tested"."""
    found = results(modules)
    if not found:
        print("no results: run scripts/mutation.sh first")
        return False
    rows = []
    survivors = []
    for name, codes in found.items():
        killed = [k for k, c in codes.items() if c in KILLED]
        untested = [k for k, c in codes.items() if c in (5, 33, None)]
        equivalent = [k for k, c in codes.items() if c == 0 and k in EQUIVALENT]
        survived = sorted(set(codes) - set(killed) - set(untested) - set(equivalent))
        rows.append((f"{name} ({TARGETS[name].path.removeprefix('src/feedhub/')})",
                     [len(codes), len(killed), len(survived), len(equivalent), len(untested)]))
        survivors += [(k, codes[k]) for k in [*survived, *sorted(untested)]]
    totals = [sum(column) for column in zip(*(row for _, row in rows), strict=True)]
    print(f"Mutation testing, {datetime.now(UTC):%Y-%m-%d}")
    print()
    print("| module | mutants | killed | survived | equivalent | not tested | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, (n, killed, survived, equivalent, untested) in [*rows, ("total", totals)]:
        score = (killed + equivalent) / n if n else 1.0
        print(f"| {label} | {n} | {killed} | {survived} | {equivalent} | {untested} "
              f"| {score:.0%} |")
    if survivors:
        print()
        print("Survivors (`mutmut show NAME` in build/mutation/ prints the change):")
        for key, code in survivors:
            status = {0: "survived", 5: "no tests", 33: "no tests", None: "not run"}.get(
                code, f"exit code {code}")
            print(f"  {key}: {status}")
    n, killed, _, equivalent, _ = totals
    return bool(n > 0 and (killed + equivalent) / n >= 0.9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("modules", nargs="*", metavar="module",
                        help=f"some of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--report", action="store_true",
                        help="print the table of the last run again, without running")
    parser.add_argument("--survivors", action="store_true",
                        help="test the last run's survivors again with the current tests "
                        "(after adding tests; src/ changes need a full run)")
    parser.add_argument("--max-children", type=int, default=2,
                        help="mutants tested at once (default 2)")
    args = parser.parse_args()
    unknown = sorted(set(args.modules) - set(TARGETS))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: choose from {', '.join(TARGETS)}")
    modules = args.modules or list(TARGETS)
    if not args.report:
        code = run(modules, args.max_children, survivors=args.survivors)
        if code:
            print(f"mutmut stopped with exit code {code}", file=sys.stderr)
            return code
    return 0 if report(modules) else 1


if __name__ == "__main__":
    sys.exit(main())
