"""One contract for the RunSource port, run against every adapter: memory, JSON, DuckDB, MLflow."""

from __future__ import annotations

import pytest

from adapters.duckdb.warehouse import DuckDbRunRepository
from adapters.filesystem.results_json import JsonRunRepository
from adapters.filesystem.results_writer import FilesystemResultsWriter
from adapters.memory.runs import InMemoryRunRepository
from adapters.mlflow.runs import MlflowRunRepository
from application.benchmark import BenchmarkRuns, RankRuns
from domain.benchmarks import BenchmarkRequest
from domain.errors import SourceUnavailableError
from domain.leaderboard import RunFilter
from tests.support import RunSpec, domain_objects, log_to_mlflow, ms

EXPERIMENT, OTHER = "walmart_sales_forecasting", "other"
SPECS = [
    RunSpec(
        "lgb-1",
        EXPERIMENT,
        {"test_mape": 3.2, "test_rmse": 100.0, "training_time": 1.5, "fold1_mape": 4.0},
        {"model": "lightgbm", "horizon": "12"},
        {"model_type": "LightGBM", "dataset": "walmart"},
        minute=1,
        series_errors={"1": {"mape": 3.0, "rmse": 90.0}, "2": {"mape": 3.4, "rmse": 110.0}},
    ),
    RunSpec(
        "xgb-1",
        EXPERIMENT,
        {"test_MAPEMetric": 3.9, "RMSEMetric": 120.0},
        {},
        {"model_type": "XGBoost", "dataset": "walmart"},
        minute=2,
    ),
    RunSpec("naive-1", EXPERIMENT, {"mape": 0.0}, {"model": "SeasonalNaive", "dataset": "walmart"}, {}, minute=3),
    RunSpec(
        "cat-running",
        EXPERIMENT,
        {"test_mape": 1.0},
        {},
        {"model_type": "CatBoost", "dataset": "walmart"},
        status="RUNNING",
        minute=4,
    ),
    RunSpec(
        "rf-failed",
        EXPERIMENT,
        {"test_mape": 2.0},
        {},
        {"model_type": "RandomForest", "dataset": "walmart"},
        status="FAILED",
        minute=5,
    ),
    RunSpec(
        "rf-other",
        OTHER,
        {"MAPEMetric": 5.0},
        {"model._target_": "sklearn.ensemble.RandomForestRegressor", "dataset_name": "m5"},
        {},
        minute=6,
    ),
]


def memory(tmp_path):
    return InMemoryRunRepository(*domain_objects(SPECS))


def duckdb(tmp_path):
    repository = DuckDbRunRepository(str(tmp_path / "warehouse.duckdb"))
    experiments, runs, errors = domain_objects(SPECS)
    repository.save("test", experiments, runs, errors, None)
    return repository


def json(tmp_path):
    # A results file written by a benchmark over every run, unfinished ones included.
    source = InMemoryRunRepository(*domain_objects(SPECS))
    BenchmarkRuns(RankRuns(source), FilesystemResultsWriter(), source)(
        BenchmarkRequest(run_filter=RunFilter(include_unfinished=True)), str(tmp_path)
    )
    return JsonRunRepository(str(tmp_path / "mlflow_benchmark_results.json"))


def mlflow(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    repository = MlflowRunRepository(uri)
    from mlflow import MlflowClient

    log_to_mlflow(MlflowClient(uri), SPECS)
    return repository


@pytest.fixture(params=[memory, json, duckdb, mlflow], ids=lambda f: f.__name__)
def source(request, tmp_path):
    return request.param(tmp_path)


# A results file records runs as the leaderboard saw them (Run.summary); the other sources
# give runs back exactly as they were logged.
SUMMARIES_ONLY = {"JsonRunRepository"}


def snapshot(source, run):
    names = {e.experiment_id: e.name for e in source.experiments()}
    return (names[run.experiment_id], run.name, run.status.value, ms(run.start_time), ms(run.end_time),
            dict(run.metrics), dict(run.params), dict(run.tags))


def expected(source, specs):
    _, runs, _ = domain_objects(specs)
    experiment = {s.name: s.experiment for s in specs}
    if type(source).__name__ in SUMMARIES_ONLY:
        runs = [r.summary() for r in runs]
    return sorted((experiment[r.name], r.name, r.status.value, ms(r.start_time), ms(r.end_time), dict(r.metrics),
                   dict(r.params), dict(r.tags)) for r in runs)


def ids(source, *names):
    return [e.experiment_id for e in source.experiments() if e.name in names]


DESCRIPTIONS = {
    "memory": lambda tmp: "memory",
    "json": lambda tmp: f"json {tmp / 'mlflow_benchmark_results.json'}",
    "duckdb": lambda tmp: f"duckdb {tmp / 'warehouse.duckdb'}",
    "mlflow": lambda tmp: f"mlflow sqlite:///{tmp / 'mlflow.db'}",
}


def test_experiments_by_name_and_the_label_reports_show(source, request, tmp_path):
    assert {e.name for e in source.experiments()} >= {EXPERIMENT, OTHER}
    factory = request.node.callspec.params["source"]
    assert source.describe() == DESCRIPTIONS[factory.__name__](tmp_path)


def test_finished_runs_come_back_unchanged(source):
    got = sorted(snapshot(source, r) for r in source.runs(ids(source, EXPERIMENT, OTHER)))
    assert got == expected(source, [s for s in SPECS if s.status == "FINISHED"])


def test_unfinished_runs_on_request(source):
    got = sorted(snapshot(source, r) for r in source.runs(ids(source, EXPERIMENT), include_unfinished=True))
    assert got == expected(source, [s for s in SPECS if s.experiment == EXPERIMENT])


def test_only_the_experiments_asked_for(source):
    assert [r.name for r in source.runs(ids(source, OTHER))] == ["rf-other"]
    assert list(source.runs([])) == []


def test_zero_metric_and_identity_survive(source):
    runs = {r.name: r for r in source.runs(ids(source, EXPERIMENT, OTHER))}
    assert runs["naive-1"].metric("mape") == 0.0
    assert (runs["rf-other"].model_name, runs["rf-other"].dataset_name) == ("RandomForestRegressor", "m5")
    assert runs["xgb-1"].metric("rmse") == 120.0


def test_series_errors(source):
    runs = {r.name: r.run_id for r in source.runs(ids(source, EXPERIMENT))}
    assert source.series_errors([runs["lgb-1"], runs["xgb-1"]]) == {
        runs["lgb-1"]: {"1": {"mape": 3.0, "rmse": 90.0}, "2": {"mape": 3.4, "rmse": 110.0}}}
    assert source.series_errors([]) == {}


def test_mlflow_reads_the_per_store_errors_of_runs_from_earlier_versions(tmp_path):
    from mlflow import MlflowClient

    source = mlflow(tmp_path)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.create_run(client.get_experiment_by_name(EXPERIMENT).experiment_id).info.run_id
    client.set_tag(run, "per_store_errors", "per_store_errors.csv")
    client.log_text(run, "window,store_id,mape\ntest,7,2.5\nfold1,7,9.0\n", "per_store_errors.csv")
    assert source.series_errors([run]) == {run: {"7": {"mape": 2.5}}}


@pytest.mark.parametrize("make", [
    lambda tmp: DuckDbRunRepository(str(tmp / "missing.duckdb")),
    lambda tmp: JsonRunRepository(str(tmp / "missing.json")),
], ids=["duckdb", "json"])
def test_missing_files_say_which_command_writes_them(make, tmp_path):
    with pytest.raises(SourceUnavailableError, match="sync|benchmark"):
        make(tmp_path).experiments()


@pytest.mark.parametrize("make", [
    lambda tmp: DuckDbRunRepository(str(tmp / "corrupt")),
    lambda tmp: JsonRunRepository(str(tmp / "corrupt")),
], ids=["duckdb", "json"])
def test_corrupt_files_are_unavailable_sources(make, tmp_path):
    (tmp_path / "corrupt").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(SourceUnavailableError):
        make(tmp_path).experiments()


def test_summaries_keep_identity_and_metrics(source):
    full = {r.name: r for r in source.runs(ids(source, EXPERIMENT, OTHER), include_unfinished=True)}
    summaries = {r.name: r for r in source.runs(ids(source, EXPERIMENT, OTHER), include_unfinished=True, summary=True)}
    assert summaries.keys() == full.keys()
    for name, run in summaries.items():
        assert run.summary() == full[name].summary()
    assert summaries["naive-1"].summary().metrics == {"test_mape": 0.0}
    assert summaries["rf-other"].summary().tags == {"model_name": "RandomForestRegressor", "dataset": "m5"}


def test_mlflow_reads_every_page_of_search_results(tmp_path, monkeypatch):
    import adapters.mlflow.runs

    monkeypatch.setattr(adapters.mlflow.runs, "PAGE", 2)  # 6 runs in these experiments: 3+ pages
    source = mlflow(tmp_path)
    got = sorted(r.name for r in source.runs(ids(source, EXPERIMENT, OTHER), include_unfinished=True))
    assert got == sorted(s.name for s in SPECS)
    changed = sorted(r.name for r in source.changed_since(None, []))
    assert changed == got
