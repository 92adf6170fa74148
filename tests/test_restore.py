"""A worker's output folder is brought up to the store's published files: only what changed
since it was last brought up, each file with its ``.gz`` in step (PostgreSQL: the one store
that keeps published files' bytes)."""

from __future__ import annotations

import gzip
import os
from dataclasses import replace
from pathlib import Path

import pytest

from feedhub.config import load_config
from feedhub.model import Config
from feedhub.pipeline import build
from feedhub.store import Store, open_store
from feedhub.sync import RESTORED_MARK, restore_output

from .support.postgres import PostgresCluster


@pytest.fixture
def shared(project: Path, postgres: PostgresCluster, tmp_path: Path) -> Config:
    config = replace(load_config(project), store=postgres.create_database(),
                     output=str(tmp_path / "worker-a"))
    assert build(config).ok
    return config


def counting_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    original = store.published_file

    def published_file(path: str) -> tuple[bytes, int, int] | None:
        read.append(path)
        return original(path)

    monkeypatch.setattr(store, "published_file", published_file)
    return read


def test_a_new_folder_gets_every_file_with_its_gz_then_nothing_is_read_again(
        shared: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "worker-b"
    with open_store(shared.store, shared.root) as store:
        names = sorted(store.published_paths())
        assert restore_output(store, other) == len(names)
        for name in names:
            body, modified, _ = store.published_file(name) or (b"", 0, 0)
            path = other / name
            assert path.read_bytes() == body
            assert int(path.stat().st_mtime) == modified
            zipped = path.with_name(path.name + ".gz")
            assert gzip.decompress(zipped.read_bytes()) == body, name
            assert int(zipped.stat().st_mtime) == modified
            # The same bytes the publisher wrote beside its own copy.
            assert zipped.read_bytes() == (shared.output_dir / (name + ".gz")).read_bytes()
        read = counting_reads(store, monkeypatch)
        assert restore_output(store, other) == 0
        assert read == []


def test_after_a_publish_elsewhere_only_the_changed_files_are_read(
        shared: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "worker-b"
    with open_store(shared.store, shared.root) as store:
        restore_output(store, other)
        before = store.published_versions()
    feed = shared.root / "examples" / "features.atom"
    feed.write_text(feed.read_text(encoding="utf-8").replace(
        "A second chance at school", "A second chance at school, edited"), encoding="utf-8")
    assert build(shared).ok  # worker A publishes the change
    with open_store(shared.store, shared.root) as store:
        after = store.published_versions()
        changed = sorted(name for name in after if after[name] != before.get(name))
        assert changed and len(changed) < len(after)
        read = counting_reads(store, monkeypatch)
        assert restore_output(store, other) == len(changed)
        assert sorted(read) == changed
        for name in changed:
            assert (other / name).read_bytes() == (shared.output_dir / name).read_bytes()
            assert (other / (name + ".gz")).read_bytes() == \
                (shared.output_dir / (name + ".gz")).read_bytes()


def test_a_file_lost_from_the_folder_is_restored_even_when_the_mark_is_current(
        shared: Config, tmp_path: Path) -> None:
    other = tmp_path / "worker-b"
    with open_store(shared.store, shared.root) as store:
        restore_output(store, other)
        (other / "all.rss").unlink()
        os.remove(other / "news.atom.gz")
        assert (other / RESTORED_MARK).exists()
        assert restore_output(store, other) == 1
        assert (other / "all.rss").read_bytes() == (shared.output_dir / "all.rss").read_bytes()
        assert (other / "news.atom.gz").read_bytes() == \
            (shared.output_dir / "news.atom.gz").read_bytes()


def test_archives_are_restored_without_a_gz_and_an_old_one_goes(
        project: Path, postgres: PostgresCluster, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As the publisher writes them: no .gz beside an archive document (one left by an older
    feedhub is removed, nginx would serve it however old), and a folder brought up to date
    is not read again for want of one."""
    config = load_config(project)
    config = replace(config, site=replace(config.site, feed_size=3),
                     store=postgres.create_database(), output=str(tmp_path / "worker-a"))
    assert build(config).ok
    other = tmp_path / "worker-b"
    stale = other / "archive" / "all" / "1.rss.gz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(gzip.compress(b"<rss>old</rss>"))
    with open_store(config.store, config.root) as store:
        names = sorted(store.published_paths())
        archives = [name for name in names if name.startswith("archive/")]
        assert "archive/all/1.rss" in archives
        assert restore_output(store, other) == len(names)
        for name in names:
            assert (other / (name + ".gz")).exists() == (name not in archives), name
        read = counting_reads(store, monkeypatch)
        assert restore_output(store, other) == 0
        assert read == []
