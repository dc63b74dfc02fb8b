"""RunPortfolio through the container over a real MLflow store: train, benchmark, promote."""

from __future__ import annotations

import json

from dependency_injector import providers

from adapters.forecasting.synthetic import synthetic_walmart
from application.portfolio import PortfolioRequest
from application.train import TrainRequest
from domain.training import MODEL_TYPES
from entrypoints.config import Settings
from entrypoints.container import create_container
from tests.integration.test_train_use_case import FailingFor

MODELS = ("seasonal_naive", "lightgbm")
KEYS = {label: key for key, label in MODEL_TYPES.items()}


def _job(store, tmp_path, trainer=None):
    csv = tmp_path / "sales.csv"
    if not csv.exists():
        synthetic_walmart(stores=3).to_csv(csv, index=False)
    container = create_container(Settings(tracking_uri=store.uri, warehouse=str(tmp_path / "warehouse.duckdb")))
    if trainer:
        container.trainer.override(providers.Object(trainer))
    request = PortfolioRequest(training=TrainRequest(models=MODELS, data_path=str(csv)),
                               output_dir=str(tmp_path / "results"), who="ci")
    return container.run_portfolio()(request)


def test_the_best_becomes_champion_with_its_evidence_and_a_rerun_moves_nothing(store, tmp_path):
    first = _job(store, tmp_path)
    best = first.benchmark.leaderboard.rankings[0]
    assert first.champion.name == KEYS[best.model] and first.champion.version == 1
    assert first.promotion and first.promotion.from_version is None
    assert first.promotion.evidence.startswith(f"ranked 1 of 2 models by test mape ({best.value:.4g}) on sales")
    written = json.loads((tmp_path / "results" / "mlflow_benchmark_results.json").read_text())
    assert written["rankings"][0]["model_name"] == best.model

    second = _job(store, tmp_path)
    assert second.promotion is None  # the same data trains the same models: the champion is as good
    assert (second.champion.name, second.champion.version) == (first.champion.name, 1)
    client = store.client()
    runs = client.search_runs([client.get_experiment_by_name("walmart_sales_forecasting").experiment_id])
    assert len(runs) == 4 and {r.info.status for r in runs} == {"FINISHED"}
    assert len(second.benchmark.runs) == 4  # the benchmark ranked both invocations' runs
    for key in MODELS:  # one version per run, none twice, none lost
        versions = client.search_model_versions(f"name = '{key}'")
        assert sorted(int(v.version) for v in versions) == [1, 2]
        assert len({v.run_id for v in versions}) == 2 and {v.run_id for v in versions} <= {r.info.run_id for r in runs}
    promotions = [k for v in client.search_model_versions(f"name = '{first.champion.name}'") for k in v.tags
                  if k.startswith("promotion.")]
    assert len(promotions) == 1


def test_a_model_failing_midway_leaves_the_others_and_the_job_goes_on(store, tmp_path):
    report = _job(store, tmp_path, FailingFor("lightgbm"))
    assert [o.model for o in report.training.failed] == ["lightgbm"]
    assert (report.champion.name, report.champion.version) == ("seasonal_naive", 1)
    assert "gap not tested: fewer than two models to compare" in report.evidence
    client = store.client()
    runs = {r.data.tags["model_type"]: r.info for r in client.search_runs(
        [client.get_experiment_by_name("walmart_sales_forecasting").experiment_id])}
    assert (runs["LightGBM"].status, runs["SeasonalNaive"].status) == ("FAILED", "FINISHED")
    assert client.get_model_version("seasonal_naive", "1").run_id == runs["SeasonalNaive"].run_id
    assert client.search_registered_models(filter_string="name='lightgbm'") == []
