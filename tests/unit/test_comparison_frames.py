"""The Model comparison page's season-by-season frame: one line per result row, as the bars label them."""

from __future__ import annotations

from adapters.memory.runs import InMemoryRunRepository
from application.benchmark import RankRuns
from domain.benchmarks import BenchmarkRequest
from entrypoints.dashboard.comparison import seasons_frame
from tests.support import RunSpec, domain_objects


def _run(name: str, model: str, dataset: str, folds: tuple[float, float], test: float) -> RunSpec:
    metrics = {"test_mape": test, "fold1_mape": folds[0], "fold2_mape": folds[1]}
    return RunSpec(name, "exp", metrics, {}, {"model_type": model, "dataset": dataset})


def test_the_same_model_on_two_datasets_is_two_lines_not_a_failed_page():
    # Before: pivoting on the model alone raised "Index contains duplicate entries" and the page failed.
    specs = [_run("a", "lightgbm", "walmart", (5.0, 4.0), 3.0), _run("b", "lightgbm", "m5", (9.0, 8.0), 7.0),
             _run("c", "xgboost", "walmart", (6.0, 5.0), 4.0)]
    report = RankRuns(InMemoryRunRepository(*domain_objects(specs)))(BenchmarkRequest(rank_on="test"))
    frame = seasons_frame(report)
    wide = frame.pivot(index="model", columns="window", values="mape")
    assert wide.loc["lightgbm (m5)"].tolist() == [9.0, 8.0, 7.0]
    assert wide.loc["lightgbm (walmart)"].tolist() == [5.0, 4.0, 3.0]
    assert wide.loc["xgboost (walmart)"].tolist() == [6.0, 5.0, 4.0]


def test_one_dataset_labels_lines_by_model_alone():
    specs = [_run("a", "lightgbm", "walmart", (5.0, 4.0), 3.0), _run("c", "xgboost", "walmart", (6.0, 5.0), 4.0)]
    report = RankRuns(InMemoryRunRepository(*domain_objects(specs)))(BenchmarkRequest(rank_on="test"))
    assert sorted(set(seasons_frame(report)["model"])) == ["lightgbm", "xgboost"]
