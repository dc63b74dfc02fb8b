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
from tests.support import by_model, every_experiment

MODELS = ("seasonal_naive", "lightgbm")
KEYS = {label: key for key, label in MODEL_TYPES.items()}


def _job(store, tmp_path, trainer=None, models=MODELS, stores=3):
    csv = tmp_path / "sales.csv"
    if not csv.exists():
        synthetic_walmart(stores=stores).to_csv(csv, index=False)
    container = create_container(Settings(tracking_uri=store.uri, warehouse=str(tmp_path / "warehouse.duckdb")))
    if trainer:
        container.trainer.override(providers.Object(trainer))
    request = PortfolioRequest(training=TrainRequest(models=models, data_path=str(csv)),
                               output_dir=str(tmp_path / "results"), who="ci")
    return container.run_portfolio()(request)


def test_the_best_becomes_champion_with_its_evidence_and_a_rerun_moves_nothing(store, tmp_path):
    first = _job(store, tmp_path)
    best = first.benchmark.leaderboard.rankings[0]
    assert first.champion.name == KEYS[best.model] and first.champion.version == 1
    assert first.promotion and first.promotion.from_version is None
    assert first.promotion.evidence.startswith(f"ranked 1 of 2 models by overall mape ({best.value:.4g}) on sales")
    written = json.loads((tmp_path / "results" / "mlflow_benchmark_results.json").read_text())
    assert written["rankings"][0]["model_name"] == best.model

    second = _job(store, tmp_path)
    assert second.promotion is None  # the same data trains the same models: the champion is as good
    assert (second.champion.name, second.champion.version) == (first.champion.name, 1)
    client = store.client()
    runs = client.search_runs(every_experiment(client))
    assert len(runs) == 4 and {r.info.status for r in runs} == {"FINISHED"}
    assert len(second.benchmark.runs) == 4  # the benchmark ranked both invocations' runs
    for key in MODELS:  # one version per run, none twice, none lost
        versions = client.search_model_versions(f"name = '{key}'")
        assert sorted(int(v.version) for v in versions) == [1, 2]
        assert len({v.run_id for v in versions}) == 2 and {v.run_id for v in versions} <= {r.info.run_id for r in runs}
    promotions = [k for v in client.search_model_versions(f"name = '{first.champion.name}'") for k in v.tags
                  if k.startswith("promotion.")]
    assert len(promotions) == 1


def test_the_ensemble_is_promoted_over_single_members_with_the_reason(store, tmp_path):
    report = _job(store, tmp_path, models=("seasonal_naive", "ensemble"), stores=6)
    assert (report.champion.name, report.champion.version) == ("ensemble", 1)
    ensemble = next(r for r in report.benchmark.leaderboard.rankings if r.model == "Ensemble")
    assert report.evidence.startswith(f"ranked {ensemble.rank} of 2 models by overall mape ({ensemble.value:.4g})")
    assert ("promoted over SeasonalNaive" in report.evidence) == (ensemble.rank == 2)
    params = store.client().get_run(report.champion.run_id).data.params
    combined = params["combined"].split(",")
    assert len(combined) == 3 and set(combined) < set(params["components"].split(","))
    # the 4 folds and the test window reach step 12; the folds a quarter apart reach the later steps in turn
    assert params["interval_windows"] == "1-12:5,13-25:4,26-38:3,39-51:2,52:1"


def test_a_model_failing_midway_leaves_the_others_and_the_job_goes_on(store, tmp_path):
    report = _job(store, tmp_path, FailingFor("lightgbm"))
    assert [o.model for o in report.training.failed] == ["lightgbm"]
    assert (report.champion.name, report.champion.version) == ("seasonal_naive", 1)
    assert "gap not tested: fewer than two models to compare" in report.evidence
    client = store.client()
    runs = by_model(client.search_runs(every_experiment(client)))
    assert (runs["LightGBM"].info.status, runs["SeasonalNaive"].info.status) == ("FAILED", "FINISHED")
    assert client.get_model_version("seasonal_naive", "1").run_id == runs["SeasonalNaive"].info.run_id
    assert client.search_registered_models(filter_string="name='lightgbm'") == []


def test_the_evidence_names_the_runner_up_and_the_test(store, tmp_path):
    report = _job(store, tmp_path)
    board = report.benchmark.leaderboard
    best, runner_up = board.rankings[0], board.rankings[1]
    test = report.benchmark.significance
    assert test is not None and test.paired_by == "series" and test.pairs == 3
    assert f"next {runner_up.model} {runner_up.value:.4g}" in report.evidence
    assert f"Wilcoxon signed-rank on 3 series pairs p = {test.p_value:.3g}" in report.evidence
    assert report.promotion is not None and report.promotion.evidence == report.evidence
    assert report.evidence.startswith(f"ranked 1 of 2 models by overall mape ({best.value:.4g})")


def test_a_later_better_run_is_promoted(store, tmp_path):
    first = _job(store, tmp_path, models=("seasonal_naive",))
    assert (first.champion.name, first.champion.version) == ("seasonal_naive", 1)
    # The same stores again, but every week after the first year repeats last year's: seasonal naive is perfect
    frame = synthetic_walmart(stores=3)
    weeks = frame.groupby("Store").cumcount()
    for _, rows in frame.groupby("Store"):
        sales = rows["Weekly_Sales"].to_numpy()
        for week in range(52, len(sales)):
            sales[week] = sales[week - 52]
        frame.loc[rows.index, "Weekly_Sales"] = sales
    assert weeks.max() == 142
    frame.to_csv(tmp_path / "sales.csv", index=False)
    second = _job(store, tmp_path, models=("seasonal_naive",))
    best = second.benchmark.leaderboard.rankings[0]
    assert (best.model, best.value) == ("SeasonalNaive", 0.0)
    assert (second.champion.name, second.champion.version) == ("seasonal_naive", 2)
    assert second.promotion is not None and second.promotion.from_version == 1


def test_the_job_exits_1_when_a_model_fails_and_2_on_bad_data(store, tmp_path, monkeypatch, capsys):
    """The real CLI in this process, its container's trainer breaking one model (the injected fault)."""
    import entrypoints.container
    from entrypoints.cli import main

    real = entrypoints.container.create_container

    def with_a_failing_trainer(settings):
        container = real(settings)
        container.trainer.override(providers.Object(FailingFor("lightgbm")))
        return container

    monkeypatch.setattr(entrypoints.container, "create_container", with_a_failing_trainer)
    monkeypatch.chdir(tmp_path)
    synthetic_walmart(stores=3).to_csv(tmp_path / "sales.csv", index=False)
    argv = ["--tracking-uri", store.uri, "run", "--no-serve", "--models", "seasonal_naive,lightgbm"]
    assert main([*argv, "--data", "sales.csv"]) == 1
    assert "error: lightgbm failed: lightgbm failed to fit: injected failure" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("Store,Date\n1,05-02-2010\n")
    assert main([*argv, "--data", "bad.csv"]) == 2
