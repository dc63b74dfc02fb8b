"""Steps of features/api.feature: the Litestar app built by the real container, real MLflow store."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from entrypoints.config import Settings
from entrypoints.http import create_app
from tests.conftest import ROOT, Store

scenarios("api.feature")


@pytest.fixture
def api(serving_store, tmp_path):
    """A copy of the trained store per scenario: one scenario's promotions are not another's."""
    store = Store(tmp_path)
    shutil.copy(serving_store.folder / "mlflow.db", store.folder / "mlflow.db")  # artifacts stay where they are
    clients = []

    def start(token: str | None):
        client = TestClient(app=create_app(Settings(tracking_uri=store.uri, api_token=token)))
        client.__enter__()
        clients.append(client)
        return client

    yield {"start": start, "store": store}
    for client in clients:
        client.__exit__(None, None, None)


@given(parsers.parse('the API over the trained store, with promotion token "{token}"'), target_fixture="client")
def with_token(api, token):
    return api["start"](token)


@given("the API over the trained store, with no promotion token", target_fixture="client")
def without_token(api):
    return api["start"](None)


@pytest.fixture
def answer():
    return {}


def _keep(answer, response):
    answer["response"] = response
    answer["body"] = response.json()
    return response


@when(parsers.parse("I POST /predict with {body}"))
def post_predict(client, answer, body):
    _keep(answer, client.post("/predict", json=json.loads(body)))


@when(parsers.parse("I GET {path}"))
def get(client, answer, path):
    _keep(answer, client.get(path))


def _synthetic(series: str, last: str, weeks: int | None = None) -> list[dict]:
    """The synthetic table's rows of a series up to `last` (ISO), the last `weeks` of them if given."""
    from adapters.forecasting.synthetic import synthetic_walmart

    table = synthetic_walmart()
    rows = table[table.Store.astype(str) == series]
    days = pd.to_datetime(rows.Date, format="%d-%m-%Y")
    found = [{"series_id": series, "date": d.date().isoformat(), "value": float(v)}
             for d, v in zip(days, rows.Weekly_Sales) if d.date().isoformat() <= last]
    return found[-weeks:] if weeks else found


def _broken(rows: list[dict], change: str) -> list[dict]:
    """The rows with one changed as the step says: without its row for D, with its row for D twice, with D dated
    D2, with -5 for D, with no value for D."""
    if not change:
        return rows
    found = re.fullmatch(r" (without its row for|with its row for|with -5 for|with no value for|with) "
                         r"(\d{4}-\d\d-\d\d)( twice| dated (\d{4}-\d\d-\d\d))?", change)
    assert found, change
    how, day = found[1], found[2]
    (index,) = [k for k, row in enumerate(rows) if row["date"] == day]
    row = rows[index]
    changed = {"without its row for": [], "with its row for": [row, row], "with -5 for": [{**row, "value": -5}],
               "with no value for": [{**row, "value": None}], "with": [{**row, "date": found[4]}]}[how]
    return rows[:index] + changed + rows[index + 1:]


@when(parsers.re(r'I ask lightgbm for the history of series "(?P<series>[^"]+)" to (?P<last>[-\d]+)'
                 r'(?: and of series "(?P<other>[^"]+)" to (?P<other_last>[-\d]+))?'
                 r'(?: under the id "(?P<renamed>[^"]+)")?(?P<change>.*)$'))
def ask_history(client, answer, series, last, other, other_last, renamed, change):
    rows = _broken(_synthetic(series, last), change)
    if renamed:
        rows = [{**row, "series_id": renamed} for row in rows]
    if other:
        rows += _synthetic(other, other_last)
    _keep(answer, client.post("/predict", json={"model_name": "lightgbm", "history": rows}))


@when(parsers.parse('I ask lightgbm for the last {weeks:d} weeks of series "{series}"'))
def ask_short_history(client, answer, weeks, series):
    _keep(answer, client.post("/predict", json={"model_name": "lightgbm",
                                                "history": _synthetic(series, "2012-10-26", weeks)}))


@when("I ask lightgbm for 50,001 rows of history")
def ask_too_much(client, answer):
    rows = [{"series_id": "7", "date": "2012-10-26", "value": 1.0}] * 50_001
    _keep(answer, client.post("/predict", json={"model_name": "lightgbm", "history": rows}))


def _forecast_of(answer, series: str) -> dict:
    (found,) = [f for f in answer["body"]["forecasts"] if f["series_id"] == series]
    return found


@then(parsers.re(r'the forecast of series "(?P<series>[^"]+)" is from (?P<origin>[-\d]+) and '
                 r'(?P<not_>not )?the baseline\'s'))
def forecast_origin(answer, series, origin, not_):
    found = _forecast_of(answer, series)
    assert found["origin"] == origin and found["baseline"] is (not not_), found
    assert found["timestamps"][0] == (date.fromisoformat(origin) + timedelta(weeks=1)).isoformat()


@then(parsers.parse('series "{series}" is forecast for the {weeks:d} weeks from {first}'))
def forecast_weeks(answer, series, weeks, first):
    found = _forecast_of(answer, series)
    start = date.fromisoformat(first)
    assert found["timestamps"] == [(start + timedelta(weeks=k)).isoformat() for k in range(weeks)]
    interval = found["confidence_intervals"]
    assert all(lo <= p <= up for lo, p, up in zip(interval["lower"], found["predictions"], interval["upper"]))


@then(parsers.parse('the forecast of "{renamed}" is the stored forecast of series "{series}"'))
def cold_start(client, answer, renamed, series):
    found = _forecast_of(answer, renamed)
    stored = client.post("/predict", json={"model_name": "lightgbm", "series_id": series}).json()["forecasts"][0]
    assert found["predictions"] == pytest.approx(stored["predictions"], rel=1e-9) and found["baseline"] is False
    assert found["origin"] == stored["origin"] and "store_id" not in found


@then(parsers.parse("the answer says {model} forecasts weekly ({code}) periods from {origin} and needs {periods:d} "
                    "of history"))
def forecasting_facts(answer, model, code, origin, periods):
    facts = answer["body"]["forecasting"]
    assert answer["body"]["name"] == model
    assert (facts["frequency"], facts["unit"], facts["training_origin"], facts["history_periods"]) == (
        code, "week", origin, periods)
    assert (facts["series"], facts["default_horizon"], facts["max_horizon"]) == (45, 12, 52)


@then(parsers.parse("the status is {status:d}"))
def status(answer, status):
    assert answer["response"].status_code == status, answer["body"]


@then(parsers.parse('the error says "{text}"'))
def error_says(answer, api, text):
    body = answer["body"]
    assert body["status_code"] == answer["response"].status_code and text in body["detail"], body
    shown = answer["response"].text
    assert "Traceback" not in shown and str(ROOT) not in shown and str(api["store"].folder) not in shown


@then(parsers.parse('the error names the field "{field}"'))
def names_field(answer, field):
    assert [e["key"] for e in answer["body"]["extra"]] == [field]


@then(parsers.parse('series "{series}" gets {weeks:d} weekly predictions from {first} inside their intervals'))
def weekly_predictions(answer, series, weeks, first):
    (forecast,) = answer["body"]["forecasts"]
    start = date.fromisoformat(first)
    assert forecast["series_id"] == series and len(forecast["predictions"]) == weeks
    assert forecast["timestamps"] == [(start + timedelta(weeks=i)).isoformat() for i in range(weeks)]
    interval = forecast["confidence_intervals"]
    assert all(lo <= p <= up for lo, p, up in zip(interval["lower"], forecast["predictions"], interval["upper"]))
    assert answer["body"]["confidence_level"] == 0.9


@then(parsers.parse("the answer names {model} version {version:d} with the test metrics of its run"))
def names_version(answer, api, model, version):
    body = answer["body"]
    assert (body["model_name"], body["model_version"]) == (model, version)
    client = api["store"].client()
    run = client.get_run(client.get_model_version(model, str(version)).run_id)
    assert body["metrics"] == {k: run.data.metrics[k] for k in ("test_mape", "test_rmse", "test_mae")}


@then(parsers.parse("series {series} get {weeks:d} predictions each and no intervals"))
def batch(answer, series, weeks):
    forecasts = answer["body"]["forecasts"]
    assert [f["series_id"] for f in forecasts] == series.split(", ")
    assert all(len(f["predictions"]) == weeks and f["confidence_intervals"] is None for f in forecasts)
    assert "deprecation" not in answer["body"]


@then(parsers.parse('the answer is the forecast of series "{series}" and says "{note}"'))
def deprecated_name(answer, client, series, note):
    body = answer["body"]
    (forecast,) = body["forecasts"]
    assert forecast["series_id"] == series and forecast["store_id"] == int(series) and note in body["deprecation"]
    again = client.post("/predict", json={"series_id": series, "model_name": body["model_name"]}).json()
    assert again["forecasts"][0]["predictions"] == forecast["predictions"] and "deprecation" not in again


@when(
    parsers.parse('I forecast series "{series}" with lightgbm at confidence {low:f} and at {high:f}'),
    target_fixture="widths",
)
def two_levels(client, series, low, high):
    widths = {}
    for level in (low, high):
        body = client.post(
            "/predict", json={"series_id": series, "model_name": "lightgbm", "confidence_level": level}
        ).json()
        interval = body["forecasts"][0]["confidence_intervals"]
        widths[level] = [u - lo for lo, u in zip(interval["lower"], interval["upper"])]
    return widths


@then(parsers.parse("every interval at {high:f} is wider than at {low:f}"))
def wider(widths, high, low):
    assert all(w_high > w_low for w_high, w_low in zip(widths[high], widths[low]))


@given(parsers.parse("{model} version {version:d} is the champion"))
def champion(client, model, version):
    response = client.post(f"/models/{model}/promote", json={"version": str(version), "alias": "champion"},
                           headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200, response.text


@then(parsers.parse("the list holds lightgbm at version 1 and seasonal_naive at version 2, each with test_mape"))
def listed(answer):
    models = {m["name"]: m for m in answer["body"]["models"]}
    assert models["lightgbm"]["latest_version"]["version"] == 1
    assert models["seasonal_naive"]["latest_version"]["version"] == 2
    assert all("test_mape" in m["latest_version"]["metrics"] for m in models.values())


@then(parsers.parse("the answer is version {version:d} of {model}"))
def described(answer, version, model):
    assert (answer["body"]["name"], answer["body"]["version"]) == (model, version)


def _promote(client, answer, model, version, target, value, token):
    headers = {"Authorization": f"Bearer {token}", "X-Promoted-By": "tester"} if token else {}
    _keep(
        answer, client.post(f"/models/{model}/promote", json={"version": str(version), target: value}, headers=headers)
    )


@when(parsers.parse('I promote {model} version {version:d} to alias "{alias}" with token "{token}"'))
def promote_alias(client, answer, model, version, alias, token):
    _promote(client, answer, model, version, "alias", alias, token)


@when(parsers.parse('I promote {model} version {version:d} to alias "{alias}" without a token'))
def promote_no_token(client, answer, model, version, alias):
    _promote(client, answer, model, version, "alias", alias, None)


@when(parsers.parse('I promote {model} version {version:d} to stage "{stage}" with token "{token}"'))
def promote_stage(client, answer, model, version, stage, token):
    _promote(client, answer, model, version, "stage", stage, token)


@then(parsers.parse("the promotion moved {alias} from version {old:d} to version {new:d}"))
def moved(answer, alias, old, new):
    body = answer["body"]
    assert (body["alias"], body["from_version"], body["to_version"], body["who"]) == (alias, old, new, "tester")
    assert "test_mape" in body["metrics"] and "test_mape" in body["previous_metrics"]


@then(parsers.parse('the history ends with {alias} from version {old:d} to version {new:d} by "{who}"'))
def history(answer, alias, old, new, who):
    last = answer["body"]["promotions"][-1]
    assert (last["alias"], last["from_version"], last["to_version"], last["who"]) == (alias, old, new, who)


@then("the promotion set alias challenger and says stages are deprecated")
def deprecated(answer):
    body = answer["body"]
    assert body["alias"] == "challenger" and body["stage"] == "Staging" and "deprecated" in body["deprecation"]


@then(parsers.parse('{model} has no alias "{alias}" and no promotion recorded'))
def alias_unmoved(api, model, alias):
    client = api["store"].client()
    assert alias not in client.get_registered_model(model).aliases
    tags = [k for v in client.search_model_versions(f"name = '{model}'") for k in v.tags if k.startswith("promotion.")]
    assert tags == []
