"""Fetch cost: client CPU and wall time per conditional GET (every answer a 304) against nginx.

    .venv/bin/python bench/fetch.py                 # 400 fetches per run, median of 5 runs
    .venv/bin/python bench/fetch.py --fetches 200 --runs 3
    .venv/bin/python bench/fetch.py --https         # over TLS (a throwaway CA, openssl CLI)

nginx (Debian's, as in bench/build.py) serves N small files on 127.0.0.1 in its own process, so
``time.process_time()`` in this process is the client's CPU alone (the resolver and pool threads
included). One fetch first learns each file's ETag and Last-Modified; the measured fetches then
send them back and get 304s, which is a warm build's whole fetch stage.

Rows:
- one at a time: ``fetch_url`` calls one after another;
- 8 threads: the same fetches from 8 threads at once, as a build fetches (``fetch.concurrency``).
With ``--https`` nginx serves TLS with a certificate for 127.0.0.1 made here by the openssl
command, trusted through ``SSL_CERT_FILE`` (read by httpx.create_ssl_context). Run it on two
checkouts (``git archive`` an older commit's src/ next to this file) to compare
before and after a change.
Not a unit test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.nginx import NGINX, Nginx, free_port  # noqa: E402
from tests.support.tls import self_signed_certificate  # noqa: E402

from feedhub.fetch import AddressPolicy, Validators, fetch_url  # noqa: E402

LOCAL = AddressPolicy(allow_private=True)


def one(url: str, known: Validators) -> None:
    result = fetch_url("bench", url, known, policy=LOCAL)
    assert result.not_modified, (url, result.status)


def measure(urls: list[str], validators: list[Validators], threads: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per fetch over one pass of ``urls``."""
    cpu, wall = time.process_time(), time.perf_counter()
    if threads == 1:
        for url, known in zip(urls, validators, strict=True):
            one(url, known)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, urls, validators))
    n = len(urls)
    return ((time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fetches", type=int, default=400, help="conditional GETs per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per row (median shown)")
    parser.add_argument("--https", action="store_true", help="serve and fetch over TLS")
    args = parser.parse_args()
    if not NGINX:
        sys.exit("nginx is not installed (Debian package nginx-light or nginx)")
    with tempfile.TemporaryDirectory(prefix="feedhub-bench-fetch-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for n in range(args.fetches):
            (docs / f"f{n}.xml").write_text(f"<rss><channel><title>{n}</title></channel></rss>",
                                            encoding="utf-8")
        port = free_port()
        scheme, tls = "http", ""
        if args.https:
            cert, key = self_signed_certificate(Path(tmp), "feedhub bench")
            os.environ["SSL_CERT_FILE"] = str(cert)  # before the first fetch makes its context
            scheme, tls = "https", f" ssl; ssl_certificate {cert}; ssl_certificate_key {key}"
        block = f"server {{ listen 127.0.0.1:{port}{tls}; root {docs}; }}"
        with Nginx(Path(tmp) / "nginx", block, port):
            urls = [f"{scheme}://127.0.0.1:{port}/f{n}.xml" for n in range(args.fetches)]
            validators = []
            for url in urls:
                first = fetch_url("bench", url, policy=LOCAL)
                validators.append(Validators(first.etag, first.last_modified))
            rows = [("one at a time", 1), ("8 threads", 8)]
            print(f"{args.fetches} conditional GETs (304) per run over {scheme} against nginx on "
                  "127.0.0.1, "
                  f"median of {args.runs} runs")
            print(f"{'row':<22}{'CPU ms/fetch':>14}{'wall ms/fetch':>15}")
            for name, threads in rows:
                runs = [measure(urls, validators, threads) for _ in range(args.runs)]
                print(f"{name:<22}{statistics.median(r[0] for r in runs):>14.3f}"
                      f"{statistics.median(r[1] for r in runs):>15.3f}")


if __name__ == "__main__":
    main()
