"""Results files are replaced whole or not at all."""

from __future__ import annotations

import pytest

from adapters.filesystem import results_writer
from adapters.filesystem.results_writer import FilesystemResultsWriter
from adapters.memory.runs import InMemoryRunRepository
from application.benchmark import BenchmarkRuns, RankRuns
from domain.benchmarks import BenchmarkRequest
from tests.contract.test_run_source import SPECS
from tests.support import domain_objects


def test_a_failure_while_rendering_leaves_the_previous_results(tmp_path, monkeypatch):
    source = InMemoryRunRepository(*domain_objects(SPECS))
    BenchmarkRuns(RankRuns(source), FilesystemResultsWriter(), source)(BenchmarkRequest(), str(tmp_path))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert len(before) == 6

    def broken(report):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(results_writer, "_scatter", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        BenchmarkRuns(RankRuns(source), FilesystemResultsWriter(), source)(
            BenchmarkRequest(rank_by="rmse"), str(tmp_path)
        )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert len(source.history) == 1  # the failed benchmark was not recorded either


def test_write_atomic_cleans_up_after_a_failed_write(tmp_path, monkeypatch):
    from adapters.filesystem import atomic

    target = tmp_path / "file.json"
    target.write_text("old")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_atomic(target, b"new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["file.json"]
