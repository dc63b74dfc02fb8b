"""Steps of features/monitoring.feature: the real CLI and the app the real container builds, on copies
of a store trained by `run --no-serve` on the synthetic panel cut 13 weeks before its end."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pytest_bdd import given, parsers, scenarios, then, when

from adapters.forecasting.synthetic import synthetic_walmart
from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import CLI, Store, run_cli

scenarios("monitoring.feature")

CUT = 130  # weeks trained on; the 13 after them arrive
TOKEN = "loop-token"


def _table() -> pd.DataFrame:
    table = synthetic_walmart()
    return table.assign(week=pd.to_datetime(table.Date, format="%d-%m-%Y"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("synthetic-loop"))
    table = _table()
    weeks = sorted(table.week.unique())
    table[table.week <= weeks[CUT - 1]].drop(columns="week").to_csv(store.folder / "synthetic_walmart.csv",
                                                                     index=False)
    result = run_cli(["run", "--no-serve", "--models", "seasonal_naive,lightgbm", "--data", "synthetic_walmart.csv"],
                     store, timeout=900)
    assert result.returncode == 0, result.stderr
    return store


@given("the synthetic stores trained to 2012-07-27", target_fixture="loop")
def copy_of(trained, tmp_path):
    store = Store(tmp_path)
    for name in ("mlflow.db", "actuals.duckdb"):
        shutil.copy(trained.folder / name, store.folder / name)
    table = _table()
    arriving = table[table.week > sorted(table.week.unique())[CUT - 1]]
    return {"store": store, "arriving": arriving}


def _write(loop, frame: pd.DataFrame, name: str = "arriving.csv") -> str:
    frame.drop(columns="week").to_csv(loop["store"].folder / name, index=False)
    return name


def _app(loop, token: str | None = TOKEN) -> TestClient:
    store = loop["store"]
    return TestClient(app=create_app(Settings(tracking_uri=store.uri, api_token=token,
                                              actuals=str(store.folder / "actuals.duckdb"))))


def _champion(loop) -> tuple[str, str]:
    (found,) = [(m.name, str(m.aliases["champion"])) for m in loop["store"].client().search_registered_models()
                if "champion" in m.aliases]
    return found


def _accuracy(loop) -> dict:
    name, _ = _champion(loop)
    result = run_cli(["accuracy", "--model", f"{name}@champion", "--format", "json"], loop["store"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@when("the next 13 weeks arrive through `ml-portfolio actuals add`")
def add_next(loop):
    loop["added"] = run_cli(["actuals", "add", "--data", _write(loop, loop["arriving"])], loop["store"])
    assert loop["added"].returncode == 0, loop["added"].stderr


@then(parsers.parse('it says "{text}" and scores the champion on them'))
def added_and_scored(loop, text):
    name, version = _champion(loop)
    assert text in loop["added"].stdout and f"{name}@champion (version {version}): live MAPE" in loop["added"].stdout


@then("the champion's live MAPE over the 585 settled periods is the MAPE of its stored forecast for them")
def live_by_hand(loop):
    import mlflow

    name, version = _champion(loop)
    loaded = mlflow.pyfunc.load_model(loop["store"].client().get_model_version_download_uri(name, version))
    stored = loaded.predict(pd.DataFrame({"series_id": [str(s) for s in range(1, 46)], "horizon": 13}))
    arriving = loop["arriving"].assign(series_id=loop["arriving"].Store.astype(str),
                                       date=loop["arriving"].week.dt.strftime("%Y-%m-%d"))
    both = stored.merge(arriving, on=["series_id", "date"])
    live = _accuracy(loop)["live"]
    assert live["periods"] == len(both) == 585
    assert live["mape"] == pytest.approx(100 * np.mean(np.abs(both.prediction - both.Weekly_Sales)
                                                       / both.Weekly_Sales), rel=1e-6)


@then("/predict forecasts series 7 from 2012-10-26, the latest actual, and from 2012-07-27 when asked for the "
      "training origin")
def predict_latest(loop):
    with _app(loop) as client:
        latest = client.post("/predict", json={"series_id": "7"}).json()
        trained = client.post("/predict", json={"series_id": "7", "origin": "training"}).json()
    assert latest["forecasts"][0]["origin"] == "2012-10-26" and latest["forecasts"][0]["timestamps"][0] == "2012-11-02"
    assert trained["forecasts"][0]["origin"] == "2012-07-27"


@when(parsers.parse("series 7's actual of 2012-08-03 is corrected to 1000 through POST /actuals with the token"))
def correct(loop):
    with _app(loop) as client:
        response = client.post("/actuals", json={"actuals": [{"series_id": "7", "date": "2012-08-03", "value": 1000}]},
                               headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.json()["corrected"] == 1, response.text


@then("GET /actuals/7 shows both values of 2012-08-03, the correction in force")
def both_values(loop):
    with _app(loop) as client:
        shown = client.get("/actuals/7").json()
    values = [(a["value"], a["latest"]) for a in shown["actuals"] if a["date"] == "2012-08-03"]
    original = float(loop["arriving"][(loop["arriving"].Store == 7)].Weekly_Sales.iloc[0])
    assert values == [(pytest.approx(original), False), (1000.0, True)]


@then("POST /actuals without the token is refused with 401 and stores nothing")
def without_token(loop):
    with _app(loop) as client:
        before = client.get("/actuals/8").json()
        refused = client.post("/actuals", json={"actuals": [{"series_id": "8", "date": "2012-08-03", "value": 1}]})
        assert refused.status_code == 401 and client.get("/actuals/8").json() == before


PROBLEMS = {
    "a Saturday": {"date": "2012-08-04"},
    "a missing value": {"value": None},
    "a negative value": {"value": -5.0},
    "a date before the series' first": {"date": "2010-01-29"},
    "a week skipped": {"date": "2012-08-10"},
}


@when(parsers.parse("actuals arrive through POST /actuals with {problem}"))
def post_bad(loop, problem):
    rows = [{"series_id": "3", "date": "2012-08-03", "value": 10.0}, {"series_id": "7", "date": "2012-08-03",
                                                                       "value": 10.0, **PROBLEMS[problem]}]
    with _app(loop) as client:
        loop["response"] = client.post("/actuals", json={"actuals": rows}, headers={"Authorization": f"Bearer {TOKEN}"})


@then(parsers.parse('the status is 400 and the error says "{message}"'))
def refused(loop, message):
    response = loop["response"]
    assert response.status_code == 400 and message in response.json()["detail"], response.text


@then("the store holds nothing new")
def nothing_new(loop):
    shown = run_cli(["actuals", "show", "3"], loop["store"])
    assert "series 3, 130 periods, 0 corrected values" in shown.stdout, shown.stdout


@when(parsers.parse("the next 13 weeks arrive with series 1 to 5 selling 1.5 times as much from {first}"))
def add_shifted(loop, first):
    arriving = loop["arriving"].copy()
    shifted = (arriving.Store <= 5) & (arriving.week >= first)
    arriving.loc[shifted, "Weekly_Sales"] *= 1.5
    assert run_cli(["actuals", "add", "--data", _write(loop, arriving)], loop["store"]).returncode == 0


@then("the champion's drift flags exactly series 1, 2, 3, 4 and 5, each with its evidence")
def drifted(loop):
    drift = _accuracy(loop)["drift"]
    assert drift["flagged_series"] == ["1", "2", "3", "4", "5"]
    assert all("above 2 times the 95% interval: 2012-10-19" in drift["series"][s] for s in drift["flagged_series"])


@when("the first 6 of the next 13 weeks arrive through `ml-portfolio actuals add`")
def add_first(loop):
    weeks = sorted(loop["arriving"].week.unique())
    first = loop["arriving"][loop["arriving"].week <= weeks[5]]
    assert run_cli(["actuals", "add", "--data", _write(loop, first, "first.csv")], loop["store"]).returncode == 0


@when("`ml-portfolio retrain` runs while the other 7 arrive through `ml-portfolio actuals add`")
def side_by_side(loop):
    store = loop["store"]
    weeks = sorted(loop["arriving"].week.unique())
    retrain = subprocess.Popen([*CLI, "retrain", "--models", "seasonal_naive,lightgbm"], cwd=store.folder,
                               env=store.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    other = loop["arriving"][loop["arriving"].week > weeks[5]]
    loop["added"] = run_cli(["actuals", "add", "--data", _write(loop, other, "other.csv")], store)
    out, err = retrain.communicate(timeout=900)
    loop["retrain"] = (retrain.returncode, out, err)


@then("both succeed and the store holds the 13 weeks")
def both_succeed(loop):
    assert loop["added"].returncode == 0, loop["added"].stderr
    assert loop["retrain"][0] == 0, loop["retrain"][2]
    shown = run_cli(["actuals", "show", "45"], loop["store"]).stdout
    assert "series 45, 143 periods" in shown


@then("the retrain registered new versions and says why it promoted or kept the champion")
def verdict(loop):
    _, out, err = loop["retrain"]
    assert "45 series x 143 weeks" in err or "45 series x 136 weeks" in err, err
    loop["first_table"] = "143 weeks" if "45 series x 143 weeks" in err else "136 weeks"
    lines = [line for line in out.splitlines() if line.startswith(("promoted", "kept"))]
    assert lines, out
    if lines[0].startswith(("promoted version", "kept version")):
        assert "Wilcoxon signed-rank p =" in lines[0] and "newest periods" in lines[0]
    versions = loop["store"].client().search_model_versions("name = 'lightgbm'")
    assert max(int(v.version) for v in versions) == 2


@when("`ml-portfolio retrain` runs again", target_fixture="again")
@when("`ml-portfolio retrain` runs a third time", target_fixture="again")
def retrain_again(loop):
    return run_cli(["retrain", "--models", "seasonal_naive,lightgbm"], loop["store"], timeout=900)


@then("it trains only if the 7 weeks were not in the first retrain's table")
def trains_if_new(loop, again):
    assert again.returncode == 0, again.stderr
    new = "no new actuals" not in again.stdout
    assert new == (loop["first_table"] == "136 weeks"), (loop["first_table"], again.stdout)
    if new:
        assert "45 series x 143 weeks" in again.stderr


@then('it registers nothing, says "no new actuals", and exits 0')
def nothing(loop, again):
    count = len(loop["store"].client().search_model_versions(""))
    assert again.returncode == 0 and "no new actuals of synthetic_walmart since its last training" in again.stdout
    assert len(loop["store"].client().search_model_versions("")) == count


@when("a forecast is asked for and /metrics is read")
def scrape(loop):
    with _app(loop) as client:
        assert client.post("/predict", json={"series_id": "3"}).status_code == 200
        loop["metrics"] = client.get("/metrics").text


@then("the metrics parse with prometheus_client's parser")
def parse(loop):
    loop["families"] = {f.name: f for f in text_string_to_metric_families(loop["metrics"])}


@then("they count the /predict request under the model that answered, with its latency")
def counted(loop):
    name, _ = _champion(loop)
    families = loop["families"]
    (request,) = [s for s in families["ml_portfolio_requests"].samples
                  if s.name.endswith("_total") and s.labels["route"] == "/predict"]
    assert (request.labels["model"], request.labels["status"], request.value) == (name, "200", 1.0)
    counts = [s for s in families["ml_portfolio_request_seconds"].samples if s.name.endswith("_count")
              and s.labels["route"] == "/predict"]
    assert [s.value for s in counts] == [1.0]


@then("they give the champion's live MAPE and drift under its model and alias, never per series")
def live_metrics(loop):
    name, version = _champion(loop)
    families = loop["families"]
    (mape,) = [s for s in families["ml_portfolio_live_mape"].samples if s.labels["alias"] == "champion"]
    assert (mape.labels["model"], mape.labels["version"]) == (name, version)
    assert mape.value == pytest.approx(_accuracy(loop)["live"]["mape"], rel=1e-9)
    assert [s.value for s in families["ml_portfolio_drift_flagged"].samples if s.labels["alias"] == "champion"] == [0]
    assert not any("series" in s.labels for f in families.values() for s in f.samples)
