"""Run a corpus of feed documents through a real `feedhub build` and judge what it publishes.

    python scripts/corpus_sweep.py CORPUS_DIR [--out DIR] [--only PREFIX] [--add-ids]
                                   [--declared-headers] [--no-validate] [--clients-sample N]

The harness's tools are found in $FEEDHUB_HARNESS (default /work/shared/harness).

Made for feedparser's test corpus (``/work/shared/harness/corpus.sh /tmp/fp-corpus``): every
file there carries a header comment with ``Description:`` and ``Expect:`` (a feedparser result
expression, used as an oracle) and maybe ``Header:`` lines (the HTTP headers its test served).
Any folder of .xml/.json/.rss/.atom files works; the oracle is then only the reference parse.

1. Serves CORPUS_DIR on 127.0.0.1 (Content-Type guessed from the extension, as a static file
   server does; ``--declared-headers`` sends each document's ``Header:`` lines instead).
2. Writes OUT/sources.yaml: one ``kind: feed`` source per document, ``allow_private: true``,
   a category per corpus folder (so items land in a few feeds), and runs
   ``python -m feedhub build --force --json`` on it: the real command, a real store.
3. Per document: ok or the error text, items read, and what looks wrong about them, compared
   with feedparser's reading of the same bytes and the ``Expect:`` oracle (empty titles,
   titles with markup left in or text lost, a date feedhub did not read though the document
   has one, a date that differs, a link lost or different).
   ``--add-ids`` serves each entry that has no guid/id with a unique one: most corpus entries
   have neither link nor id, which feedhub rightly refuses, and this lets their content
   through; merging by title is off (``merge_window_days: 0``) so each document is its own.
4. Runs the harness's validate_w3c, validate_schema and validate_jsonfeed over every published
   feed and archive, and its clients (newsboat, sfeed, rss2email) over each category's RSS and
   Atom feed (``--clients-sample 0``: none).

Writes OUT/report.json (everything) and prints a summary: sources ok/failed by reason, items,
findings by kind, validator errors and warnings by message. Exit 0 when no validator or
client reported an error, 1 otherwise. A tool for people, never run by the tests or CI; run it
with the project's Python (feedhub's dependencies, feedparser among them).
"""

from __future__ import annotations

import argparse
import ast
import calendar
import html
import io
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # this checkout's feedhub, as the build runs it

from feedhub.normalise import canonical_url, without_tracking  # noqa: E402

HARNESS = Path(os.environ.get("FEEDHUB_HARNESS", "/work/shared/harness"))
SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json"}
# Corpus folders that get a feed of their own; the rest share "misc".
OWN_FEED = {"sanitize", "entities", "atom10", "rss", "atom", "base", "encoding", "amp", "lang",
            "itunes", "illformed"}
HEADER = re.compile(r"^(Description|Expect|Header):\s*(.*)$", re.M)
TAG = re.compile(r"<[A-Za-z/!?][^>]*>")


def documents(corpus: Path, only: str) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                  and str(p.relative_to(corpus)).startswith(only))


def header(path: Path) -> dict[str, list[str]]:
    """The Description/Expect/Header lines of a corpus file's leading comment."""
    head = path.read_bytes()[:4000].decode("latin-1")
    fields: dict[str, list[str]] = {}
    for key, value in HEADER.findall(head):
        fields.setdefault(key, []).append(value.strip())
    return fields


def category(rel: Path) -> str:
    parts = rel.parts
    folder = parts[1] if parts[0] == "wellformed" and len(parts) > 2 else parts[0]
    return folder if folder in OWN_FEED else "misc"


def source_id(rel: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(rel.with_suffix("")).replace("/", "."))


ENTRY = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)(item|entry)\b[^>]*?(?<!/)>(.*?)</\1\2\s*>", re.S)
HAS_ID = re.compile(rb"<(?:[\w.-]+:)?(?:guid|id)\b")


def with_ids(body: bytes, rel: str) -> bytes:
    """The document with a unique guid (RSS) or id (Atom) in each entry that has none.

    Most corpus entries have neither link nor id, and feedhub refuses entries it cannot give a
    stable identity; an id lets the rest of their content (titles, dates, hostile markup)
    through the pipeline. Only the inserted element is new; nothing else changes."""
    count = iter(range(1_000_000))

    def add(match: re.Match[bytes]) -> bytes:
        if HAS_ID.search(match[3]):
            return match[0]
        prefix, name = match[1], match[2]
        tag = prefix + (b"guid" if name == b"item" else b"id")
        extra = b' isPermaLink="false"' if name == b"item" else b""
        value = f"urn:sweep:{rel}:{next(count)}".encode()
        end = match.start(3) - match.start(0)
        return match[0][:end] + b"<" + tag + extra + b">" + value + b"</" + tag + b">" \
            + match[0][end:]

    return ENTRY.sub(add, body)


class Handler(SimpleHTTPRequestHandler):
    declared = False
    add_ids = False

    def send_head(self) -> Any:
        local = Path(self.translate_path(self.path))
        if not (self.add_ids and local.suffix == ".xml" and local.is_file()):
            return super().send_head()
        body = with_ids(local.read_bytes(), self.path.lstrip("/"))
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(local))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return mimetypes.guess_type(str(path))[0] or "application/octet-stream"

    def send_header(self, keyword: str, value: str) -> None:
        if self.declared and keyword.lower() in {"content-type", "last-modified"}:
            return  # the document's own Header: lines replace these
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        if self.declared:
            local = Path(self.translate_path(self.path))
            if local.is_file():
                lines = header(local).get("Header", [])
                if not any(line.lower().startswith("content-type") for line in lines):
                    lines.append(f"Content-Type: {self.guess_type(local)}")
                for line in lines:
                    name, _, value = line.partition(":")
                    super().send_header(name.strip(), value.strip())
        super().end_headers()


def serve(corpus: Path, declared: bool, add_ids: bool) -> ThreadingHTTPServer:
    handler = type("CorpusHandler", (Handler,), {"declared": declared, "add_ids": add_ids})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(corpus)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_config(out: Path, base: str, docs: list[tuple[Path, str]]) -> Path:
    slugs = sorted({category(rel) for rel, _ in docs})
    lines = ["site:", "  title: Corpus sweep", "  base_url: http://127.0.0.1:8000",
             "  feed_size: 100", "  merge_window_days: 0", "categories:"]
    lines += [f"  - slug: {slug}" for slug in slugs]
    lines += ["store: sqlite:///feedhub.db", "output: feeds",
              "fetch: {concurrency: 16, per_host: 16, retries: 0, deadline: 20s}", "sources:"]
    for rel, sid in docs:
        lines += [f"  - id: {sid}", "    kind: feed", f"    url: {base}/{rel}",
                  f"    category: {category(rel)}", "    allow_private: true",
                  "    ignore_robots: true"]
    path = out / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_build(config: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "feedhub", "-c", str(config), "-q", "build",
                           "--force", "--json"], env=env, capture_output=True, text=True,
                          cwd=config.parent)
    if not done.stdout.strip():
        sys.exit(f"feedhub build printed nothing (exit {done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["exit"], result["stderr"] = done.returncode, done.stderr[-4000:]
    return result


def text_of(value: str, kind: str) -> str:
    """What a reader shows of a feedparser text construct: markup gone, entities decoded."""
    if "html" in kind:
        value = html.unescape(TAG.sub("", value))
    return " ".join(value.split())


def expected(expect: str) -> dict[tuple[int, str], Any]:
    """``entries[i]['key'] == literal`` comparisons of an Expect expression."""
    found: dict[tuple[int, str], Any] = {}
    try:
        tree = ast.parse(expect, mode="eval")
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Eq)):
            continue
        left = node.left
        if (isinstance(left, ast.Subscript) and isinstance(left.value, ast.Subscript)
                and isinstance(left.value.value, ast.Name) and left.value.value.id == "entries"):
            try:
                index = ast.literal_eval(left.value.slice)
                key = ast.literal_eval(left.slice)
                found[(int(index), str(key))] = ast.literal_eval(node.comparators[0])
            except (ValueError, TypeError, SyntaxError):
                continue
    return found


def stamp(parsed: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


def judge(body: bytes, items: list[Any], fields: dict[str, list[str]]) -> list[str]:
    """What looks wrong about the items feedhub stored from one document."""
    findings: list[str] = []
    reference = feedparser.parse(body)
    # guid keys are "guid:GUID" (URIs) or "guid:SOURCE:GUID": find an entry's item by its
    # guid, else by its link
    by_link = {guid: item for item in items for key in item.keys if key.startswith("guid:")
               for guid in (key[5:], key[5:].partition(":")[2])}
    by_link |= {item.link: item for item in items}
    oracle = expected(" ".join(fields.get("Expect", [])))
    for index, entry in enumerate(reference.entries):
        title = text_of(entry.get("title", ""), entry.get("title_detail", {}).get("type", ""))
        link = entry.get("link", "")
        item = (by_link.get(entry.get("id", "")) or by_link.get(link)
                or (items[0] if len(items) == len(reference.entries) == 1 else None))
        if item is None:
            continue
        if len(item.sources) > 1:
            # Documents that share a guid or link are one story, told by whichever leads the
            # merge: what it shows is not this document's alone.
            findings.append(f"merged with {len(item.sources) - 1} other document(s)")
            continue
        if not item.title.strip():
            findings.append("empty title")
        elif title and TAG.search(item.title) and not TAG.search(title):
            findings.append(f"markup in title: {item.title[:80]!r}")
        elif title and " ".join(item.title.split()) != title:
            findings.append(f"title differs: {item.title[:60]!r} vs document {title[:60]!r}")
        want = oracle.get((index, "title"))
        shown = " ".join(item.title.split())
        if isinstance(want, str) and shown not in {" ".join(want.split()), text_of(want, "html")}:
            findings.append(f"title not as Expect: {item.title[:60]!r} vs {want[:60]!r}")
        dated = stamp(entry.get("published_parsed")) or stamp(entry.get("updated_parsed"))
        if dated and dated.year >= 1000 and item.undated:
            findings.append(f"dated when first seen, though the document says {dated:%Y-%m-%d}")
        elif dated and not item.undated and abs((item.published - dated).total_seconds()) > 1 \
                and abs((item.updated - dated).total_seconds()) > 1:
            findings.append(f"date differs: {item.published:%Y-%m-%dT%H:%M} "
                            f"vs {dated:%Y-%m-%dT%H:%M}")
        if link.startswith(("http://", "https://")) and not item.link:
            findings.append("link lost")
        elif link.startswith(("http://", "https://")) and item.link not in {
                link, without_tracking(link)} and canonical_url(link) != canonical_url(item.link):
            findings.append(f"link differs: {item.link[:80]!r} vs document {link[:80]!r}")
        said = text_of(entry.get("summary", ""), "html")
        if said and not (item.summary or item.content):
            findings.append("summary and content lost")
    return findings


SUMMARY = re.compile(r"^(\d+) feeds?: (\d+) errors?, (\d+) warnings?")
MESSAGE = re.compile(r"^\s+(error|warning): (?:line \d+, col(?:umn)? \d+: )?(.*)$")


def run_tool(tool: str, files: list[Path], *args: str) -> dict[str, Any]:
    """A harness tool's verdict over files: counts, and each message with the files it hit."""
    if not files:
        return {"files": 0, "errors": 0, "warnings": 0, "messages": {}}
    done = subprocess.run([str(HARNESS / tool), *args, *map(str, files)],
                          capture_output=True, text=True)
    messages: dict[str, list[str]] = {}
    current = ""
    errors = warnings = 0
    for line in done.stdout.splitlines():
        if not line.startswith(" "):
            current = line.split()[1] if len(line.split()) > 1 else ""
            summary = SUMMARY.match(line)
            if summary:
                errors, warnings = int(summary[2]), int(summary[3])
            continue
        match = MESSAGE.match(line)
        if match:
            key = f"{match[1]}: {re.sub(r'[0-9]+', 'N', match[2])[:160]}"
            messages.setdefault(key, []).append(current)
    return {"files": len(files), "errors": errors, "warnings": warnings, "messages": messages,
            "exit": done.returncode, "stderr": done.stderr[-2000:]}


def validate(feeds: Path, sample: int) -> dict[str, Any]:
    xml = sorted(p for p in feeds.rglob("*") if p.suffix in {".rss", ".atom"})
    js = sorted(feeds.rglob("*.json"))
    # archive/<slug>/index.json lists a category's archives: not a feed
    js = [p for p in js if p.name != "index.json" and "embed" not in p.parts]
    results = {"w3c": run_tool("validate_w3c", xml), "schema": run_tool("validate_schema", xml),
               "jsonfeed": run_tool("validate_jsonfeed", js)}
    if sample:
        picked = [p for p in sorted(feeds.glob("*.rss")) + sorted(feeds.glob("*.atom"))][:sample]
        results["clients"] = run_tool("clients", picked)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, help="working folder (default: a new temporary one)")
    parser.add_argument("--only", default="", help="only documents under this relative path")
    parser.add_argument("--declared-headers", action="store_true",
                        help="send each document's Header: lines (Content-Type among them)")
    parser.add_argument("--add-ids", action="store_true",
                        help="serve each entry that has no guid/id with a unique one added")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--clients-sample", type=int, default=100,
                        help="feeds (RSS and Atom per category) the clients poll (0: none)")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    out = (args.out or Path(tempfile.mkdtemp(prefix="corpus-sweep-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("feedhub.db*"), out / "feeds"]:  # a fresh store every sweep
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
    docs = [(p.relative_to(corpus), source_id(p.relative_to(corpus)))
            for p in documents(corpus, args.only)]
    server = serve(corpus, args.declared_headers, args.add_ids)
    try:
        config = write_config(out, f"http://127.0.0.1:{server.server_address[1]}", docs)
        build = run_build(config)
    finally:
        server.shutdown()
    from feedhub.store import open_store

    store = open_store("sqlite:///feedhub.db", out)
    reports: dict[str, Any] = build.get("sources", {})
    per_doc: dict[str, Any] = {}
    reasons: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    items_total = 0
    for rel, sid in docs:
        report = reports.get(sid, {})
        fields = header(corpus / rel)
        items = store.source_items(sid)
        items_total += len(items)
        error = report.get("error", "")
        body = (corpus / rel).read_bytes()
        if args.add_ids and rel.suffix == ".xml":
            body = with_ids(body, str(rel))
        findings = judge(body, items, fields) if items else []
        if error:
            reasons[re.sub(r"[0-9]+", "N", error.split(":")[0] if len(error) > 120 else error)] += 1
        kinds.update(re.sub(r"[0-9]+", "N", f.split(":")[0]) for f in findings)
        per_doc[str(rel)] = {"id": sid, "ok": not error, "error": error, "items": len(items),
                             "found": report.get("found", 0), "warnings": report.get("warnings"),
                             "findings": findings, "description": fields.get("Description")}
    store.close()
    validation = {} if args.no_validate else validate(out / "feeds", args.clients_sample)
    (out / "report.json").write_text(json.dumps(
        {"build": {k: v for k, v in build.items() if k != "sources"}, "documents": per_doc,
         "validation": validation}, indent=1, default=str), encoding="utf-8")
    failed = sum(1 for d in per_doc.values() if not d["ok"])
    print(f"{len(docs)} documents: {len(docs) - failed} sources ok, {failed} failed; "
          f"{items_total} items stored; build exit {build['exit']}")
    for reason, count in reasons.most_common():
        print(f"  failed {count:4d}  {reason[:150]}")
    for kind, count in kinds.most_common():
        print(f"  finding {count:4d}  {kind}")
    bad = 0
    for tool, result in validation.items():
        print(f"{tool}: {result['files']} files, {result['errors']} errors, "
              f"{result['warnings']} warnings")
        bad += result["errors"]
        for message, where in sorted(result["messages"].items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(where):4d}  {message}  (e.g. {where[0]})")
    print(f"report: {out / 'report.json'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
