"""The loop on the real Walmart table: `run --no-serve` on the table cut at 2012-05-04, then the 13
weeks that follow arrive as actuals; live accuracy, forecasts from the latest actuals, drift,
retraining on evidence and /metrics."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from scipy.stats import wilcoxon

from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import Store, run_cli, walmart_rows

NEXT = ("2012-05-05", "2012-08-03")  # the 13 weeks after the cut


def copied(source: Store, folder) -> Store:
    store = Store(folder)
    for name in ("mlflow.db", "actuals.duckdb"):
        shutil.copy(source.folder / name, store.folder / name)  # artifacts stay where they are
    return store


def champion(store: Store) -> tuple[str, str]:
    (found,) = [(m.name, str(m.aliases["champion"])) for m in store.client().search_registered_models()
                if "champion" in m.aliases]
    return found


def accuracy(store: Store, model: str) -> dict:
    result = run_cli(["accuracy", "--model", f"{model}@champion", "--format", "json"], store)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def loop(walmart_cut_job, walmart_csv, tmp_path_factory):
    """A copy of the cut job's stores with the next 13 weeks added by `actuals add`."""
    store = copied(walmart_cut_job[0], tmp_path_factory.mktemp("walmart-loop"))
    walmart_rows(walmart_csv, *NEXT).to_csv(store.folder / "next13.csv", index=False)
    added = run_cli(["actuals", "add", "--data", "next13.csv"], store)
    assert added.returncode == 0, added.stderr
    return store, added


def test_the_champion_is_scored_on_the_actuals_as_a_hand_would(loop, walmart_csv):
    store, added = loop
    assert "walmart_cut: 45 series (0 new), 585 periods added, 0 corrected, 0 unchanged; batch 2" in added.stdout
    name, version = champion(store)
    assert f"{name}@champion (version {version}): live MAPE" in added.stdout
    import mlflow

    loaded = mlflow.pyfunc.load_model(store.client().get_model_version_download_uri(name, version))
    stored = loaded.predict(pd.DataFrame({"series_id": [str(s) for s in range(1, 46)], "horizon": 13}))
    actual = walmart_rows(walmart_csv, *NEXT)
    actual = actual.assign(date=pd.to_datetime(actual.Date, format="%d-%m-%Y").dt.strftime("%Y-%m-%d"),
                           value=actual.Weekly_Sales.astype(float))
    both = stored.merge(actual, left_on=["series_id", "date"], right_on=["Store", "date"])
    assert len(both) == 585
    by_hand = 100 * np.mean(np.abs(both.prediction - both.value) / both.value)
    report = accuracy(store, name)
    assert report["live"]["periods"] == 585
    assert report["live"]["mape"] == pytest.approx(by_hand, rel=1e-6)
    inside = ((both.lower <= both.value) & (both.value <= both.upper)).mean()
    assert report["live"]["coverage"] == pytest.approx(inside, rel=1e-9)
    assert report["backtest"]["mape"] > 0 and report["drift"]["flagged_series"] == []


def test_predict_forecasts_from_the_latest_actual_and_metrics_say_so(loop):
    store, _ = loop
    name, version = champion(store)
    with TestClient(app=create_app(Settings(tracking_uri=store.uri, actuals=str(store.folder / "actuals.duckdb")))
                    ) as client:
        latest = client.post("/predict", json={"series_ids": ["1", "45"], "horizon": 4}).json()
        assert (latest["model_name"], str(latest["model_version"])) == (name, version)
        assert {f["origin"] for f in latest["forecasts"]} == {"2012-08-03"}
        trained = client.post("/predict", json={"series_id": "1", "horizon": 4, "origin": "training"}).json()
        assert trained["forecasts"][0]["origin"] == "2012-05-04"
        body = client.get("/metrics").text
        served = client.get(f"/models/{name}/accuracy", params={"version": "champion"}).json()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    live = {(s.labels["model"], s.labels["alias"]): s.value for s in families["ml_portfolio_live_mape"].samples}
    assert live[(name, "champion")] == pytest.approx(served["live"]["mape"], rel=1e-9)
    requests = [s for s in families["ml_portfolio_requests"].samples
                if s.name == "ml_portfolio_requests_total" and s.labels["route"] == "/predict"]
    assert sum(s.value for s in requests) == 2 and {s.labels["model"] for s in requests} == {name}
    assert (name, version) in {(s.labels["model"], s.labels["version"])
                               for s in families["ml_portfolio_loaded_versions"].samples}
    assert all("series" not in s.labels for f in families.values() for s in f.samples)


def test_retrain_promotes_only_on_the_evidence_and_then_trains_nothing(loop):
    store, _ = loop
    name, before = champion(store)
    result = run_cli(["retrain"], store, timeout=1200)
    assert result.returncode == 0, result.stderr
    after_name, after = champion(store)
    new = int(after)
    (verdict,) = [line for line in result.stdout.splitlines() if line.startswith(("promoted version", "kept version"))]
    challenger = max(int(v.version) for v in store.client().search_model_versions(f"name = '{name}'"))
    assert challenger > int(before) and after_name == name
    errors = pd.read_csv(store.client().download_artifacts(
        store.client().get_model_version(name, str(challenger)).run_id, "per_series_errors.csv"))
    theirs = errors[errors.window == "test"].set_index("series_id")["mape"]
    mine = _champion_on_the_window(store, name, before)
    paired = mine.index.intersection(theirs.index)
    p_value = wilcoxon(theirs[paired], mine[paired]).pvalue
    wins = theirs[paired].mean() < mine[paired].mean() and p_value < 0.05
    assert (new == challenger) == wins, (verdict, theirs[paired].mean(), mine[paired].mean(), p_value)
    assert f"{theirs[paired].mean():.4g}%" in verdict and f"{mine[paired].mean():.4g}%" in verdict
    count = len(store.client().search_model_versions(""))
    again = run_cli(["retrain"], store, timeout=600)
    assert again.returncode == 0 and "no new actuals of walmart_cut since its last training" in again.stdout
    assert len(store.client().search_model_versions("")) == count  # nothing registered


def _champion_on_the_window(store: Store, name: str, version: str) -> pd.Series:
    """Per series, the MAPE of the old champion forecasting the last 12 weeks from the actuals before them."""
    import mlflow

    actuals = pd.DataFrame([(r[0], r[1], r[2]) for r in _store_rows(store)], columns=["series_id", "date", "value"])
    origin = sorted(actuals.date.unique())[-13]
    loaded = mlflow.pyfunc.load_model(store.client().get_model_version_download_uri(name, version))
    forecast = loaded.predict(actuals[actuals.date <= origin], params={"horizon": 12})
    both = forecast.merge(actuals, on=["series_id", "date"])
    both["ape"] = 100 * (both.prediction - both.value).abs() / both.value
    return both.groupby(both.series_id.astype(int))["ape"].mean()


def _store_rows(store: Store) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(store.folder / "actuals.duckdb")) as connection:
        return connection.execute("SELECT series_id, strftime(period, '%Y-%m-%d'), value FROM (SELECT *, row_number() "
                                  "OVER (PARTITION BY series_id, period ORDER BY batch DESC) AS r FROM actuals) "
                                  "WHERE r = 1").fetchall()


def test_a_level_shift_flags_exactly_the_shifted_stores(walmart_cut_job, walmart_csv, tmp_path):
    store = copied(walmart_cut_job[0], tmp_path)
    rows = walmart_rows(walmart_csv, *NEXT)
    shifted = (rows.Store.astype(int) <= 5) & (pd.to_datetime(rows.Date, format="%d-%m-%Y") >= "2012-06-15")
    rows.loc[shifted, "Weekly_Sales"] = (rows.loc[shifted, "Weekly_Sales"].astype(float) * 1.5).map(str)
    rows.to_csv(store.folder / "shifted.csv", index=False)
    assert run_cli(["actuals", "add", "--data", "shifted.csv"], store).returncode == 0
    name, _ = champion(store)
    report = accuracy(store, name)
    assert report["drift"]["flagged_series"] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows.assign(Date=rows.Date.str.replace("-08-2012", "-09-2012")), "is not a period of dataset"),
    (lambda rows: rows.assign(Weekly_Sales=rows.Weekly_Sales.where(rows.index != rows.index[7], "")), "not a number"),
    (lambda rows: rows.assign(Weekly_Sales=rows.Weekly_Sales.where(rows.index != rows.index[7], "-3")),
     "finite number >= 0"),
    (lambda rows: rows.assign(Date=rows.Date.where(rows.index != rows.index[0], "29-01-2010")),
     "is before its first actual 2010-02-05"),
    (lambda rows: rows[rows.Date != "15-06-2012"], "would have a gap: no actual for 2012-06-15"),
])
def test_bad_actuals_are_refused_whole(walmart_cut_job, walmart_csv, tmp_path, change, message):
    store = copied(walmart_cut_job[0], tmp_path)
    change(walmart_rows(walmart_csv, *NEXT)).to_csv(store.folder / "bad.csv", index=False)
    result = run_cli(["actuals", "add", "--data", "bad.csv"], store)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    shown = run_cli(["actuals", "show", "1"], store).stdout  # nothing of the batch was stored
    assert "walmart_cut: series 1, 118 periods, 0 corrected values" in shown
