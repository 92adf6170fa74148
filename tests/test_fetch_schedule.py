"""Builds over real HTTP on 127.0.0.1: refresh intervals and --force, concurrency bounds,
conditional GET through the pipeline, failure isolation, `feedhub status` and progress lines."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedhub import schedule
from feedhub.categories import CategoryMap
from feedhub.cli import main
from feedhub.config import load_config
from feedhub.fetch import Validators, fetch
from feedhub.model import FetchResult, FetchSettings, Selectors, Source, SourceKind
from feedhub.pipeline import build
from feedhub.schedule import due_at, fetch_all, is_due, settings_hash
from feedhub.store import SourceState, interval_after, open_store

from .support.httpd import LocalServer, Reply, Request
from .support.sources import rss

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def write(folder: Path, sources: list[dict[str, str]], fetch: str = "") -> Path:
    lines = ["site: {title: T, base_url: 'https://hub.example.org'}", "sources:"]
    for source in sources:
        lines.append("  - {" + ", ".join(f"{k}: {v!r}" if k != "allow_private" else f"{k}: {v}"
                                         for k, v in source.items()) + "}")
    if fetch:
        lines += ["fetch:", *(f"  {line}" for line in fetch.splitlines())]
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def feed_source(httpd: LocalServer, name: str, host: str = "127.0.0.1", **extra: str
                ) -> dict[str, str]:
    url = httpd.url(f"/{name}.rss").replace("127.0.0.1", host)
    return {"id": name, "kind": "feed", "url": url, "allow_private": "true", **extra}


def hits(httpd: LocalServer, name: str) -> int:
    return sum(1 for r in list(httpd.requests) if r.path == f"/{name}.rss")


def test_due_is_refresh_after_the_last_attempt() -> None:
    never = SourceState(id="a")
    assert due_at(never, timedelta(minutes=15)) is None and is_due(never, timedelta(0), NOW)
    seen = SourceState(id="a", last_attempt=NOW)
    assert due_at(seen, timedelta(minutes=15)) == NOW + timedelta(minutes=15)
    assert not is_due(seen, timedelta(minutes=15), NOW + timedelta(minutes=14))
    assert is_due(seen, timedelta(minutes=15), NOW + timedelta(minutes=15))


def test_failures_in_a_row_double_the_wait_up_to_a_day() -> None:
    quarter = timedelta(minutes=15)
    # A success (0) or a first failure keeps the interval; then 2x, 4x, 8x...
    assert [interval_after(quarter, n) for n in range(5)] == [
        quarter, quarter, 2 * quarter, 4 * quarter, 8 * quarter]
    assert [interval_after(quarter, n) for n in (7, 8, 10**6)] == [
        timedelta(hours=16), timedelta(hours=24), timedelta(hours=24)]
    # An interval of a day or more is never stretched (nor overflows).
    assert interval_after(timedelta(days=3), 10**6) == timedelta(days=3)
    failing = SourceState(id="a", last_attempt=NOW, failures=3)
    assert due_at(failing, quarter) == NOW + 4 * quarter
    assert not is_due(failing, quarter, NOW + 3 * quarter)


def test_a_failing_source_is_asked_less_often_until_it_answers(httpd: LocalServer,
                                                               tmp_path: Path) -> None:
    """Over real HTTP: a source answering 404 is fetched 10, then 20, then 40 minutes after
    its last attempt, while a healthy one keeps its 10 minutes; once it answers, its interval
    is 10 minutes again."""
    httpd.route("/often.rss", rss("often", 2))
    httpd.route("/gone.rss", b"gone", status=404)
    config = load_config(write(tmp_path, [feed_source(httpd, "often"),
                                          feed_source(httpd, "gone")], "refresh: 10m"))
    minute = timedelta(minutes=1)
    for at in (0, 10, 20, 30, 40, 50, 60, 70):  # a build every 10 minutes, as cron would run
        report = build(config, now=NOW + at * minute, due_only=True)
        if at == 0:
            assert "HTTP 404" in report.sources[1].error
        if at == 20:
            assert [r.next_due for r in report.sources] == [None, NOW + 30 * minute]
            assert report.sources[1].failures == 2
            assert "gone" not in {r.source_id for r in report.failed}
    # often: every build; gone: at 0, 10 (2nd failure: 20 min), 30 (3rd: 40 min), 70.
    assert (hits(httpd, "often"), hits(httpd, "gone")) == (8, 4)
    with open_store(config.store, config.root) as store:
        assert store.source_state("gone").failures == 4
        # --force still fetches it at once.
        httpd.route("/gone.rss", rss("gone", 1))
    forced = build(config, now=NOW + 71 * minute)
    assert forced.ok and hits(httpd, "gone") == 5
    back = build(config, now=NOW + 81 * minute, due_only=True)
    assert hits(httpd, "gone") == 6 and back.ok


def test_sources_not_due_are_skipped_until_their_refresh(httpd: LocalServer,
                                                         tmp_path: Path) -> None:
    for name in ("hourly", "often"):
        httpd.route(f"/{name}.rss", rss(name, 2))
    config = load_config(write(tmp_path, [feed_source(httpd, "hourly", refresh="1h"),
                                          feed_source(httpd, "often")], "refresh: 10m"))
    assert build(config, now=NOW, due_only=True).ok
    second = build(config, now=NOW + timedelta(minutes=5), due_only=True)
    assert [r.next_due for r in second.sources] == [NOW + timedelta(hours=1),
                                                   NOW + timedelta(minutes=10)]
    assert second.sources[0].found == 2  # what the store holds, still published
    build(config, now=NOW + timedelta(minutes=11), due_only=True)
    assert (hits(httpd, "hourly"), hits(httpd, "often")) == (1, 2)
    build(config, now=NOW + timedelta(minutes=12))  # not due_only: everything
    assert (hits(httpd, "hourly"), hits(httpd, "often")) == (2, 3)


def test_cli_build_skips_sources_not_due_and_force_fetches_them(httpd: LocalServer,
                                                                tmp_path: Path) -> None:
    httpd.route("/a.rss", rss("a", 2))
    path = write(tmp_path, [feed_source(httpd, "a")])
    runner = CliRunner()
    first = runner.invoke(main, ["build", "-c", str(path)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["build", "-c", str(path)])
    assert second.exit_code == 0 and "not due until" in second.stdout
    assert hits(httpd, "a") == 1
    forced = runner.invoke(main, ["build", "--force", "-c", str(path)])
    assert forced.exit_code == 0 and "not due" not in forced.stdout
    assert hits(httpd, "a") == 2


def test_cli_build_says_why_a_failing_source_is_put_off(httpd: LocalServer,
                                                        tmp_path: Path) -> None:
    httpd.route("/gone.rss", b"gone", status=404)
    path = write(tmp_path, [feed_source(httpd, "gone")])
    runner = CliRunner()
    for _ in range(2):  # two failures in a row
        failed = runner.invoke(main, ["build", "--force", "-c", str(path)])
        assert failed.exit_code != 0 and "HTTP 404" in failed.stdout
    put_off = runner.invoke(main, ["build", "-c", str(path)])
    assert put_off.exit_code == 0, put_off.output
    assert "after 2 failures in a row (--force fetches it)" in put_off.stdout
    logged = runner.invoke(main, ["--log-format", "json", "-q", "build", "-c", str(path)])
    line = json.loads(logged.stderr.splitlines()[0])
    assert (line["source"], line["outcome"], line["failures"]) == ("gone", "not-due", 2)
    assert hits(httpd, "gone") == 2


def test_progress_lines_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from feedhub.cli import Progress
    from feedhub.pipeline import SourceReport

    quick = Progress(terminal=False)  # a short build: nothing beyond the log lines
    for n in range(1, 4):
        quick(SourceReport(f"s{n}"), n, 3)
    assert capsys.readouterr().err == ""
    slow = Progress(terminal=False, every=0)  # every call is "later than every seconds"
    slow(SourceReport("a"), 1, 2)
    slow(SourceReport("b", error="HTTP 500"), 2, 2)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[1/2] sources done, 0 failed, ")
    assert lines[1].startswith("[2/2] sources done, 1 failed, ") and lines[1].endswith("b")


def test_conditional_get_through_the_pipeline_skips_parsing(httpd: LocalServer,
                                                            tmp_path: Path) -> None:
    body = rss("c", 3)

    def handler(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == '"c1"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"c1"'})

    httpd.route("/c.rss", handler=handler)
    config = load_config(write(tmp_path, [feed_source(httpd, "c")]))
    first = build(config, now=NOW)
    assert first.sources[0].new == 3 and not first.sources[0].unchanged_body
    second = build(config, now=NOW + timedelta(hours=1))
    assert second.sources[0].unchanged_body and second.sources[0].found == 3
    assert httpd.requests[-1].headers["If-None-Match"] == '"c1"'


def test_a_first_build_fetches_in_a_thread_and_a_warm_one_on_its_own(
        httpd: LocalServer, tmp_path: Path) -> None:
    """A first build has every body to parse and store, and a fetch thread from the start
    overlaps its fetches with that; a warm build (every source answers 304 at once) makes its
    fetches on its own thread, where no GIL changes hands."""
    names = [f"w{n}" for n in range(12)]
    for name in names:
        body = rss(name, 2)

        def handler(request: Request, body: bytes = body) -> Reply:
            if request.headers.get("If-None-Match") == '"v1"':
                return Reply(304)
            return Reply(200, body, {"ETag": '"v1"'})

        httpd.route(f"/{name}.rss", handler=handler)
    config = load_config(write(tmp_path, [feed_source(httpd, name) for name in names]))
    threads: Counter[str] = Counter()

    def fetcher(source: Source, root: Path, validators: Validators) -> FetchResult:
        threads[threading.current_thread().name] += 1
        return fetch(source, root, validators, config.fetch.limits)

    first = build(config, now=NOW, fetcher=fetcher)
    assert all(s.new == 2 for s in first.sources)
    # Every fetch on a fetch thread from the first on (a busy machine may add a second one
    # when fetches wait: that is the scheduler's rule, not this test's point).
    assert threads["feedhub-fetch-1"] >= 1 and threading.current_thread().name not in threads, (
        threads)
    assert sum(n for name, n in threads.items() if name.startswith("feedhub-fetch-")) == 12
    threads.clear()
    warm = build(config, now=NOW + timedelta(hours=1), fetcher=fetcher)
    assert all(s.unchanged_body for s in warm.sources)
    assert threads == {threading.current_thread().name: 12}, threads


def test_concurrency_is_bounded_globally_and_per_host(httpd: LocalServer,
                                                      tmp_path: Path) -> None:
    lock = threading.Lock()
    in_flight: dict[str, int] = {"all": 0}
    peak: dict[str, int] = {"all": 0}
    full = threading.Event()

    def handler(request: Request) -> Reply:
        host = request.headers["Host"].split(":")[0]
        with lock:
            for key in ("all", host):
                in_flight[key] = in_flight.get(key, 0) + 1
                peak[key] = max(peak.get(key, 0), in_flight[key])
            if in_flight["all"] >= 3:
                full.set()
        # Hold the first requests until three run at once, so the bounds are really met.
        full.wait(timeout=5)
        with lock:
            in_flight["all"] -= 1
            in_flight[host] -= 1
        return Reply(200, rss(request.path.strip("/.rs"), 1))

    names = [f"s{n}" for n in range(8)]
    for name in names:
        httpd.route(f"/{name}.rss", handler=handler)
    sources = [feed_source(httpd, name, "localhost" if n % 2 else "127.0.0.1")
               for n, name in enumerate(names)]
    config = load_config(write(tmp_path, sources, "concurrency: 3\nper_host: 2"))
    report = build(config, now=NOW)
    assert report.ok, [s.error for s in report.sources]
    assert [s.source_id for s in report.sources] == names  # config order, whatever finished
    assert peak["all"] == 3
    assert peak["localhost"] <= 2 and peak["127.0.0.1"] <= 2


def test_fetches_go_in_config_order_and_only_so_far_ahead(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads take the first source in config order whose host has room, and never more than
    AHEAD_PER_THREAD places per thread past the source the build waits for: bodies do not pile
    up when the build stores more slowly than it fetches."""
    sources = [Source(id=f"{h}{n}", kind=SourceKind.FEED, location=f"https://{h}.example/{n}")
               for h in ("a", "b") for n in range(3)]
    order: list[str] = []

    def record(source: Source) -> FetchResult:
        order.append(source.id)
        return FetchResult(url=source.location)

    assert [s.id for s, _ in fetch_all(sources, record, FetchSettings(concurrency=1))] == [
        "a0", "a1", "a2", "b0", "b1", "b2"]
    assert order == ["a0", "a1", "a2", "b0", "b1", "b2"]

    monkeypatch.setattr(schedule, "AHEAD_PER_THREAD", 3)
    many = _sources(200, hosts=5)
    order.clear()
    furthest = 0
    settings = FetchSettings(concurrency=2, per_host=2)
    for n, (source, _) in enumerate(fetch_all(many, record, settings)):
        assert source.id == f"s{n}"
        time.sleep(0.001)  # the build is slower than the fetches
        furthest = max(furthest, len(order) - n)
    assert sorted(order, key=lambda i: int(i[1:])) == [s.id for s in many]
    assert furthest <= 3 * 2 + 1, furthest


def test_a_failing_source_is_isolated_and_reported_by_status(httpd: LocalServer,
                                                             tmp_path: Path) -> None:
    state = {"empty": False}
    httpd.route("/good.rss", rss("good", 2))
    httpd.route("/down.rss", b"oops", status=500)

    def shrinking(request: Request) -> Reply:
        return Reply(200, rss("shrink", 0 if state["empty"] else 3))

    httpd.route("/shrink.rss", handler=shrinking)
    path = write(tmp_path, [feed_source(httpd, "good"), feed_source(httpd, "down"),
                            feed_source(httpd, "shrink")], "retries: 0")
    config = load_config(path)
    first = build(config, now=NOW)
    assert [s.ok for s in first.sources] == [True, False, True]
    assert "HTTP 500" in first.sources[1].error
    state["empty"] = True
    second = build(config, now=NOW + timedelta(hours=1))
    shrink = second.sources[2]
    assert "no items found, where the last good fetch had 3; keeping those" in shrink.error
    with open_store(config.store, config.root) as store:
        assert store.count_items() == 5  # good 2 + shrink's last good 3
        assert store.source_state("shrink").failures == 1
        assert store.source_state("down").failures == 2

    result = CliRunner().invoke(main, ["status", "--json", "-c", str(path)])
    assert result.exit_code == 0, result.output
    data = {s["id"]: s for s in json.loads(result.stdout)["sources"]}
    assert data["good"]["failures"] == 0 and data["good"]["items"] == 2
    assert data["good"]["next_due"] == (NOW + timedelta(hours=1, minutes=15)).isoformat()
    assert data["down"]["failures"] == 2 and data["down"]["last_success"] is None
    assert "HTTP 500" in data["down"]["last_error"]
    assert data["shrink"]["failures"] == 1 and data["shrink"]["items"] == 3
    assert data["shrink"]["last_success"] == NOW.isoformat()

    table = CliRunner().invoke(main, ["status", "-c", str(path)])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["source", "items", "fails", "last", "success", "next", "due",
                                "last", "error"]
    down = next(line for line in lines if line.startswith("down"))
    assert "never" in down and "HTTP 500" in down


@pytest.mark.parametrize("args", [["status"], ["status", "--json"]])
def test_status_before_any_build_says_never(tmp_path: Path, args: list[str]) -> None:
    path = write(tmp_path, [{"id": "x", "kind": "feed", "url": "https://x.example/f"}])
    result = CliRunner().invoke(main, [*args, "-c", str(path)])
    assert result.exit_code == 0, result.output
    if "--json" in args:
        assert json.loads(result.stdout)["sources"][0]["next_due"] is None
    else:
        assert "never" in result.stdout and "now" in result.stdout


def _sources(count: int, hosts: int) -> list[Source]:
    return [Source(id=f"s{n}", kind=SourceKind.FEED, location=f"https://h{n % hosts}.example/{n}")
            for n in range(count)]


def test_fetch_threads_are_added_only_while_the_build_waits() -> None:
    """Sources that answer at once are fetched by the build's own thread (a fetch thread would
    only hand the GIL back and forth); sources that keep the build waiting get up to
    ``concurrency`` threads, never more than ``per_host`` on one host."""
    sources = _sources(200, hosts=4)
    threads: Counter[str] = Counter()

    def at_once(source: Source) -> FetchResult:
        threads[threading.current_thread().name] += 1
        return FetchResult(url=source.location, body=source.id.encode())

    settings = FetchSettings(concurrency=8, per_host=2)
    out = [(s.id, r) for s, r in fetch_all(sources, at_once, settings)]
    assert [(i, r.body) for i, r in out if isinstance(r, FetchResult)] == [
        (s.id, s.id.encode()) for s in sources]
    # A stall of the machine may add a thread; nearly every fetch still ran on the build's.
    assert threads[threading.current_thread().name] >= 180, threads

    lock = threading.Lock()
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    def slow(source: Source) -> FetchResult:
        host = source.location.split("/")[2]
        with lock:
            for key in ("all", host):
                running[key] += 1
                peak[key] = max(peak[key], running[key])
        time.sleep(0.1)
        with lock:
            running["all"] -= 1
            running[host] -= 1
        return FetchResult(url=source.location)

    started = time.monotonic()
    assert len(list(fetch_all(_sources(32, hosts=4), slow, settings))) == 32
    assert peak["all"] == 8 and all(peak[f"h{n}.example"] == 2 for n in range(4)), peak
    # 32 fetches of 0.1 s, 8 at a time once the threads are up: about 0.5 s, not 3.2 s.
    assert time.monotonic() - started < 1.6

    # With concurrency 1 the build's thread fetches everything itself, one at a time, however
    # long it waits: the fetch it makes counts as one of the ``concurrency``.
    peak.clear()
    threads.clear()

    def slow_on(source: Source) -> FetchResult:
        threads[threading.current_thread().name] += 1
        return slow(source)

    assert len(list(fetch_all(_sources(4, hosts=2), slow_on, FetchSettings(concurrency=1)))) == 4
    assert peak["all"] == 1 and threads == {threading.current_thread().name: 4}, (peak, threads)


def _fetching_threads_after_a_pause(seconds: float) -> Counter[str]:
    """Fetch 20 sources of one host, the first of which pauses the whole process (holds the
    GIL) for ``seconds`` and then answers: the threads that fetched, with how many each."""
    threads: Counter[str] = Counter()

    def pauses_first(source: Source) -> FetchResult:
        threads[threading.current_thread().name] += 1
        if source.id == "s0":
            switching = sys.getswitchinterval()
            sys.setswitchinterval(10.0)  # no other thread runs until this one blocks
            try:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pass
            finally:
                sys.setswitchinterval(switching)
            time.sleep(0.005)  # then the answer arrives, as a fetch that paused mid-way
        return FetchResult(url=source.location, body=source.id.encode())

    out = list(fetch_all(_sources(20, hosts=1), pauses_first, FetchSettings(concurrency=8)))
    assert [s.id for s, _ in out] == [f"s{n}" for n in range(20)]
    return threads


def test_a_stall_of_the_whole_process_starts_no_fetch_thread() -> None:
    """A pause of the whole process (a garbage collection of a large heap holds the GIL) while
    the build's thread fetches a source itself is no wait on the network: the sources that
    answer at once are still fetched by the build's own thread."""
    threads = _fetching_threads_after_a_pause(0.2)
    assert threads == {threading.current_thread().name: 20}, threads


def test_a_pause_shorter_than_two_ramp_intervals_starts_no_fetch_thread() -> None:
    """A pause of the whole process that ends before the ramp thread's wake-up is much overdue
    (30 ms: a full collection of a warm N=4000 build's heap) is no wait on the network either:
    the time the process computed while the build waited does not count."""
    threads = _fetching_threads_after_a_pause(1.5 * schedule.RAMP_AFTER)
    assert threads == {threading.current_thread().name: 20}, threads


def test_servers_a_few_ms_away_get_threads_too() -> None:
    """A server 5 ms away never keeps the build waiting 20 ms at once, but fetching its
    sources one at a time would take ten times as long as eight at a time: once fetches have
    waited on the network more than they computed, threads start."""
    lock = threading.Lock()
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    def near(source: Source) -> FetchResult:
        with lock:
            running["all"] += 1
            peak["all"] = max(peak["all"], running["all"])
        time.sleep(0.005)  # waiting on the network: no CPU
        with lock:
            running["all"] -= 1
        return FetchResult(url=source.location)

    started = time.monotonic()
    out = list(fetch_all(_sources(200, hosts=8), near, FetchSettings(concurrency=8, per_host=2)))
    took = time.monotonic() - started
    assert [s.id for s, _ in out] == [f"s{n}" for n in range(200)]
    assert peak["all"] >= 4, peak
    assert took < 0.6, took  # one at a time: over 1 s


def test_a_caller_that_stops_early_starts_no_more_fetches() -> None:
    fetched: list[str] = []

    def slow(source: Source) -> FetchResult:
        fetched.append(source.id)
        time.sleep(0.05)
        return FetchResult(url=source.location)

    outcomes = fetch_all(_sources(100, hosts=10), slow, FetchSettings(concurrency=4))
    assert next(outcomes)[0].id == "s0"
    outcomes.close()
    assert 1 <= len(fetched) <= 10, fetched


def test_a_fetcher_bug_reaches_the_build() -> None:
    def broken(source: Source) -> FetchResult:
        if source.id == "s3":
            raise KeyError("a bug, not the source's fault")
        return FetchResult(url=source.location)

    outcomes = fetch_all(_sources(6, hosts=2), broken, FetchSettings())
    assert [next(outcomes)[0].id for _ in range(3)] == ["s0", "s1", "s2"]
    with pytest.raises(KeyError, match="a bug"):
        next(outcomes)


def test_keys_added_later_leave_other_sources_settings_hash_unchanged() -> None:
    # An upgrade must not re-read every source: a source that sets none of render, full_text
    # and content_selector keeps the hash that feedhub before them stored (value from then).
    source = Source(id="news", kind=SourceKind.HTML, location="https://example.org/news",
                    selectors=Selectors(item="li.story", date="time"))
    labels = CategoryMap.from_categories(())
    assert settings_hash(source, labels) == "b13db47c51030bc0"
    # Setting any of them re-reads the source's next body with the new settings.
    changed = {settings_hash(replace(source, **edit), labels) for edit in (
        {"render": "browser"}, {"full_text": True},
        {"full_text": True, "content_selector": "article"})}
    assert len(changed) == 3 and "b13db47c51030bc0" not in changed
