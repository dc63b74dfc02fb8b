"""Versions forecast from the actuals they are given, on the real Walmart table: the same origin gives
the stored answer, a later origin a fresher one, a series never seen its history's forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient

from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import CUT, run_cli, walmart_rows
from tests.support import WEEKLY_MODELS, every_experiment

MODELS = WEEKLY_MODELS
LATER = "2012-08-03"  # the full table's test origin: 13 weeks after the cut


def history_rows(walmart_csv, last: str, stores=None) -> list[dict]:
    rows = walmart_rows(walmart_csv, last=last)
    if stores is not None:
        rows = rows[rows.Store.isin([str(s) for s in stores])]
    days = pd.to_datetime(rows.Date, format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    return [{"series_id": s, "date": d, "value": float(v)} for s, d, v in zip(rows.Store, days, rows.Weekly_Sales)]


def actuals_after(walmart_csv, origin: str, weeks: int) -> pd.DataFrame:
    """weeks x stores of the actuals after `origin`."""
    rows = walmart_rows(walmart_csv, first=(pd.Timestamp(origin) + pd.Timedelta(days=1)).date().isoformat())
    table = rows.assign(Date=pd.to_datetime(rows.Date, format="%d-%m-%Y"), Store=rows.Store.astype(int),
                        Weekly_Sales=rows.Weekly_Sales.astype(float))
    return table.pivot(index="Date", columns="Store", values="Weekly_Sales").iloc[:weeks]


def grid(forecasts: list[dict], steps: slice = slice(None)) -> pd.DataFrame:
    """steps x stores of /predict's predictions."""
    return pd.DataFrame({int(f["series_id"]): f["predictions"][steps] for f in forecasts})


def mape(predicted: pd.DataFrame, actual: pd.DataFrame) -> float:
    return float(100 * np.mean(np.abs(predicted.to_numpy() - actual[predicted.columns].to_numpy())
                               / actual[predicted.columns].to_numpy()))


@pytest.fixture(scope="module")
def full_api(walmart_store):
    store, _ = walmart_store
    with TestClient(app=create_app(Settings(tracking_uri=store.uri))) as client:
        yield client


@pytest.fixture(scope="module")
def cut_api(walmart_cut_job):
    store, _ = walmart_cut_job
    with TestClient(app=create_app(Settings(tracking_uri=store.uri))) as client:
        yield client


def predict(client, **body) -> dict:
    response = client.post("/predict", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("model", MODELS)
def test_the_training_table_as_history_gives_the_stored_forecast(full_api, walmart_csv, model):
    stored = predict(full_api, model_name=model, series_ids=list(range(1, 46)), horizon=12)["forecasts"]
    given = predict(full_api, model_name=model, history=history_rows(walmart_csv, "2012-10-26"), horizon=12)
    assert [f["series_id"] for f in given["forecasts"]] == [str(s) for s in range(1, 46)]
    for before, after in zip(stored, given["forecasts"]):
        assert after["origin"] == before["origin"] == "2012-10-26" and after["baseline"] == before["baseline"]
        np.testing.assert_allclose(after["predictions"], before["predictions"], rtol=1e-6)
        np.testing.assert_allclose(after["confidence_intervals"]["upper"], before["confidence_intervals"]["upper"],
                                   rtol=1e-6)


def test_the_pyfunc_answers_the_same_from_the_training_table(walmart_store, walmart_csv):
    import mlflow

    store, _ = walmart_store
    rows = pd.DataFrame(history_rows(walmart_csv, "2012-10-26"))
    for model in MODELS:
        loaded = mlflow.pyfunc.load_model(store.client().get_model_version_download_uri(model, "1"))
        stored = loaded.predict(pd.DataFrame({"series_id": [str(s) for s in range(1, 46)], "horizon": 12}))
        given = loaded.predict(rows, params={"horizon": 12})
        np.testing.assert_allclose(given.prediction, stored.prediction, rtol=1e-6, err_msg=model)
        np.testing.assert_allclose(given.lower, stored.lower, rtol=1e-6, err_msg=model)


@pytest.mark.parametrize("model", ["lightgbm", "mstl", "ensemble"])
def test_a_later_origin_gives_a_fresher_answer(cut_api, walmart_store, walmart_csv, model):
    """Trained to the cut, asked with the actuals to 13 weeks later: within 10% of the same member
    retrained there, and better than its own forecast from the cut for those weeks."""
    store, _ = walmart_store
    retrained = store.client().get_run(store.client().get_model_version(model, "1").run_id).data.metrics["test_mape"]
    actual = actuals_after(walmart_csv, LATER, 12)
    fresh = predict(cut_api, model_name=model, model_version="1", history=history_rows(walmart_csv, LATER),
                    horizon=12)["forecasts"]
    assert {f["origin"] for f in fresh} == {LATER}
    stale = predict(cut_api, model_name=model, model_version="1", series_ids=list(range(1, 46)), horizon=25)
    assert {f["origin"] for f in stale["forecasts"]} == {CUT}
    fresh_mape, stale_mape = mape(grid(fresh), actual), mape(grid(stale["forecasts"], slice(13, 25)), actual)
    assert fresh_mape <= 1.1 * retrained, (model, fresh_mape, retrained)
    assert fresh_mape < stale_mape, (model, fresh_mape, stale_mape)


def test_a_series_never_seen_is_forecast_from_its_history(full_api, walmart_csv):
    store_1 = history_rows(walmart_csv, "2012-10-26", stores=[1])
    cold = predict(full_api, model_name="lightgbm", history=[{**r, "series_id": "opened-today"} for r in store_1])
    known = predict(full_api, model_name="lightgbm", series_id="1")
    (forecast,) = cold["forecasts"]
    assert forecast["series_id"] == "opened-today" and forecast["baseline"] is False
    np.testing.assert_allclose(forecast["predictions"], known["forecasts"][0]["predictions"], rtol=1e-9)
    short = predict(full_api, model_name="lightgbm", history=store_1[-20:])  # under a year: the baseline answers
    assert short["forecasts"][0]["baseline"] is True


def test_the_cut_table_trains_every_member_and_says_where_the_baseline_stood_in(walmart_cut_job):
    store, result = walmart_cut_job
    runs = {r.data.tags["model_type"]: r for r in store.client().search_runs(
        every_experiment(store.client()))}
    assert len(runs) == len(MODELS) and all(r.info.status == "FINISHED" for r in runs.values())
    for model in ("LightGBM", "XGBoost", "CatBoost", "RandomForest", "AlignedNaive"):
        assert runs[model].data.tags["baseline_windows"] == ("backtest fold 1: 45 of 45 series forecast by the "
                                                             "baseline (no row to learn from before its origin)")
    assert "lightgbm: backtest fold 1: 45 of 45 series forecast by the baseline" in result.stderr
    assert "baseline_windows" not in runs["SeasonalNaive"].data.tags


def test_the_version_says_what_a_history_needs(full_api):
    response = full_api.get("/models/lightgbm", params={"version": "1"})
    assert response.status_code == 200
    assert response.json()["forecasting"] == {
        "frequency": "W-FRI", "unit": "week", "training_origin": "2012-10-26", "series": 45, "default_horizon": 12,
        "max_horizon": 52, "history_periods": 2 * 52 + 13 + 2, "covariates": []}


def test_forecast_a_table_of_histories_to_parquet(walmart_cut_job, walmart_csv, cut_api):
    store, _ = walmart_cut_job
    rows = walmart_rows(walmart_csv, last=LATER)
    rows[rows.Store.astype(int) <= 3].to_csv(store.folder / "recent.csv", index=False)
    result = run_cli(["forecast", "--model", "lightgbm/1", "--data", "recent.csv", "--horizon", "4", "--output",
                      "recent.parquet"], store)
    assert result.returncode == 0, result.stderr
    found = pd.read_parquet(store.folder / "recent.parquet")
    assert len(found) == 12 and set(found.origin.astype(str)) == {LATER} and not found.baseline.any()
    api = predict(cut_api, model_name="lightgbm", model_version="1", horizon=4,
                  history=history_rows(walmart_csv, LATER, stores=[1, 2, 3]))
    np.testing.assert_allclose(found.prediction, [p for f in api["forecasts"] for p in f["predictions"]], rtol=1e-9)
