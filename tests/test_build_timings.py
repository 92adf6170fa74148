"""BuildReport says where a build's time went, per stage (read by bench/build.py)."""

from __future__ import annotations

from feedhub.model import Config
from feedhub.pipeline import build

STAGES = {"fetch", "extract", "normalise", "store", "publish"}


def test_build_report_splits_time_per_stage(config: Config) -> None:
    report = build(config)
    assert report.ok
    stages = report.stage_seconds()
    assert set(stages) == STAGES
    assert all(seconds >= 0 for seconds in stages.values())
    assert sum(stages.values()) <= report.seconds
    for source in report.sources:
        assert set(source.stages) == STAGES - {"publish"}
        assert sum(source.stages.values()) <= source.seconds + 1e-6

    again = build(config)  # nothing changed: no source is parsed again
    for source in again.sources:
        assert source.unchanged_body
        assert set(source.stages) == {"fetch", "store"}
