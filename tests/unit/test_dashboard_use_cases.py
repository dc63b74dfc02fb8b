"""The dashboard's use cases over the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.memory.models import InMemoryModelLoader
from adapters.memory.registry import InMemoryModelRegistry
from adapters.memory.runs import InMemoryRunRepository
from application.benchmark import RankRuns
from application.dashboard import DescribeRegistry, ForecastSeries, RunSnapshot, overview
from application.serving import ForecastRequest, ServedModels
from domain.benchmarks import BenchmarkRequest
from domain.errors import InvalidValueError, UnknownSeriesError
from domain.leaderboard import RunFilter
from domain.runs import Experiment, Run
from tests.support import forecast_sales


class CountingSource(InMemoryRunRepository):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reads, self.error_reads = 0, []

    def runs(self, experiment_ids, include_unfinished=False, summary=False):
        self.reads += 1
        return super().runs(experiment_ids, include_unfinished, summary)

    def series_errors(self, run_ids):
        self.error_reads.append(list(run_ids))
        return super().series_errors(run_ids)


def run(run_id, model, experiment="1", status="FINISHED", **metrics):
    return Run(run_id=run_id, experiment_id=experiment, status=status, tags={"model_type": model, "dataset": "walmart"},
               metrics=metrics)


@pytest.fixture
def source():
    return CountingSource(
        [Experiment(experiment_id="1", name="retail"), Experiment(experiment_id="2", name="other")],
        [run("a", "LightGBM", test_mape=3.0, training_time=2.0), run("b", "Naive", test_mape=5.0, training_time=4.0),
         run("c", "XGBoost", experiment="2", test_mape=2.0), run("d", "LightGBM", status="FAILED", test_mape=1.0)],
        errors={"a": {1: {"mape": 2.0}, 2: {"mape": 4.0}}, "b": {1: {"mape": 5.0}, 2: {"mape": 6.0}}},
    )


def test_a_snapshot_reads_the_source_once_and_ranks_like_the_source(source):
    ticks = iter([100.0, 102.5])
    read_at = datetime(2026, 11, 27, 12, tzinfo=UTC)
    snapshot = RunSnapshot(source, clock=lambda: read_at, timer=lambda: next(ticks))
    rank = RankRuns(snapshot)
    first = rank(BenchmarkRequest(experiments=("retail",)))
    again = rank(BenchmarkRequest(run_filter=RunFilter(models=("naive",))))
    assert source.reads == 1
    live = RankRuns(source)(BenchmarkRequest(experiments=("retail",)))
    assert first.leaderboard == live.leaderboard and first.significance == live.significance
    assert [r.model for r in again.leaderboard.rankings] == ["Naive"]
    assert (snapshot.describe(), snapshot.read_at, snapshot.read_seconds) == ("memory", read_at, 2.5)


def test_a_snapshot_asks_the_source_for_series_errors_once_per_run(source):
    snapshot = RunSnapshot(source)
    assert snapshot.series_errors(["a", "c"]) == {"a": {1: {"mape": 2.0}, 2: {"mape": 4.0}}}
    assert snapshot.series_errors(["a", "c", "b"])["b"] == {1: {"mape": 5.0}, 2: {"mape": 6.0}}
    assert source.error_reads == [["a", "c"], ["b"]]


def test_overview_counts_finished_runs_and_names_the_best(source):
    facts = overview(RankRuns(source)(BenchmarkRequest()))
    assert (facts.models, facts.datasets, facts.runs) == (3, 1, 3)
    assert (facts.best.model, facts.best.value) == ("XGBoost", 2.0)
    assert facts.mean_training_time == 3.0  # the run without training_time is left out


def test_the_registry_description_gives_each_champion_its_own_metrics():
    registry = InMemoryModelRegistry()
    registry.add("lightgbm", "r1", {"test_mape": 3.0})
    registry.add("lightgbm", "r2", {"test_mape": 9.0})
    registry.add("naive", "r3", {"test_mape": 5.0})
    registry.set_alias("lightgbm", "champion", 1)
    entries = {e.name: e for e in DescribeRegistry(registry)()}
    assert (entries["lightgbm"].newest_version, entries["lightgbm"].champion) == (2, 1)
    assert entries["lightgbm"].champion_metrics == {"test_mape": 3.0}
    assert entries["naive"].champion is None and entries["naive"].champion_metrics == {}


def test_a_series_outlook_is_the_history_then_the_forecast(tmp_path):
    registry = InMemoryModelRegistry()
    registry.add("lightgbm", "r1", {"test_mape": 3.0})
    registry.add("lightgbm", "r2", {"test_mape": 2.0})
    models = ServedModels(registry, InMemoryModelLoader())
    outlook = ForecastSeries(forecast_sales(registry, models, tmp_path), models)
    result = outlook(ForecastRequest(series_ids=(2,), horizon=3, model_name="lightgbm", model_version="1"))
    assert result.version.version == 1 and result.metrics == {"test_mape": 3.0}
    assert [v for _, v in result.history] == [1.0] * 8
    last = result.history[-1][0]
    assert [p.date for p in result.forecast.points] == [last + timedelta(weeks=k) for k in (1, 2, 3)]
    assert isinstance(last, date)
    assert outlook.model("lightgbm", "latest").series_ids == ("1", "2", "3")
    with pytest.raises(InvalidValueError, match="one series"):
        outlook(ForecastRequest(series_ids=(1, 2), model_name="lightgbm"))
    with pytest.raises(UnknownSeriesError, match="knows 3 series: 1, 2, 3"):
        outlook(ForecastRequest(series_ids=("7",), model_name="lightgbm"))
