"""RFC 5005 archive documents: which ones to render, and rendering them on every core.

Archive n of a category holds the items at chronological positions [(n-1)*size, n*size),
complete pages only, counted from the oldest item, so an archive's items stay put as news
arrives; the subscription document links the newest archive, each archive its neighbours.

Archives are most of the files of a long-lived feed, and most of a cold build's publish time.
:func:`plan` decides from light store rows (no item bodies) which archives changed since the
last publish: their fingerprints are kept in ``archive/<slug>/index.json``. :func:`start`
hands the changed ones to worker processes when there are enough of them (each worker opens the
store itself and stages its files) and returns, so the publishing process renders the
subscription documents and pages meanwhile; :meth:`Rendering.finish` then adopts the workers'
files into its batch and renders here what is left, one archive's items in memory at a time
per process. A worker that dies costs time, not files: what it had not handed back is rendered
again here.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..model import Config, Item
from ..processes import process_pool
from ..store import Store, open_store
from .document import EPOCH, Catalogue, FeedDoc, catalogue, make_doc
from .files import Batch, PublishReport, Staged, Writer
from .formats import FORMATS, render

if TYPE_CHECKING:  # at run time they come with the first pool (processes.process_pool)
    from concurrent.futures import Future, ProcessPoolExecutor

INDEX = "archive/{slug}/index.json"
"""Fingerprints of the archive documents last written: unchanged archives are not rendered."""

PARALLEL_MIN = 48
"""Archives to render before worker processes pay for their start."""
JOBS_PER_TASK = 8
"""The fewest archives sent to a worker at once (fewer round trips)."""
TASKS_PER_PROCESS = 4
"""Each worker gets about this many runs of consecutive archives: few enough that an item's
two archives (its category's and `all`'s, a few jobs apart in time order) are nearly always
rendered by one worker, which then makes its entries once; enough to even out the load."""


@dataclass(frozen=True)
class Job:
    """One archive document to render (in every format)."""

    slug: str
    number: int
    archives: int
    """How many archives the category has (the newest has no next-archive link)."""
    ids: tuple[str, ...]
    """Its items, oldest first."""
    since: str = ""
    """When its oldest item was published (stored form): jobs are rendered in time order, so
    an item's archive in `all` and in its category are rendered close together and the second
    reuses the first one's entries (:class:`~.document.EntryCache`)."""


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    indexes: dict[str, dict[str, str]] = field(default_factory=dict)
    """Index file name -> archive number -> fingerprint, to write once the archives are."""


def _context(head: FeedDoc) -> str:
    """What every document of a feed is rendered from besides its items and paging, hashed
    (it names every configured source: hashing it again for each archive grew with the
    square of the sources, 1.8 s of a 4000-source publish)."""
    text = repr((__version__, sorted(FORMATS), head.slug, head.title, head.site,
                 sorted(head.categories.items()), sorted(head.sources.items())))
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _fingerprint(context: str, number: int, archives: int,
                 rows: Sequence[tuple[str, str]]) -> str:
    """Everything archive ``number`` is rendered from: the feed's context, its paging links and
    each of its items (rows from :meth:`Store.archive_rows`: no item is loaded for this). Only
    the newest archive depends on how many there are (it has no next-archive link), so a new
    archive changes its older neighbour's fingerprint and no other."""
    newest = number == archives
    digest = hashlib.sha256(f"{context}\n{number} {newest}\n".encode("utf-8", "replace"))
    for item_id, parts in rows:
        digest.update(f"{item_id} {parts}\n".encode("utf-8", "replace"))
    return digest.hexdigest()


def names(slug: str, number: int) -> list[str]:
    return [f"archive/{slug}/{number}.{ext}" for ext in FORMATS]


def plan(out: Path, head: FeedDoc, rows: Sequence[tuple[str, str]], size: int,
         into: Plan, report: PublishReport) -> None:
    """Add to ``into`` the archives of ``head.slug`` (``rows``: its items, oldest first) whose
    inputs changed since the last publish, or whose files are missing; report the others."""
    slug, archives = head.slug, head.prev_archive
    index_name = INDEX.format(slug=slug)
    try:
        known = json.loads((out / index_name).read_bytes())
    except (OSError, ValueError):
        known = {}
    context = _context(head)
    fingerprints: dict[str, str] = {}
    for number in range(1, archives + 1):
        chunk = rows[(number - 1) * size:number * size]
        fingerprint = fingerprints[str(number)] = _fingerprint(context, number, archives, chunk)
        files = names(slug, number)
        if known.get(str(number)) == fingerprint and all((out / n).is_file() for n in files):
            report.unchanged.extend(files)
            report.skipped.extend(files)
            continue
        into.jobs.append(Job(slug, number, archives, tuple(item_id for item_id, _ in chunk),
                             since=chunk[0][1].split(" ", 1)[0] if chunk else ""))
    if archives or known:
        into.indexes[index_name] = fingerprints


class RecentItems:
    """The items of the archives rendered last, so that an item's second archive (its
    category's and `all`'s hold the same items at about the same time, and jobs go in time
    order) does not load it from the store again. Bounded: the oldest go first.

    Within one publish only: an item changed meanwhile by another process is shown as it was
    when its first archive was rendered, as consistent as the plan's rows, and the next
    publish sees its changed rows and renders it again."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[str, Item] = OrderedDict()

    def get(self, store: Store, ids: Sequence[str]) -> dict[str, Item]:
        """The stored items of ``ids`` (an id deleted meanwhile is left out)."""
        found = {item_id: self._items[item_id] for item_id in ids if item_id in self._items}
        if len(found) < len(ids):
            found.update(store.get_items([item_id for item_id in ids if item_id not in found]))
        for item_id, item in found.items():
            self._items[item_id] = item
            self._items.move_to_end(item_id)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return found


def render_one(config: Config, store: Store, shared: Catalogue, job: Job,
               write: Writer, recent: RecentItems | None = None) -> None:
    """Render archive ``job`` in every format and hand each file to ``write``."""
    found = (recent or RecentItems()).get(store, job.ids)
    # Newest first; an item deleted since the rows were read (pruned by another worker) is
    # left out, and the next publish sees the changed rows.
    items = [found[item_id] for item_id in reversed(job.ids) if item_id in found]
    doc = make_doc(config, job.slug, items, shared=shared, archive=job.number,
                   prev_archive=job.number - 1,
                   next_archive=job.number + 1 if job.number < job.archives else 0)
    for name in names(job.slug, job.number):
        # Not parsed back (see Writer), and no .gz beside it (see files.gzip_level).
        write(name, render(name, doc), doc.updated, check=False)


Task = Callable[[Sequence[Job]], Staged]
"""What a worker runs on a batch of archives (formats.Renderer renders one document)."""


def start(config: Config, work: Plan, write: Writer, processes: int, *,
          task: Task | None = None) -> Rendering:
    """Hand the planned archives to worker processes when ``processes`` > 1 and there are
    enough of them, and return at once: the caller renders its own documents while they work,
    then calls :meth:`Rendering.finish`. ``task`` replaces the workers' function (tests make
    one that dies)."""
    jobs = sorted(work.jobs, key=lambda job: (job.since, job.slug, job.number))
    rendering = Rendering(config, write, jobs, work.indexes)
    if processes > 1 and len(jobs) >= PARALLEL_MIN:
        rendering.submit(processes, task or render_jobs)
    return rendering


class Rendering:
    """Archives on their way: in worker processes (when :func:`start` sent them any), and
    what no worker handed back rendered here by :meth:`finish`."""

    def __init__(self, config: Config, write: Writer, jobs: list[Job],
                 indexes: dict[str, dict[str, str]]) -> None:
        self.config = config
        self.write = write
        self.indexes = indexes
        self._left = jobs
        """Jobs no worker has (yet) handed back."""
        self._tasks: list[list[Job]] = []
        self._futures: list[Future[Staged]] = []
        self._adopted = 0
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, processes: int, task: Task) -> None:
        jobs = self._left
        size = max(JOBS_PER_TASK, -(-len(jobs) // (processes * TASKS_PER_PROCESS)))
        self._tasks = [jobs[at:at + size] for at in range(0, len(jobs), size)]
        try:
            self._pool = process_pool(processes, _start_worker, (self.config, self.write.out))
            self._futures = [self._pool.submit(task, chunk) for chunk in self._tasks]
        except Exception as exc:  # processes cannot be started: all is rendered here
            self._failed(exc, 0)

    def finish(self, store: Store, shared: Catalogue) -> None:
        """Adopt what the workers staged, in order; render here what they did not hand back;
        then stage the index files."""
        if self._tasks:
            self._collect()
        recent = RecentItems()
        for job in self._left:
            render_one(self.config, store, shared, job, self.write, recent)
        for index_name, fingerprints in self.indexes.items():
            data = json.dumps(fingerprints, indent=0, sort_keys=True).encode("ascii")
            self.write(index_name, data, EPOCH)

    def _collect(self) -> None:
        try:
            for future in self._futures[self._adopted:]:
                self.write.adopt(future.result())
                self._adopted += 1
        except Exception as exc:  # any failure out there is retried here, where it tells
            self._failed(exc, self._adopted)
            return
        self.close()
        self._left = []

    def _failed(self, exc: Exception, done: int) -> None:
        # A worker died (killed, out of memory: BrokenProcessPool), could not start, or raised:
        # this process renders what was not handed back (an error in the items raises again,
        # here). close() removes the files of tasks that finished but were not adopted; what a
        # dead worker staged stays as temp files that the next publish removes.
        self.close()
        self.write.report.worker_errors.append(
            f"archive worker processes failed ({type(exc).__name__}: {exc}); "
            f"{len(self._tasks) - done} of {len(self._tasks)} batches were rendered in the "
            "main process")
        self._left = [job for chunk in self._tasks[done:] for job in chunk]
        self._tasks, self._futures = [], []  # nothing more to collect: finish renders the rest

    def close(self) -> None:
        """Stop the workers; the files of what they rendered and nobody adopted (the publish
        failed meanwhile) are removed."""
        if self._pool is None:
            return
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        for future in self._futures[self._adopted:]:
            if future.done() and not future.cancelled() and future.exception() is None:
                Batch(future.result().pending).abort()


# -- in a worker process ---------------------------------------------------------------------

_worker: tuple[Config, Store, Catalogue, Path, RecentItems] | None = None


def _start_worker(config: Config, out: Path) -> None:
    global _worker
    _worker = (config, open_store(config.store, config.root), catalogue(config), out,
               RecentItems())


def render_jobs(jobs: Sequence[Job]) -> Staged:
    """A worker's task: render ``jobs`` and hand back the files it staged."""
    if _worker is None:
        raise RuntimeError("render_jobs runs in a worker started by _start_worker")
    config, store, shared, out, recent = _worker
    write = Writer(out, PublishReport(), Batch())
    try:
        for job in jobs:
            render_one(config, store, shared, job, write, recent)
    except BaseException:
        write.batch.abort()
        raise
    return write.staged()

