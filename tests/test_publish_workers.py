"""Archives rendered in worker processes: the same files as rendering them here, and a worker
that dies costs time, never files (publish/archives.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.publish import archives, publish_all
from feedhub.publish.files import Staged
from feedhub.store import open_store


def die(jobs: Sequence[archives.Job]) -> Staged:
    """A worker task that kills its process, as the OOM killer or a SIGKILL would."""
    os._exit(9)


def _tree(out: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(out)): (p.read_bytes(), int(p.stat().st_mtime))
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != ".build.lock"}


@pytest.fixture
def many_archives(config: Config, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The bundled sources built with one item per document: dozens of archives, published
    by worker processes (each opening the store itself: SQLite or PostgreSQL) as soon as there
    are two archives to render."""
    data = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    data["site"]["feed_size"] = 1
    data["store"] = store_url
    config.path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("FEEDHUB_PROCESSES", "1")
    config = load_config(config.path)
    assert build(config).ok
    monkeypatch.setattr(archives, "PARALLEL_MIN", 2)
    monkeypatch.setattr(archives, "JOBS_PER_TASK", 3)
    return config


def _publish_elsewhere(config: Config, name: str, processes: int,
                       **kwargs: object) -> tuple[Config, archives.PublishReport]:
    other = replace(config, output=str(config.root / name))
    with open_store(config.store, config.root) as store:
        report = publish_all(other, store, processes=processes, **kwargs)  # type: ignore[arg-type]
    return other, report


def test_workers_write_exactly_what_one_process_writes(many_archives: Config) -> None:
    inline, inline_report = _publish_elsewhere(many_archives, "inline", 1)
    workers, report = _publish_elsewhere(many_archives, "workers", 2)
    archive_files = [n for n in report.written if n.startswith("archive/")]
    assert len(archive_files) > 60, "expected dozens of archives in three formats"
    assert report.worker_errors == []
    assert sorted(report.written) == sorted(inline_report.written)
    assert _tree(workers.output_dir) == _tree(inline.output_dir)
    assert not list(workers.output_dir.rglob("*.tmp"))


def test_a_worker_that_dies_costs_time_not_files(many_archives: Config,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    inline, _ = _publish_elsewhere(many_archives, "inline", 1)
    real_start = archives.start

    def start_dying_workers(*args: object, **kwargs: object) -> archives.Rendering:
        return real_start(*args, task=die, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archives, "start", start_dying_workers)
    crashed, report = _publish_elsewhere(many_archives, "crashed", 2)
    [error] = report.worker_errors
    assert "BrokenProcessPool" in error, error
    assert _tree(crashed.output_dir) == _tree(inline.output_dir)


def test_entries_shared_between_documents_change_no_byte(many_archives: Config,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from feedhub.publish import document

    hits: list[int] = []
    real_get = document.EntryCache.get

    def counting_get(self: document.EntryCache, *args: Any) -> object | None:
        found = real_get(self, *args)
        hits.append(found is not None)
        return found

    monkeypatch.setattr(document.EntryCache, "get", counting_get)
    shared, _ = _publish_elsewhere(many_archives, "shared", 1)
    # Every item is in `all` and in its category: about half the entries are reused.
    assert sum(hits) > len(hits) / 3, (sum(hits), len(hits))
    monkeypatch.setattr(document.EntryCache, "get", lambda self, *args: None)
    alone, _ = _publish_elsewhere(many_archives, "alone", 1)
    assert _tree(shared.output_dir) == _tree(alone.output_dir)


def test_the_store_keeps_what_workers_staged_as_published(many_archives: Config,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """sync.publish copies each file into a shared store as it is staged (most while workers
    render): the store then holds every published file's final bytes and mtime. A SQLite
    store records every name, and no bytes."""
    from feedhub.sync import publish

    monkeypatch.setenv("FEEDHUB_PROCESSES", "2")
    # Another site title changes every document, so every archive is rendered again.
    renamed = replace(many_archives, site=replace(many_archives.site, title="Renamed"))
    with open_store(many_archives.store, many_archives.root) as store:
        report = publish(renamed, store, force=True)
        assert report is not None and report.worker_errors == []
        kept = store.published_versions()
        assert len([n for n in report.written if n.startswith("archive/")]) > 60
        assert sorted(kept) == sorted(set(kept) | set(report.written))
        for name in report.written:
            found = store.published_file(name)
            if not store.dialect.shared:
                assert found is None, name
                continue
            assert found is not None, name
            body, modified, _generation = found
            path = many_archives.output_dir / name
            assert body == path.read_bytes(), name
            assert modified == int(path.stat().st_mtime), name


def test_workers_render_archives_while_this_process_renders_the_rest(
        many_archives: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Archives go to the workers before the subscription documents and pages are rendered
    here; when that rendering fails, the workers are stopped and no file changes."""
    import multiprocessing

    from feedhub.publish import pages

    before = _tree(many_archives.output_dir)
    real_start = archives.start
    started: list[archives.Rendering] = []

    def start(*args: Any, **kwargs: Any) -> archives.Rendering:
        rendering = real_start(*args, **kwargs)
        started.append(rendering)
        return rendering

    def broken_pages(*args: object) -> object:
        assert started, "the pages were rendered before the archives went to the workers"
        raise RuntimeError("the page template is broken")

    monkeypatch.setattr(archives, "start", start)
    monkeypatch.setattr(pages, "render_pages", broken_pages)
    renamed = replace(many_archives, site=replace(many_archives.site, title="Renamed"))
    with open_store(many_archives.store, many_archives.root) as store, \
            pytest.raises(RuntimeError, match="page template"):
        publish_all(renamed, store, processes=2)
    assert multiprocessing.active_children() == []
    assert _tree(many_archives.output_dir) == before


def test_archive_workers_that_cannot_start_cost_nothing_but_the_message(
        many_archives: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    inline, _ = _publish_elsewhere(many_archives, "inline", 1)

    def no_processes(*args: object, **kwargs: object) -> object:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(archives, "process_pool", no_processes)
    alone, report = _publish_elsewhere(many_archives, "alone", 2)
    [error] = report.worker_errors
    assert "Too many open files" in error and "rendered in the main process" in error, error
    assert _tree(alone.output_dir) == _tree(inline.output_dir)
