"""Items -> files in the output folder, for every category and `all`.

Contract: every file is rendered in full from the store, checked well-formed and written
atomically, only when its bytes changed (files.py says how, and why it is batched: one flush
per publish). Archives (archives.py) are planned from light store rows and rendered on every
core when there are many; everything else is rendered here.

What is written (the URL contract with web.py, see PROTOCOL/README):
    <slug>.rss|.atom|.json            the newest ``feed_size`` items of a category (or `all`)
    archive/<slug>/<n>.rss|.atom|.json RFC 5005 archive n (1 = oldest), ``feed_size`` items each
    index.html, c/<slug>.html         pages for people; feeds.opml: every feed in one list
    embed/<slug>.js|.html             the partner embed (script and iframe)
    static/feedhub.css, static/feedhub.js
After writing, a configured WebSub hub is told which subscription feeds changed; a hub
failure is reported in :class:`PublishReport`, it never fails the build.
"""

from __future__ import annotations

from ..errors import PublishError
from ..model import Config
from ..processes import default_processes
from ..store import Store
from . import archives, pages, websub
from .document import EPOCH, Catalogue, FeedDoc, catalogue, make_doc
from .files import (
    Batch,
    OnStaged,
    PublishReport,
    Writer,
    check_well_formed,
    gz_path,
    publish_file,
    remove_stale_temps,
    write_atomic,
)
from .formats import FORMATS, render
from .opml import render_opml

__all__ = ["FORMATS", "Batch", "PublishReport", "check_well_formed", "gz_path", "publish_all",
           "publish_file", "remove_stale_temps", "write_atomic"]


def publish_all(
    config: Config,
    store: Store,
    *,
    notify: websub.Notifier = websub.notify,
    processes: int | None = None,
    on_staged: OnStaged | None = None,
) -> PublishReport:
    """Render every category (and `all`) in every format, with archives, pages and embeds.
    Archives are rendered in up to ``processes`` worker processes (default:
    :func:`~feedhub.processes.default_processes`) when there are many. ``on_staged`` is told
    of each changed file as soon as it is staged, before the files are put in place (sync.py
    copies them into the store meanwhile, while workers render)."""
    out = config.output_dir
    remove_stale_temps(out)
    batch = Batch()
    try:
        report = _publish_all(config, store, Writer(out, PublishReport(), batch, on_staged),
                              notify, default_processes() if processes is None else processes)
    except BaseException:
        batch.abort()
        raise
    return report


def _plan_feed(config: Config, store: Store, slug: str, shared: Catalogue,
               work: archives.Plan, write: Writer) -> FeedDoc:
    """The subscription document of ``slug``, its changed archives added to ``work``. Its own
    function so that a category's archive rows (every item's id and fingerprint text: tens
    of MB for a long feed) are let go before the next category's are read, and are not held
    while everything is rendered."""
    size = config.feed_size(slug)
    rows = store.archive_rows(slug) if store.count_items(slug) > size else []
    doc = make_doc(config, slug, store.items_for(slug, size), shared=shared,
                   prev_archive=len(rows) // size if len(rows) > size else 0)
    archives.plan(write.out, doc, rows, size, work, write.report)
    return doc


def _publish_all(config: Config, store: Store, write: Writer, notify: websub.Notifier,
                 processes: int) -> PublishReport:
    report = write.report
    subscriptions: list[FeedDoc] = []
    changed_urls: list[str] = []
    shared = catalogue(config)
    work = archives.Plan()
    for slug in config.feed_slugs:
        subscriptions.append(_plan_feed(config, store, slug, shared, work, write))
    # Workers (if any) start on the archives; this process renders the rest meanwhile.
    rendering = archives.start(config, work, write, processes)
    try:
        for doc in subscriptions:
            for ext in FORMATS:
                name = f"{doc.slug}.{ext}"
                if write(name, render(name, doc), doc.updated):
                    changed_urls.append(doc.url(ext))
        newest = max((doc.updated for doc in subscriptions), default=EPOCH)
        write("feeds.opml", render_opml(subscriptions, config.site.title,
                                        config.site.author or config.site.title), newest)
        for name, data, modified in pages.render_pages(config, subscriptions):
            write(name, data, modified)
        rendering.finish(store, shared)
    finally:
        rendering.close()
    try:
        write.batch.commit()
    except OSError as exc:
        raise PublishError(f"cannot write into {write.out}: {exc}; check that the output "
                           "folder is writable and the disk is not full") from exc
    if config.site.websub_hub and changed_urls:
        outcome = notify(config.site.websub_hub, changed_urls)
        report.hub_notified.extend(outcome.notified)
        report.hub_errors.extend(outcome.errors)
    return report
