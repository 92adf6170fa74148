"""Full-text cost: per article, a page fetched, its story extracted and sanitised, beside a plain
fetch of the same page, with feedhub's extraction library (readability-lxml) and the one it did
not choose (trafilatura, ``pip install 'feedhub[bench]'``).

    .venv/bin/python bench/fulltext.py               # 200 articles per row, median of 5 runs
    .venv/bin/python bench/fulltext.py --articles 100 --runs 3

The article pages are the tests' (tests/data/articles/*.html: a story wrapped in navigation,
cookie banners, asides and footers, in several markups and languages), served on 127.0.0.1 by
the tests' HTTP server, each fetched by ``fetch_url`` as a build fetches an article page.
Rows:
- plain fetch: the GET alone;
- readability-lxml: fetch + ``feedhub.extract.main_content`` + ``sanitise_html`` (as built);
- trafilatura: fetch + ``trafilatura.extract`` (HTML output, links and images) + sanitise_html.
Quality columns count, over the pages that need no content_selector, the story phrases kept and
the boilerplate phrases dropped (each page's .json names them). The import column is the time
``import X`` takes in a fresh interpreter that has lxml.etree loaded already (median of 3).
Not a unit test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.httpd import LocalServer  # noqa: E402

from feedhub.extract import main_content  # noqa: E402
from feedhub.fetch import AddressPolicy, fetch_url  # noqa: E402
from feedhub.model import FetchResult  # noqa: E402
from feedhub.normalise import MAX_CONTENT, plain_text, sanitise_html  # noqa: E402

LOCAL = AddressPolicy(allow_private=True)
PAGES = sorted((ROOT / "tests" / "data" / "articles").glob("*.html"))

Extractor = Callable[[FetchResult], str]


def readability_story(page: FetchResult) -> str:
    return sanitise_html(main_content("bench", page), page.url, MAX_CONTENT)


def trafilatura_extractor() -> Extractor | None:
    try:
        import trafilatura  # the rejected library: only this benchmark uses it
    except ImportError:
        return None

    def story(page: FetchResult) -> str:
        found = trafilatura.extract(page.body.decode("utf-8"), url=page.url,
                                    output_format="html", include_links=True,
                                    include_images=True, include_comments=False)
        return sanitise_html(found or "", page.url, MAX_CONTENT)

    return story


def quality(extract: Extractor, base: str) -> tuple[int, int, int, int]:
    """(story phrases kept, of, boilerplate phrases dropped, of) over the automatic pages."""
    kept = story = dropped = boiler = 0
    for path in PAGES:
        expect = json.loads(path.with_suffix(".json").read_text("utf-8"))
        if expect.get("selector"):
            continue
        text = plain_text(extract(FetchResult(url=f"{base}/{path.stem}",
                                              body=path.read_bytes())), MAX_CONTENT)
        kept += sum(p in text for p in expect["story"])
        story += len(expect["story"])
        dropped += sum(b not in text for b in expect["boilerplate"])
        boiler += len(expect["boilerplate"])
    return kept, story, dropped, boiler


def run(urls: list[str], extract: Extractor | None) -> tuple[float, float]:
    """(wall ms, CPU ms) per article over one pass of ``urls``."""
    cpu, wall = time.process_time(), time.perf_counter()
    for url in urls:
        page = fetch_url("bench", url, policy=LOCAL)
        if extract is not None:
            extract(page)
    n = len(urls)
    return (time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n


def import_ms(module: str) -> float:
    """What ``import module`` costs in a fresh interpreter that has lxml.etree already (as
    feedhub always has: feedhub itself imports readability, so it cannot be the baseline)."""
    code = ("import sys, time; import lxml.etree; "
            f"t = time.perf_counter(); import {module}; "
            "print((time.perf_counter() - t) * 1000)")
    times = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout)
             for _ in range(3)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, Extractor | None, str]] = [
        ("plain fetch", None, ""), ("readability-lxml (chosen)", readability_story,
                                    "readability")]
    rejected = trafilatura_extractor()
    if rejected is None:
        print("trafilatura is not installed: pip install 'feedhub[bench]' to compare",
              file=sys.stderr)
    else:
        rows.append(("trafilatura (rejected)", rejected, "trafilatura"))
    with LocalServer() as server:
        for path in PAGES:
            server.route(f"/a/{path.stem}", path.read_bytes(),
                         headers={"Content-Type": "text/html; charset=utf-8"})
        urls = [server.url(f"/a/{PAGES[i % len(PAGES)].stem}") for i in range(args.articles)]
        run(urls[: len(PAGES)], None)  # connections and imports warm
        print(f"{args.articles} articles per run ({len(PAGES)} pages in turn), "
              f"median of {args.runs} runs, Python {sys.version.split()[0]}\n")
        print("| per article | wall ms | CPU ms | story kept | boilerplate dropped "
              "| import ms |")
        print("|---|---|---|---|---|---|")
        for name, extract, module in rows:
            if extract is not None:
                run(urls[: len(PAGES)], extract)
            results = [run(urls, extract) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            if extract is None:
                print(f"| {name} | {wall:.2f} | {cpu:.2f} | - | - | - |")
                continue
            kept, story, dropped, boiler = quality(extract, server.url("/a"))
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {kept}/{story} | {dropped}/{boiler} "
                  f"| {import_ms(module):.0f} |")


if __name__ == "__main__":
    main()
