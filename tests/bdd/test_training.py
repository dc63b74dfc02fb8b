"""Steps of features/training.feature, run against the real CLI and a real MLflow store."""

from __future__ import annotations

import json
import re
import subprocess

import mlflow
import numpy as np
import pandas as pd
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from adapters.filesystem.results_json import RESULTS_JSON
from adapters.forecasting.features import FEATURES
from adapters.forecasting.synthetic import synthetic_walmart
from domain.training import MODEL_TYPES
from tests.conftest import CLI, run_cli
from tests.support import RunSpec, by_model, every_experiment, log_to_mlflow

scenarios("training.feature")


def _without_tracking_uri(store):
    return {k: v for k, v in store.env().items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}


@when(parsers.parse('I train "{models}" on the synthetic default into an empty working directory'),
      target_fixture="outcome")
def train_synthetic(store, models):
    """No MLFLOW_TRACKING_URI: the embedded default, sqlite:///mlflow.db where the command runs."""
    result = subprocess.run(CLI + ["train", "--models", models], cwd=store.folder, env=_without_tracking_uri(store),
                            capture_output=True, text=True, timeout=600)
    return {"store": store, "models": tuple(models.split(",")), "result": result}


@when(parsers.parse('I train "{models}" with "{flags}" on the synthetic default'), target_fixture="outcome")
def train_with(store, models, flags):
    return {"store": store, "models": tuple(models.split(",")),
            "result": run_cli(["train", "--models", models, *flags.split()], store)}


@then("the runs are in mlflow.db in the working directory")
def default_store(outcome):
    assert (outcome["store"].folder / "mlflow.db").is_file()
    assert outcome["store"].uri == f"sqlite:///{outcome['store'].folder / 'mlflow.db'}"


@then("each run logs its protocol and estimator parameters")
def parameters(outcome):
    for model, run in outcome["runs"].items():
        params = run.data.params
        assert (params["model"], params["horizon"], params["folds"], params["fold_stride"]) == (model, "12", "4", "13")
        assert (params["test_origin"], params["seed"]) == ("2012-08-03", "42")
        assert params["fold_origins"] == "2011-08-05,2011-11-04,2012-02-03,2012-05-04"
    lightgbm = outcome["runs"]["lightgbm"].data.params
    assert lightgbm["features"].split(",") == list(FEATURES)
    assert "features" not in outcome["runs"]["seasonal_naive"].data.params  # it reads its own history only
    assert (lightgbm["learning_rate"], lightgbm["num_leaves"], lightgbm["objective"]) == ("0.03", "15", "huber")
    assert int(lightgbm["test_fit_best_iteration"]) >= 1


@then("no model is registered")
def none_registered(outcome):
    assert outcome["store"].client().search_registered_models() == []


@given(parsers.parse('a store where "{model}" was trained on the synthetic default'), target_fixture="outcome")
def trained_synthetic(synthetic_training, model):
    store, trained, result = synthetic_training
    assert model in trained and result.returncode == 0, result.stderr
    return {"store": store, "models": trained, "result": result}


@then(parsers.parse('experiment "{experiment}" has one FINISHED run per model on dataset "{dataset}"'))
def one_run_per_model(outcome, experiment, dataset):
    client = outcome["store"].client()
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id])
    assert sorted(r.data.params["model"] for r in runs) == sorted(outcome["models"])
    for run in runs:
        assert run.info.status == "FINISHED"
        assert run.data.tags["dataset"] == dataset
        assert run.data.tags["model_type"] == MODEL_TYPES[run.data.params["model"]]
        assert re.fullmatch(rf"{run.data.params['model']}-\d{{8}}T\d{{6}}", run.info.run_name)
    outcome["runs"] = by_model(runs, key=lambda run: run.data.params["model"])


@then("each model is registered as version 1 created by its run")
def registered(outcome):
    client = outcome["store"].client()
    for model in outcome["models"]:
        version = client.get_model_version(model, "1")
        assert version.run_id == outcome["runs"][model].info.run_id


@when(parsers.parse('I load "{uri}" and forecast series "{series}" for {horizon:d} weeks'), target_fixture="forecast")
def load_and_forecast(outcome, uri, series, horizon):
    mlflow.set_tracking_uri(outcome["store"].uri)
    mlflow.set_registry_uri(outcome["store"].uri)
    model = mlflow.pyfunc.load_model(uri)
    return model.predict(pd.DataFrame({"series_id": [series], "horizon": [horizon]}))


@when(parsers.parse('I load "{uri}" and forecast from the history of series "{series}" to {last} for {horizon:d} '
                    'weeks'), target_fixture="forecast")
def load_and_forecast_history(outcome, uri, series, last, horizon):
    mlflow.set_tracking_uri(outcome["store"].uri)
    mlflow.set_registry_uri(outcome["store"].uri)
    outcome["model"] = model = mlflow.pyfunc.load_model(uri)
    outcome["table"] = table = _long(synthetic_walmart())
    given = table[(table.series_id == series) & (table.date <= last)]
    return model.predict(given, params={"horizon": horizon})


def _long(frame: pd.DataFrame) -> pd.DataFrame:
    """A Walmart-shaped table in the long format a version takes: series_id, date (ISO), value."""
    days = pd.to_datetime(frame.Date, format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    return pd.DataFrame({"series_id": frame.Store.astype(str), "date": days, "value": frame.Weekly_Sales})


@then(parsers.parse('I get {rows:d} rows for series "{series}", one per week after {origin}, each saying its origin'))
def history_rows(forecast, rows, series, origin):
    assert len(forecast) == rows and set(forecast.series_id) == {series} and set(forecast.origin) == {origin}
    expected = pd.date_range(origin, periods=rows + 1, freq="7D")[1:].strftime("%Y-%m-%d").tolist()
    assert forecast.date.tolist() == expected and not forecast.baseline.any()


@then(parsers.parse("the history to {last} gives the forecast the version stored"))
def same_origin(outcome, last):
    table = outcome["table"]
    given = outcome["model"].predict(table[table.date <= last], params={"horizon": 12})
    stored = outcome["model"].predict(pd.DataFrame({"series_id": given.series_id.unique(), "horizon": 12}))
    assert set(given.origin) == {last}
    np.testing.assert_allclose(given.prediction, stored.prediction, rtol=1e-9)


@given(parsers.parse("a synthetic weekly table of {series:d} series and {weeks:d} weeks"), target_fixture="csv")
def short_synthetic(tmp_path, series, weeks):
    path = tmp_path / "short.csv"
    synthetic_walmart(stores=series, weeks=weeks).to_csv(path, index=False)
    return path


@then(parsers.parse('it says "{text}"'))
def says(outcome, text):
    assert text in outcome["result"].stderr


@then(parsers.parse("each run is tagged with those folds and logs {folds:d} folds"))
def adapted_folds(outcome, folds):
    client = outcome["store"].client()
    runs = client.search_runs(every_experiment(client))
    assert len(runs) == 3
    for run in runs:
        assert run.data.tags["folds"].startswith(f"{folds} backtest fold(s), not 4") and run.data.params["folds"] == "3"
        assert {f"fold{k}_mape" for k in range(1, folds + 1)} <= set(run.data.metrics) and "fold4_mape" not in (
            run.data.metrics)


@then("the seasonal_naive run logs fold1_mape and test_mape, its first origin a season after the first week")
def one_short_fold(outcome, csv):
    client = outcome["store"].client()
    runs = client.search_runs(every_experiment(client),
                              filter_string="params.model = 'seasonal_naive'")
    (run,) = runs
    assert {"fold1_mape", "test_mape"} <= set(run.data.metrics) and "fold2_mape" not in run.data.metrics
    weeks = sorted(pd.read_csv(csv, usecols=["Date"])["Date"].map(
        lambda d: pd.to_datetime(d, format="%d-%m-%Y")).unique())
    assert run.data.params["fold_origins"] == str(weeks[52].date())  # index 52: a season of 52 weeks behind it
    assert run.data.params["fold_stride"] == "5"


@then("no window of the lightgbm run needed the baseline")
def no_baseline_windows(outcome):
    client = outcome["store"].client()
    (run,) = client.search_runs(every_experiment(client),
                                "tags.model_type = 'LightGBM'")
    assert "baseline_windows" not in run.data.tags and run.data.tags["baseline_series"] == "0"
    assert "forecast by the baseline" not in outcome["result"].stderr


@then(parsers.parse('I get {rows:d} rows for series "{series}", one per week after the last training week'))
def forecast_rows(forecast, rows, series):
    assert len(forecast) == rows and set(forecast.series_id) == {series}
    assert forecast.step.tolist() == list(range(1, rows + 1))
    expected = pd.date_range("2012-11-02", periods=rows, freq="7D").strftime("%Y-%m-%d").tolist()
    assert forecast.date.tolist() == expected


@then("every row has lower <= prediction <= upper")
def inside_interval(forecast):
    assert ((forecast.lower <= forecast.prediction) & (forecast.prediction <= forecast.upper)).all()
    assert (forecast.upper > forecast.lower).all()


@given(parsers.parse('a sales CSV without the "{column}" column'), target_fixture="csv")
def csv_without(tmp_path, column):
    path = tmp_path / "sales.csv"
    synthetic_walmart(stores=2, weeks=120).drop(columns=[column]).to_csv(path, index=False)
    return path


@given(
    parsers.parse(
        "a table of {stores:d} stores and {weeks:d} weeks whose last 12 weeks sell 10% more than the same weeks a year "
        "before"
    ),
    target_fixture="csv",
)
def tiny_table(tmp_path, stores, weeks):
    week = np.arange(weeks)
    season = 1 + 0.3 * np.sin(2 * np.pi * (week % 52) / 52)
    uplift = np.where(week >= weeks - 12, 1.1, 1.0)
    frame = pd.DataFrame(
        {
            "Store": np.repeat(np.arange(1, stores + 1), weeks),
            "Date": np.tile(pd.date_range("2010-02-05", periods=weeks, freq="7D").strftime("%d-%m-%Y"), stores),
            "Weekly_Sales": np.concatenate([base * season * uplift for base in (1000.0, 5000.0)[:stores]]),
        }
    )
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    return path


@when("I run ml-portfolio train on that CSV", target_fixture="outcome")
def train_on_csv(store, csv):
    return {"store": store, "result": run_cli(["train", "--data", str(csv)], store)}


@when(parsers.parse('I run ml-portfolio train with "{flags}" on that CSV'), target_fixture="outcome")
def train_with_flags(store, csv, flags):
    return {"store": store, "result": run_cli(["train", *flags.split(), "--data", str(csv)], store)}


@then("no run was recorded")
def no_run(outcome):
    client = outcome["store"].client()
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []


@then(parsers.parse("the seasonal_naive run logs test_mape {value:f} to 4 decimals"))
def seasonal_naive_mape(outcome, value):
    client = outcome["store"].client()
    (run,) = client.search_runs(every_experiment(client))
    assert round(run.data.metrics["test_mape"], 4) == value == round(100 * 0.1 / 1.1, 4)


@then("each run logs every window, its origin and the overall mean")
def every_window(outcome):
    for model, run in outcome["runs"].items():
        metrics = run.data.metrics
        windows = dict(part.split("=") for part in run.data.tags["windows"].split(","))
        assert windows == {"fold1": "2012-02-03", "fold2": "2012-05-04", "test": "2012-08-03"}, model
        every = [metrics[f"{window}_mape"] for window in windows]
        assert metrics["overall_mape"] == pytest.approx(sum(every) / 3, rel=1e-12), model
        assert metrics["backtest_mape"] == pytest.approx(sum(every[:2]) / 2, rel=1e-12), model
        assert "fold2_coverage" in metrics and "fold1_coverage" not in metrics  # fold 1 has no earlier window


@then("the ensemble logs the weight of each member it chose from: a third to each of three")
def ensemble_weights(outcome):
    params = outcome["runs"]["ensemble"].data.params
    members = params["components"].split(",")
    assert {"lightgbm", "mstl", "theta", "autotheta", "seasonal_naive"} <= set(members)
    assert "autoets" not in members  # a weekly season is longer than it models
    weights = {m: float(params[f"test_weight_{m}"]) for m in members}
    assert sorted(weights.values())[-3:] == pytest.approx([1 / 3] * 3, abs=1e-4)
    assert sum(w > 0 for w in weights.values()) == 3 and len(params["combined"].split(",")) == 3


@then(parsers.parse('each registered version forecasts series "{series}" for {horizon:d} weeks inside its interval'))
def every_version_forecasts(outcome, series, horizon):
    for model in outcome["models"]:
        forecast = load_and_forecast(outcome, f"models:/{model}/1", series, horizon)
        forecast_rows(forecast, horizon, series)
        inside_interval(forecast)


def _windows(test: float, fold: float) -> dict[str, float]:
    return {"test_mape": test, **{f"fold{k}_mape": fold for k in (1, 2, 3, 4)},
            "backtest_mape": fold, "overall_mape": (test + 4 * fold) / 5}


@given("runs where catboost wins the test window but loses every fold to lightgbm", target_fixture="outcome")
def winner_loses_the_folds(store):
    log_to_mlflow(store.client(), [
        RunSpec("catboost-1", "walmart_sales_forecasting", _windows(test=3.0, fold=9.0), {},
                {"model_name": "catboost", "dataset": "walmart"}),
        RunSpec("lightgbm-1", "walmart_sales_forecasting", _windows(test=3.5, fold=4.0), {},
                {"model_name": "lightgbm", "dataset": "walmart"}),
    ])
    return {"store": store}


@when("I benchmark them")
@when(parsers.parse('I benchmark them with "{flags}"'))
def benchmark_them(outcome, flags=""):
    outcome["result"] = run_cli(["benchmark", "--output-dir", "out", *flags.split()], outcome["store"])
    assert outcome["result"].returncode == 0, outcome["result"].stderr


@then(parsers.parse("{first} ranks first and {second} second, by {split} mape"))
def ranked(outcome, first, second, split):
    document = json.loads((outcome["store"].folder / "out" / RESULTS_JSON).read_text())
    assert [r["model_name"] for r in document["rankings"]] == [first, second]
    assert {r["split"] for r in document["rankings"]} == {split} == {document["filters"]["rank_on"]}
    expected = {"catboost": {"test": 3.0, "overall": 7.8}, "lightgbm": {"test": 3.5, "overall": 3.9}}
    assert [r["value"] for r in document["rankings"]] == pytest.approx(
        [expected[first][split], expected[second][split]]
    )


@when(parsers.parse('I run the main job with "{flags}" on the synthetic default'), target_fixture="outcome")
def main_job(store, flags):
    return {"store": store, "result": run_cli(["run", "--output-dir", "out", *flags.split()], store, timeout=900)}


@then(parsers.parse('the champion is the model with the lowest overall_mape, its evidence saying "{words}"'))
def champion_on_all_windows(outcome, words):
    client = outcome["store"].client()
    runs = client.search_runs(every_experiment(client))
    best = min(runs, key=lambda run: run.data.metrics["overall_mape"])
    model = best.data.params["model"]
    champion = client.get_model_version_by_alias(model, "champion")
    assert champion.run_id == best.info.run_id
    (record,) = [json.loads(v) for k, v in champion.tags.items() if k.startswith("promotion.")]
    assert words in record["evidence"], record["evidence"]
