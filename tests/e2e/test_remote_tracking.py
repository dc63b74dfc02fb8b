"""Benchmark and sync against a real `mlflow server` over HTTP, exactly as against a local store."""

from __future__ import annotations

import json

from mlflow import MlflowClient

from tests.conftest import Store, run_cli
from tests.contract.test_run_source import SPECS
from tests.support import log_to_mlflow


def test_sync_and_benchmark_through_a_tracking_server(mlflow_server, tmp_path):
    ids = log_to_mlflow(MlflowClient(mlflow_server), SPECS)
    remote = Store(tmp_path)
    env_uri = ["--tracking-uri", mlflow_server]
    live = run_cli([*env_uri, "benchmark", "--output-dir", "live"], remote)
    assert live.returncode == 0, live.stderr
    synced = run_cli([*env_uri, "sync"], remote)
    assert synced.returncode == 0 and f"full sync from mlflow {mlflow_server}" in synced.stdout, synced.stderr
    warehouse = run_cli([*env_uri, "benchmark", "--source", "duckdb", "--output-dir", "warehouse"], remote)
    assert warehouse.returncode == 0, warehouse.stderr
    first, second = (
        json.loads((tmp_path / d / "mlflow_benchmark_results.json").read_text()) for d in ("live", "warehouse")
    )
    assert first["rankings"] == second["rankings"]
    assert [r["model_name"] for r in first["rankings"]] == [
        "SeasonalNaive",
        "LightGBM",
        "XGBoost",
        "RandomForestRegressor",
    ]
    # per-store errors travelled through the server's artifact proxy into the warehouse
    assert second["series_errors"] == {
        ids["lgb-1"]: {"1": {"mape": 3.0, "rmse": 90.0}, "2": {"mape": 3.4, "rmse": 110.0}}
    }
    again = run_cli([*env_uri, "sync"], remote)
    assert "incremental sync" in again.stdout
