"""Steps of features/covariates.feature: the real CLI on the promotions panel of its own generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import AHEAD, FLAGS, Store, run_cli
from tests.support import newest_runs

scenarios("covariates.feature")



@given(parsers.parse('the promotions panel of 12 series, its last 12 weeks future rows, trained with "{models}" '
                     'and "{flags}"'), target_fixture="panel")
def trained(promotions, models, flags):
    assert flags.split() == FLAGS
    runs = newest_runs(promotions["store"], "promotions")
    assert sorted(runs) == sorted(models.split(","))
    return {**promotions, "runs": runs}


@then(parsers.parse('the {model} run is tagged covariates "{value}"'))
def tagged(panel, model, value):
    assert panel["runs"][model].data.tags["covariates"] == value


@then("GET /models/lightgbm lists promo as future number, price as future number and store_size as static text")
def lists_covariates(panel):
    with TestClient(app=create_app(Settings(tracking_uri=panel["store"].uri))) as client:
        answer = client.get("/models/lightgbm", params={"version": _version(panel["store"], panel["runs"]["lightgbm"])})
    assert answer.status_code == 200, answer.text
    assert answer.json()["forecasting"]["covariates"] == [
        {"name": "promo", "kind": "future", "type": "number"}, {"name": "price", "kind": "future", "type": "number"},
        {"name": "store_size", "kind": "static", "type": "text"}]


@then("the lightgbm version's signature takes promo and price as doubles and store_size as a string, and names "
      "their kinds")
def signature_lists_covariates(panel):
    import mlflow
    from mlflow.models import get_model_info

    run = panel["runs"]["lightgbm"]
    mlflow.set_tracking_uri(panel["store"].uri)
    mlflow.set_registry_uri(panel["store"].uri)
    found = get_model_info(f"models:/lightgbm/{_version(panel['store'], run)}").signature
    columns = {c.name: c.type.name for c in found.inputs.inputs}
    assert (columns["promo"], columns["price"], columns["store_size"]) == ("double", "double", "string"), columns
    kinds = {p.name: p.default for p in found.params.params}["covariates"]
    assert kinds == "promo (future, number), price (future, number), store_size (static, text)"


@then(parsers.parse("the lightgbm run's features end with \"{names}\""))
def features_end_with(panel, names):
    assert panel["runs"]["lightgbm"].data.params["features"].endswith("," + names)


@given("lightgbm trained on the same panel without covariates", target_fixture="plain")
def without_covariates(panel):
    result = run_cli(["train", "--models", "lightgbm", "--data", "history.csv", "--experiment-name", "plain"],
                     panel["store"], timeout=1200)
    assert result.returncode == 0, result.stderr
    return newest_runs(panel["store"], "plain")["lightgbm"]


def _version(store: Store, run) -> str:
    (version,) = store.client().search_model_versions(f"run_id = '{run.info.run_id}'")
    return str(version.version)


def _stored(client, version: str, series: list[str]) -> pd.DataFrame:
    answer = client.post("/predict", json={"series_ids": series, "model_name": "lightgbm", "model_version": version,
                                           "horizon": AHEAD, "origin": "training", "include_intervals": False})
    assert answer.status_code == 200, answer.text
    return pd.DataFrame({f["series_id"]: f["predictions"] for f in answer.json()["forecasts"]})


@then("on the promoted weeks of the future rows, the lightgbm version with covariates has a MAPE at least 40% "
      "below the one without")
def promoted_weeks(panel, plain):
    ahead = panel["full"][panel["future"]].pivot(index="ds", columns="unique_id")
    series = list(ahead["y"].columns)
    promoted = ahead["promo"].to_numpy() == 1
    assert promoted.sum() >= 10  # enough promoted weeks to judge on
    with TestClient(app=create_app(Settings(tracking_uri=panel["store"].uri))) as client:
        found = {name: _stored(client, _version(panel["store"], run), series)[series].to_numpy()
                 for name, run in (("with", panel["runs"]["lightgbm"]), ("without", plain))}
    actual = ahead["y"].to_numpy()
    mape = {name: float(np.mean(np.abs(grid - actual)[promoted] / actual[promoted])) for name, grid in found.items()}
    assert mape["with"] <= 0.6 * mape["without"], mape


def _model(panel) -> str:
    return f"lightgbm/{_version(panel['store'], panel['runs']['lightgbm'])}"


@when("I forecast with its lightgbm version from the table without its future rows", target_fixture="outcome")
def forecast_without_future(panel):
    return run_cli(["forecast", "--model", _model(panel), "--data", "history.csv", "--output", "out.parquet"],
                   panel["store"])


@when("I forecast with its lightgbm version from the table with its future rows", target_fixture="outcome")
def forecast_with_future(panel):
    return run_cli(["forecast", "--model", _model(panel), "--data", "panel.csv", "--output", "out.parquet"],
                   panel["store"])


@then(parsers.parse('the command exits 2 and says "{text}"'))
def exits_2(outcome, text):
    assert outcome.returncode == 2, outcome.stderr
    assert text in outcome.stderr and "Traceback" not in outcome.stderr, outcome.stderr


def _history(panel) -> list[dict]:
    rows = panel["full"][~panel["future"]]
    return [{"series_id": s, "date": d, "value": float(v), "promo": int(p), "price": float(c), "store_size": z}
            for s, d, v, p, c, z in zip(rows.unique_id, rows.ds, rows.y, rows.promo, rows.price, rows.store_size)]


def _future(panel, days: int = 0) -> list[dict]:
    rows = panel["full"][panel["future"]]
    return [{"series_id": s, "date": (pd.Timestamp(d) + pd.Timedelta(days=days)).date().isoformat(),
             "promo": int(p), "price": float(c)} for s, d, p, c in zip(rows.unique_id, rows.ds, rows.promo, rows.price)]


def _predict(panel, **body):
    with TestClient(app=create_app(Settings(tracking_uri=panel["store"].uri))) as client:
        version = _version(panel["store"], panel["runs"]["lightgbm"])
        return client.post("/predict", json={"model_name": "lightgbm", "model_version": version, "horizon": AHEAD,
                                             **body})


@then(parsers.parse('the API answers 400 to that history, saying "{text}"'))
def api_refuses_history(panel, text):
    answer = _predict(panel, history=_history(panel))
    assert answer.status_code == 400 and text in answer.text, answer.text


@then(parsers.parse('the API answers 400 to future rows dated after the horizon, saying "{text}"'))
def api_refuses_late_future(panel, text):
    answer = _predict(panel, history=_history(panel), future=_future(panel, days=7 * AHEAD))
    assert answer.status_code == 400 and text in answer.text, answer.text


@then(parsers.parse('the API answers 400 to future rows without a history, saying "{text}"'))
def api_refuses_future_alone(panel, text):
    answer = _predict(panel, series_id="P_01", future=_future(panel))
    assert answer.status_code == 400 and text in answer.text, answer.text


@then(parsers.parse("the command succeeds and writes {weeks:d} weeks for each of the {series:d} series"))
def writes_weeks(panel, outcome, weeks, series):
    assert outcome.returncode == 0, outcome.stderr
    written = pd.read_parquet(panel["store"].folder / "out.parquet")
    assert written.groupby("series_id")["step"].max().to_dict() == {f"P_{k:02d}": weeks for k in range(1, series + 1)}


@then("mlflow.pyfunc forecasts the same from the table's rows, its rows of future values with an empty value")
def pyfunc_forecasts_the_same(panel):
    import mlflow

    mlflow.set_tracking_uri(panel["store"].uri)
    mlflow.set_registry_uri(panel["store"].uri)
    model = mlflow.pyfunc.load_model(f"models:/{_model(panel)}")
    rows = pd.read_csv(panel["store"].folder / "panel.csv").rename(columns={"unique_id": "series_id", "ds": "date",
                                                                           "y": "value"})
    found = model.predict(rows, params={"horizon": AHEAD})
    written = pd.read_parquet(panel["store"].folder / "out.parquet")
    np.testing.assert_allclose(found.sort_values(["series_id", "step"])["prediction"].to_numpy(),
                               written.sort_values(["series_id", "step"])["prediction"].to_numpy(), rtol=1e-9)
    with pytest.raises(mlflow.exceptions.MlflowException, match="needs the future values of promo"):
        model.predict(rows[rows["value"].notna()], params={"horizon": AHEAD})


@then("through the API, a week with promo set to 1 at a 30% lower price is forecast at least 20% higher than without")
def a_changed_future_moves_the_forecast(panel):
    future = [row for row in _future(panel) if row["series_id"] == "P_03"]
    history = [row for row in _history(panel) if row["series_id"] == "P_03"]
    quiet = next(k for k, row in enumerate(future) if row["promo"] == 0)
    calm = [{**row, "promo": 0} for row in future]
    pushed = [dict(row) for row in calm]
    pushed[quiet] = {**pushed[quiet], "promo": 1, "price": round(0.7 * pushed[quiet]["price"], 2)}
    answers = [_predict(panel, history=history, future=rows, include_intervals=False) for rows in (calm, pushed)]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    before, after = (a.json()["forecasts"][0]["predictions"] for a in answers)
    assert after[quiet] >= 1.2 * before[quiet], (before[quiet], after[quiet])
    assert np.allclose(np.delete(after, quiet), np.delete(before, quiet), rtol=0.02)
