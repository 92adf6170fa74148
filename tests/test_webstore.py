"""A web node with no output folder answers from the store exactly what the file server
answers (body, ETag, Last-Modified, gzip), and sees a new publish without a restart."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.store import open_store
from feedhub.web import MEDIA_TYPES, Published, StorePublished, create_app, published_for

from .support.postgres import PostgresCluster

PATHS = ["all.rss", "all.atom", "news.rss", "press-releases.atom", "features.rss"]


@pytest.fixture
def built_on(project: Path, postgres: PostgresCluster) -> Config:
    """Built into a shared store: the only kind whose web nodes read it (published_for), and
    the only kind that keeps published files' bytes (a SQLite store records their names)."""
    config = replace(load_config(project), store=postgres.create_database())
    assert build(config).ok
    return config


def headers_of(published: Published, relpath: str, gzip_ok: bool = False
               ) -> tuple[bytes, str, int]:
    ready = published.get(relpath, MEDIA_TYPES[relpath.rpartition(".")[2]])
    assert ready is not None, relpath
    variant = ready.zipped if gzip_ok else ready.plain
    return variant.body, variant.etag, ready.last_modified


def test_store_answers_what_the_files_answer(built_on: Config, tmp_path: Path) -> None:
    files = Published(built_on)
    # Another machine: same config, an output folder that was never built.
    elsewhere = replace(built_on, output=str(tmp_path / "never-built"))
    from_store = StorePublished(elsewhere, poll=0)
    for relpath in PATHS:
        assert headers_of(from_store, relpath) == headers_of(files, relpath), relpath
        body, etag, _ = headers_of(from_store, relpath, gzip_ok=True)
        assert gzip.decompress(body) == headers_of(files, relpath)[0]
        assert etag == headers_of(files, relpath, gzip_ok=True)[1]
    assert from_store.get("nope.rss", MEDIA_TYPES["rss"]) is None
    assert not Path(elsewhere.output_dir).exists()


def test_a_new_publish_reaches_the_web_node_and_unchanged_files_stay_cached(
        built_on: Config, tmp_path: Path) -> None:
    from_store = StorePublished(replace(built_on, output=str(tmp_path / "none")), poll=0)
    before = {p: from_store.get(p, MEDIA_TYPES[p.rpartition(".")[2]]) for p in PATHS}
    # A story is edited at its source: the feeds it is in change and are published again.
    feed = built_on.root / "examples" / "features.atom"
    feed.write_text(feed.read_text(encoding="utf-8").replace(
        "A second chance at school", "A second chance at school, edited"), encoding="utf-8")
    assert build(built_on).ok
    with open_store(built_on.store, built_on.root) as store:
        changed = {name for name in PATHS
                   if store.published_versions()[name] != before[name].version[0]}  # type: ignore[union-attr]
    assert "all.rss" in changed and "news.rss" not in changed
    after = {p: from_store.get(p, MEDIA_TYPES[p.rpartition(".")[2]]) for p in PATHS}
    for name in PATHS:
        if name in changed:
            assert after[name] is not before[name]
        else:
            assert after[name] is before[name], name  # held in memory, not read again
    files = Published(built_on)
    for name in PATHS:
        assert headers_of(from_store, name) == headers_of(files, name)


def test_web_nodes_use_the_store_only_when_it_is_shared(config: Config) -> None:
    assert type(published_for(config)) is Published
    assert isinstance(published_for(replace(config, store="postgresql://x@127.0.0.1:1/db")),
                      StorePublished)


def test_flask_app_on_postgresql_serves_from_the_store(project: Path, postgres: object,
                                                       tmp_path: Path) -> None:
    from .support.postgres import PostgresCluster

    assert isinstance(postgres, PostgresCluster)
    url = postgres.create_database()
    text = project.read_text().replace("store: sqlite:///feedhub.db", f"store: {url}")
    if f"store: {url}" not in text:
        text += f"\nstore: {url}\n"
    project.write_text(text)
    config = load_config(project)
    client = create_app({"FEEDHUB_CONFIG": str(project), "TESTING": True}).test_client()
    assert client.get("/feeds/all.rss").status_code == 503  # nothing published yet
    worker_side = replace(config, output=str(tmp_path / "worker-feeds"))
    assert build(worker_side).ok
    assert not config.output_dir.exists() or not (config.output_dir / "all.rss").exists()
    import time

    time.sleep(1.1)  # the web node looks for a new publish at most once a second
    response = client.get("/feeds/all.rss")
    assert response.status_code == 200
    assert response.data == (worker_side.output_dir / "all.rss").read_bytes()
    again = client.get("/feeds/all.rss", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_held_files_are_still_served_when_the_database_goes_away(
        project: Path, postgres: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    from .support.postgres import PostgresCluster

    assert isinstance(postgres, PostgresCluster)
    url = postgres.create_database()
    config = replace(load_config(project), store=url)
    assert build(config).ok
    node = StorePublished(replace(config, output=str(tmp_path / "none")), poll=0)
    held = headers_of(node, "all.rss")
    with psycopg.connect(postgres.url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    assert headers_of(node, "all.rss") == held
    assert "cannot reach the store" in caplog.text
    assert node.get("news.rss", MEDIA_TYPES["rss"]) is None  # never loaded: 503 upstream
    node.close()


def test_every_link_of_every_published_document_answers_on_a_web_node(
        project: Path, postgres: PostgresCluster, tmp_path: Path) -> None:
    """A web node with only sources.yaml (no output folder) serves everything a file-backed
    node serves: pages, feeds, archives, embeds, OPML and static files. Walks every link
    from the index, expecting 200 for each."""
    import re
    import time
    from urllib.parse import urljoin, urlsplit

    url = postgres.create_database()
    text = project.read_text().replace("store: sqlite:///feedhub.db", f"store: {url}")
    if f"store: {url}" not in text:
        text += f"\nstore: {url}\n"
    # Small feeds, so that every feed has archives to link.
    text = text.replace("  language: en\n", "  language: en\n  feed_size: 3\n", 1)
    project.write_text(text)
    config = load_config(project)
    assert config.site.feed_size == 3
    assert build(replace(config, output=str(tmp_path / "worker-feeds"))).ok
    node = tmp_path / "node"
    node.mkdir()
    (node / "sources.yaml").write_text(text)
    client = create_app({"FEEDHUB_CONFIG": str(node / "sources.yaml"),
                         "TESTING": True}).test_client()
    time.sleep(1.1)  # the web node looks for a new publish at most once a second
    base = config.site.base_url.rstrip("/")
    link = re.compile(r'(?:href|src|url)="([^"]+)"|<(?:link|comments|docs)>([^<]+)<')
    # Embeds are linked from partner pages, not from ours: they start the walk too.
    todo = ["/", "/feeds.opml", *(f"/embed/{slug}.{ext}" for slug in config.feed_slugs
                                  for ext in ("js", "html"))]
    seen: set[str] = set()
    archives = 0
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers={"Accept": "application/xml"})
        assert response.status_code == 200, (path, response.status_code, response.data[:200])
        archives += "/feeds/archive/" in path
        if response.mimetype not in ("text/html", "application/rss+xml", "application/xml",
                                     "application/atom+xml", "text/x-opml", "text/xml"):
            continue
        for match in link.finditer(response.get_data(as_text=True)):
            found = (match.group(1) or match.group(2)).replace("&amp;", "&")
            target = urljoin(base + path, found)
            if target.startswith(base + "/"):
                parts = urlsplit(target)
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert not (node / "feeds").exists()
    assert archives > 0 and any(p.startswith("/embed/") for p in seen), sorted(seen)
    assert any(p.startswith("/static/") for p in seen) and "/feeds.opml" in seen


def test_healthz_on_a_web_node_is_judged_from_the_store(
        project: Path, postgres: PostgresCluster, tmp_path: Path) -> None:
    """A web node has no output folder: its health is the store's last successful publish and
    its age (serve.stale_after), never the local folder."""
    import time

    import psycopg

    url = postgres.create_database()
    text = project.read_text().replace("store: sqlite:///feedhub.db", f"store: {url}")
    if f"store: {url}" not in text:
        text += f"\nstore: {url}\n"
    project.write_text(text)
    node = tmp_path / "node"
    node.mkdir()
    (node / "sources.yaml").write_text(text)
    client = create_app({"FEEDHUB_CONFIG": str(node / "sources.yaml"),
                         "TESTING": True}).test_client()
    assert client.get("/healthz").status_code == 503  # nothing published yet
    config = load_config(project)
    assert build(replace(config, output=str(tmp_path / "worker-feeds"))).ok
    time.sleep(1.1)  # the web node looks for a new publish at most once a second
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.json
    assert healthy.json["status"] == "ok"
    assert not (node / "feeds").exists()
    # The last publish ages past serve.stale_after (a day by default): unhealthy, and why.
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE builds SET started = '2020-01-01T00:00:00.000000Z', "
                   "finished = '2020-01-01T00:00:00.000000Z'")
    stale = client.get("/healthz")
    assert stale.status_code == 503
    assert any("stale_after" in reason for reason in stale.json["reasons"]), stale.json
    assert str(tmp_path) not in stale.get_data(as_text=True)
