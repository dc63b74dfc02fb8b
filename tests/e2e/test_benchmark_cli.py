"""`ml-portfolio benchmark` and `sync` as users meet them, on the portfolio trained on Walmart."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from scipy.stats import wilcoxon

from adapters.mlflow.runs import parse_series_errors
from tests.conftest import free_port, run_cli
from tests.support import WEEKLY_MODELS, by_model, every_experiment

FILES = ("mlflow_benchmark_results.json", "mlflow_benchmark_results.csv", "mlflow_benchmark_mape.png",
         "mlflow_benchmark_rmse.png", "mlflow_benchmark_accuracy_vs_time.png", "mlflow_benchmark_report.txt")


@pytest.fixture(scope="module")
def benchmarked(walmart_store):
    store, _ = walmart_store
    result = run_cli(["benchmark"], store)
    assert result.returncode == 0, result.stderr
    return store, result, json.loads((store.folder / "results/benchmarks/mlflow_benchmark_results.json").read_text())


def test_default_benchmark_prints_both_tables_and_writes_every_file(benchmarked):
    store, result, _ = benchmarked
    header = (r"^model_name +dataset_name +mape +rmse +mae +training_time +runs +overall_mape"
              r" +fold1 +fold2 +fold3 +fold4 +spread$")
    assert re.search(header, result.stdout, re.M)
    assert re.search(r"^rank +model_name +overall_mape$", result.stdout, re.M)
    report = (store.folder / "results/benchmarks/mlflow_benchmark_report.txt").read_text()
    assert "ranked by mape on all the evidence (the mean over the backtest folds and the test window)" in report
    for name in FILES:
        path = store.folder / "results/benchmarks" / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((store.folder / "results/benchmarks").glob(".*.tmp"))


def test_results_json_follows_the_schema_and_matches_mlflow(benchmarked):
    store, _, data = benchmarked
    assert (data["schema"], data["schema_version"]) == ("ml-portfolio/benchmark-results", 2)
    assert data["filters"] == {"experiments": [], "dataset": None, "models": [], "include_unfinished": False,
                               "rank_by": "mape", "aggregate": "best", "rank_on": "overall"}
    assert [e["name"] for e in data["experiments"]] == ["walmart"]  # the empty Default is left out
    client = store.client()
    runs = by_model(client.search_runs(every_experiment(client)))
    expected = sorted(runs, key=lambda m: runs[m].data.metrics["overall_mape"])
    assert [r["model_name"] for r in data["rankings"]] == expected
    assert [r["value"] for r in data["rankings"]] == [runs[m].data.metrics["overall_mape"] for m in expected]
    assert {r["split"] for r in data["rankings"]} == {"overall"}
    best = data["results"][0]
    assert best["folds"] == [runs[expected[0]].data.metrics[f"fold{k}_mape"] for k in range(1, 5)]
    assert best["score"] == runs[expected[0]].data.metrics["overall_mape"]
    assert best["run_id"] == runs[expected[0]].info.run_id and best["dataset_name"] == "walmart"


def test_the_gap_is_tested_on_per_series_errors(benchmarked, tmp_path):
    store, result, data = benchmarked
    test = data["significance"]
    assert (test["paired_by"], test["pairs"], test["metric"]) == ("series", 45, "mape")
    first, second = (data["results"][0]["run_id"], data["results"][1]["run_id"])
    client = store.client()
    a, b = (
        parse_series_errors(
            Path(client.download_artifacts(run, "per_series_errors.csv", str(tmp_path / run))).read_text()
        )
        for run in (first, second)
    )
    expected = wilcoxon([a[s]["mape"] for s in sorted(a)], [b[s]["mape"] for s in sorted(b)])
    assert test["p_value"] == pytest.approx(expected.pvalue)
    assert f"over 45 paired series, p = {test['p_value']:.3g}" in result.stdout


def test_csv_and_report(benchmarked):
    store, _, data = benchmarked
    with (store.folder / "results/benchmarks/mlflow_benchmark_results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["model_name"] for r in rows] == [r["model_name"] for r in data["results"]]
    assert float(rows[0]["mape"]) == data["results"][0]["mape"]
    report = (store.folder / "results/benchmarks/mlflow_benchmark_report.txt").read_text()
    assert f"totals: {len(WEEKLY_MODELS)} runs, {len(WEEKLY_MODELS)} models, 1 datasets" in report
    best = min(data["results"], key=lambda row: row["mape"])  # the test window's, as the per-metric lines read it
    assert f"mape          {best['model_name']} on walmart: {best['mape']:.4g}" in report


def test_sync_then_duckdb_gives_the_same_ranking_and_keeps_history(benchmarked, tmp_path):
    store, _, data = benchmarked
    synced = run_cli(["--warehouse", str(tmp_path / "w.duckdb"), "sync"], store)
    assert synced.returncode == 0 and "full sync" in synced.stdout
    assert f"{len(WEEKLY_MODELS)} run(s) fetched" in synced.stdout
    again = run_cli(["--warehouse", str(tmp_path / "w.duckdb"), "benchmark", "--source", "duckdb", "--format", "json",
                     "--output-dir", str(tmp_path / "out")], store)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["rankings"] == data["rankings"] and "runs" not in summary
    assert summary["significance"]["paired_by"] == "series"  # per-series errors were synced too
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as connection:
        history = connection.execute("SELECT source, rank, model_name FROM benchmark_history ORDER BY rank").fetchall()
    assert [row[2] for row in history] == [r["model_name"] for r in data["rankings"]]


def test_format_csv_prints_the_table(benchmarked, tmp_path):
    store, _, data = benchmarked
    result = run_cli(["benchmark", "--format", "csv", "--output-dir", str(tmp_path)], store)
    assert result.stdout.splitlines()[0].startswith("model_name,dataset_name,runs,run_id,mape")
    assert len(result.stdout.splitlines()) == 1 + len(data["results"])


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["benchmark", "--rank-by", "r2"], 2, "invalid choice: 'r2'"),
        (
            ["--warehouse", "none.duckdb", "benchmark", "--source", "duckdb"],
            2,
            "no warehouse at none.duckdb; `ml-portfolio sync` creates it",
        ),
        (
            ["benchmark", "--source", "json", "--results-json", "nothing.json"],
            2,
            "no benchmark results at nothing.json",
        ),
        (["benchmark", "--experiment-name", "sales"], 1, "unknown experiment(s) sales; mlflow sqlite:"),
        (["benchmark", "--models", "prophet"], 1, f"--models prophet matched none of the {len(WEEKLY_MODELS)} run(s)"),
    ],
)
def test_bad_input(walmart_store, tmp_path, args, code, message):
    store, _ = walmart_store
    result = run_cli(args, store)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_warehouse_holding_only_history_asks_for_a_sync(walmart_store, tmp_path):
    store, _ = walmart_store
    warehouse = ["--warehouse", str(tmp_path / "h.duckdb")]
    assert run_cli([*warehouse, "benchmark", "--output-dir", str(tmp_path)], store).returncode == 0
    result = run_cli([*warehouse, "benchmark", "--source", "duckdb", "--output-dir", str(tmp_path)], store)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"error: the warehouse {tmp_path / 'h.duckdb'} was never synced; `ml-portfolio sync` fills it"
    )


def test_corrupt_json_and_warehouse_exit_2(walmart_store, tmp_path):
    store, _ = walmart_store
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "bad.duckdb").write_bytes(b"not a database" * 100)
    for args in (["benchmark", "--source", "json", "--results-json", str(tmp_path / "bad.json")],
                 ["--warehouse", str(tmp_path / "bad.duckdb"), "benchmark", "--source", "duckdb"]):
        result = run_cli(args, store)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unreachable_tracking_server_exits_2(store):
    port = free_port()  # nobody listens on it
    for command in (["benchmark"], ["sync"]):
        result = run_cli(["--tracking-uri", f"http://127.0.0.1:{port}", *command], store, timeout=120)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(f"error: MLflow at http://127.0.0.1:{port} failed")
        assert "Traceback" not in result.stderr
