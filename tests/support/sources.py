"""A set of RSS sources served by a LocalServer, and a sources.yaml that reads them."""

from __future__ import annotations

from pathlib import Path

from .httpd import Handler, LocalServer, Reply, Request

CATEGORIES = ("news", "press-releases")


def rss(source: str, count: int, version: int = 1) -> bytes:
    """A small RSS feed; ``version`` changes the titles (a story edited at the source)."""
    items = "".join(
        f"<item><title>{source} story {n} v{version}</title>"
        f"<link>https://example.org/{source}/{n}</link>"
        f"<category>{'Press release' if n % 2 else 'News'}</category>"
        f"<pubDate>Tue, {10 + n:02d} Nov 2026 09:00:00 GMT</pubDate>"
        f"<description>About {source} {n}.</description></item>"
        for n in range(1, count + 1)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{source}</title><link>https://example.org/{source}</link>"
            f"<description>{source}</description>{items}</channel></rss>").encode()


def serve_sources(server: LocalServer, names: list[str], handler: Handler | None = None
                  ) -> None:
    """Route /<name>.rss for each name (``handler`` overrides the fixed reply)."""
    for name in names:
        body = rss(name, 3)

        def fixed(request: Request, body: bytes = body) -> Reply:
            return Reply(200, body, {"Content-Type": "application/rss+xml"})

        server.route(f"/{name}.rss", handler=handler or fixed)


def write_config(folder: Path, server: LocalServer, names: list[str], store: str) -> Path:
    lines = [
        "site:", "  title: Test hub", "  base_url: https://hub.example.org", "",
        "categories:",
        "  - slug: news", "    labels: [News]",
        "  - slug: press-releases", "    labels: [Press release]", "",
        "sources:",
    ]
    for name in names:
        lines += [f"  - id: {name}", "    kind: feed", f"    url: {server.url(f'/{name}.rss')}",
                  "    allow_private: true  # the test server is on 127.0.0.1",
                  "    category: news"]
    lines += ["", f"store: {store}", "output: feeds", ""]
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def fetches(server: LocalServer, name: str) -> int:
    return sum(1 for r in list(server.requests) if r.path.split("?")[0] == f"/{name}.rss")
