"""Steps of features/series.feature: the real CLI on panels of its own synthetic generator."""

from __future__ import annotations

from datetime import date

import mlflow
import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from adapters.forecasting.synthetic import synthetic_walmart
from domain.frequency import frequency
from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import WALMART_CSV, run_cli
from tests.support import by_model, newest_runs

scenarios("series.feature")

WINDOWS = ("fold1", "fold2", "fold3", "fold4", "test")
PRISON_CSV = WALMART_CSV.parent / "prison_quarterly.csv"
ELECTRICITY_CSV = WALMART_CSV.parent / "electricity_daily.csv"


def _runs(store, experiment: str = "panel") -> dict:
    return newest_runs(store, experiment)


@given(parsers.parse('the {kind} panel of 12 series trained with "{models}"'), target_fixture="panel")
def trained_panel(own_panels, kind, models):
    store, trained = own_panels
    runs = by_model(store.client().search_runs([store.client().get_experiment_by_name(kind).experiment_id]),
                    key=lambda run: run.data.params["model"])
    assert sorted(runs) == sorted(models.split(","))
    return {"store": store, "kind": kind, "runs": runs, "result": trained[kind]}


@then(parsers.parse("every run of it says {code}, a season of {season:d} and a {horizon:d}-{unit} horizon"))
def says_its_frequency(panel, code, season, horizon, unit):
    for run in panel["runs"].values():
        assert run.data.tags["frequency"] == code
        assert (run.data.params["season_length"], run.data.params["horizon"]) == (str(season), str(horizon))
    assert f"12 series x {len(_dates(panel))} {unit}s ({code})" in panel["result"].stderr
    assert f"{horizon}-{unit} horizon" in panel["result"].stdout


@then("every boosted model beats seasonal_naive in every window")
def boosted_beat_the_baseline(panel):
    baseline = panel["runs"]["seasonal_naive"].data.metrics
    for model in ("lightgbm", "xgboost", "catboost"):
        metrics = panel["runs"][model].data.metrics
        for window in WINDOWS:
            assert metrics[f"{window}_mape"] < baseline[f"{window}_mape"], (panel["kind"], model, window)


def _dates(panel) -> list[str]:
    return sorted(pd.read_csv(panel["store"].folder / f"{panel['kind']}.csv")["ds"].unique())


@then(parsers.parse('the API forecasts series "{series}" with its lightgbm version for {horizon:d} {unit}s, '
                    "one {unit2} apart after its last date"))
def api_forecasts(panel, series, horizon, unit, unit2):
    run_id = panel["runs"]["lightgbm"].info.run_id
    (version,) = panel["store"].client().search_model_versions(f"run_id = '{run_id}'")
    kind = frequency(panel["kind"], "start")
    last = date.fromisoformat(_dates(panel)[-1])
    body = {"series_id": series, "model_name": "lightgbm", "model_version": str(version.version), "horizon": horizon}
    with TestClient(app=create_app(Settings(tracking_uri=panel["store"].uri))) as client:
        answer = client.post("/predict", json=body)
        assert answer.status_code == 200, answer.text
        (forecast,) = answer.json()["forecasts"]
        assert forecast["timestamps"] == [d.isoformat() for d in kind.after(last, horizon)]
        longer = client.post("/predict", json={**body, "horizon": kind.max_horizon + 1})
    assert longer.status_code == 400
    assert f"horizon must be in 1..{kind.max_horizon} {unit}s for this model" in longer.json()["detail"]


def _write(store, frame: pd.DataFrame) -> str:
    frame.to_csv(store.folder / "panel.csv", index=False)
    return "panel.csv"


def _text_ids(series: int) -> pd.DataFrame:
    """The synthetic weekly table as series, date (ISO), sales with ids S_01..."""
    raw = synthetic_walmart(stores=series)
    return pd.DataFrame({"series": raw["Store"].map(lambda n: f"S_{n:02d}"),
                         "date": pd.to_datetime(raw["Date"], format="%d-%m-%Y").dt.strftime("%Y-%m-%d"),
                         "sales": raw["Weekly_Sales"]})


@given(parsers.parse("a weekly panel of {series:d} series with text ids, {late:d} of which start {weeks:d} weeks "
                     "late"), target_fixture="csv")
def late_starters(store, series, late, weeks):
    frame = _text_ids(series)
    first = sorted(frame["date"].unique())[weeks]
    starting_late = frame["series"].isin([f"S_{n:02d}" for n in range(series - late + 1, series + 1)])
    return _write(store, frame[~starting_late | (frame["date"] >= first)])


@given(parsers.parse('a weekly panel in which series "{series}" has no row for {weeks:d} weeks'), target_fixture="csv")
def with_a_gap(store, series, weeks):
    frame = _text_ids(3)
    rows = frame.index[frame["series"] == series][60 : 60 + weeks]
    return _write(store, frame.drop(index=rows))


@given("the last 32 quarters of the shared prison table", target_fixture="csv")
def prison_quarters(store):
    frame = pd.read_csv(PRISON_CSV)
    return _write(store, frame[frame["quarter"] >= "2009-03-01"])


@given("the shared daily electricity table", target_fixture="csv")
def electricity(store):
    return _write(store, pd.read_csv(ELECTRICITY_CSV))


@when(parsers.parse('I train "{models}" on it'), target_fixture="outcome")
def train_on_it(store, csv, models):
    return {"store": store, "csv": csv, "result": run_cli(["train", "--models", models, "--data", csv], store)}


@when(parsers.parse('I train "{models}" on it with "{flags}"'), target_fixture="outcome")
def train_on_it_with(store, csv, models, flags):
    return {"store": store, "csv": csv,
            "result": run_cli(["train", "--models", models, "--data", csv, *flags.split()], store)}


@then(parsers.parse('the output says "{text}"'))
def output_says(outcome, text):
    assert text in outcome["result"].stderr, outcome["result"].stderr


@then(parsers.parse('the {model} run is tagged {tag} "{value}"'))
def tagged(outcome, model, tag, value):
    assert _runs(outcome["store"])[model].data.tags[tag] == value


@then(parsers.parse('the {model} run has param {name} "{value}"'))
def has_param(outcome, model, name, value):
    assert _runs(outcome["store"])[model].data.params[name] == value


@then("its registered version forecasts a late series from that series' own last weeks")
def late_series_forecast(outcome):
    frame = pd.read_csv(outcome["store"].folder / outcome["csv"])
    late = frame[frame["series"] == "S_20"].sort_values("date")
    run_id = _runs(outcome["store"])["lightgbm"].info.run_id
    (version,) = outcome["store"].client().search_model_versions(f"run_id = '{run_id}'")
    mlflow.set_tracking_uri(outcome["store"].uri)
    mlflow.set_registry_uri(outcome["store"].uri)
    model = mlflow.pyfunc.load_model(f"models:/lightgbm/{version.version}")
    forecast = model.predict(pd.DataFrame({"series_id": ["S_20"], "horizon": [4]}))
    # 43 weeks of history, less than a season: the baseline repeats the last value
    assert len(late) == 43
    np.testing.assert_allclose(forecast["prediction"], late["sales"].iloc[-1])
    full = model.predict(pd.DataFrame({"series_id": ["S_01"], "horizon": [4]}))
    assert full["prediction"].nunique() == 4  # a series with its history gets the model's own forecast
    assert pytest.approx(full["prediction"].mean(), rel=0.5) == frame[frame["series"] == "S_01"]["sales"].mean()


@then("every version forecasts the 8 quarters after a history, on the first of March, June...")
def quarterly_history_forecast(outcome):
    frame = pd.read_csv(outcome["store"].folder / outcome["csv"])
    history = frame[frame["series"] == "NSW_Male_Sentenced"].rename(
        columns={"series": "series_id", "quarter": "date", "count": "value"}).astype({"value": float})
    history = history[history["date"] <= "2015-12-01"]  # a year before the table ends
    actual = frame[(frame["series"] == "NSW_Male_Sentenced") & (frame["quarter"] > "2015-12-01")]["count"]
    mlflow.set_tracking_uri(outcome["store"].uri)
    mlflow.set_registry_uri(outcome["store"].uri)
    runs = _runs(outcome["store"])
    assert sorted(runs) == ["autoets", "autotheta", "lightgbm", "mstl", "seasonal_naive"]
    for model, run in runs.items():
        (version,) = outcome["store"].client().search_model_versions(f"run_id = '{run.info.run_id}'")
        forecast = mlflow.pyfunc.load_model(f"models:/{model}/{version.version}").predict(history,
                                                                                           params={"horizon": 8})
        assert [str(d)[:10] for d in forecast["date"]] == [
            "2016-03-01", "2016-06-01", "2016-09-01", "2016-12-01", "2017-03-01", "2017-06-01", "2017-09-01",
            "2017-12-01"], model
        assert np.isfinite(forecast["prediction"]).all() and (forecast["lower"] <= forecast["prediction"]).all()
        error = np.abs(forecast["prediction"].iloc[:4].to_numpy() / actual.to_numpy() - 1).mean()
        assert error < 0.2, (model, error)
