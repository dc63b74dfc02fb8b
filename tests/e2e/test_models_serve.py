"""`mlflow models serve` serves a registered version as it is."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import BIN, free_port, running


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def served(walmart_store):
    store, _ = walmart_store
    port = free_port()
    command = [str(BIN / "mlflow"), "models", "serve", "-m", "models:/lightgbm/1", "--env-manager", "local",
               "--host", "127.0.0.1", "-p", str(port)]
    with running(command, f"http://127.0.0.1:{port}/ping", store.folder, store.env()):
        yield f"http://127.0.0.1:{port}"


def test_invocations_forecast_with_intervals(served):
    status, body = post(
        f"{served}/invocations", {"dataframe_records": [{"series_id": "3", "horizon": 12, "confidence_level": 0.8}]}
    )
    assert status == 200, body
    rows = body["predictions"]
    assert len(rows) == 12 and rows[0]["series_id"] == "3" and rows[0]["date"] == "2012-11-02"
    assert all(r["lower"] <= r["prediction"] <= r["upper"] for r in rows)
    status, legacy = post(f"{served}/invocations", {"dataframe_records": [{"store_id": 3, "horizon": 12,
                                                                           "confidence_level": 0.8}]})
    assert status == 200 and legacy["predictions"] == rows  # the deprecated name of the same series


def test_invocations_reject_an_unknown_series_with_400(served):
    status, body = post(f"{served}/invocations", {"dataframe_records": [{"series_id": "99", "horizon": 12}]})
    assert status == 400
    assert "unknown series_id 99; this model knows 45 series: 1..45" in body["message"]


@pytest.mark.parametrize("horizon", [0, 53])
def test_invocations_reject_a_horizon_outside_1_to_52_with_400(served, horizon):
    status, body = post(f"{served}/invocations", {"dataframe_records": [{"series_id": "3", "horizon": horizon}]})
    assert status == 400
    assert f"horizon must be in 1..52 weeks, not {horizon}" in body["message"]


def test_invocations_and_the_pyfunc_forecast_a_history_as_predict_does(served, walmart_store, walmart_csv):
    import mlflow
    import numpy as np
    import pandas as pd
    from litestar.testing import TestClient

    from entrypoints.config import Settings
    from entrypoints.http import create_app
    from tests.e2e.test_history_walmart import history_rows

    store, _ = walmart_store
    rows = history_rows(walmart_csv, "2012-08-03", stores=[1, 2])
    split = {"columns": ["series_id", "date", "value"], "data": [[r["series_id"], r["date"], r["value"]] for r in rows]}
    status, body = post(f"{served}/invocations", {"dataframe_split": split,
                                                  "params": {"horizon": 12, "confidence_level": 0.8}})
    assert status == 200, body
    served_rows = body["predictions"]
    assert {r["origin"] for r in served_rows} == {"2012-08-03"} and served_rows[0]["date"] == "2012-08-10"
    with TestClient(app=create_app(Settings(tracking_uri=store.uri))) as client:
        api = client.post("/predict", json={"model_name": "lightgbm", "model_version": "1", "history": rows,
                                            "horizon": 12, "confidence_level": 0.8}).json()["forecasts"]
    loaded = mlflow.pyfunc.load_model(store.client().get_model_version_download_uri("lightgbm", "1"))
    local = loaded.predict(pd.DataFrame(rows), params={"horizon": 12, "confidence_level": 0.8})
    for column, key in (("prediction", None), ("lower", "lower"), ("upper", "upper")):
        expected = [v for f in api for v in (f["predictions"] if key is None else f["confidence_intervals"][key])]
        np.testing.assert_allclose([r[column] for r in served_rows], expected, rtol=1e-12)
        np.testing.assert_allclose(local[column], expected, rtol=1e-12)


def test_invocations_refuse_a_history_with_a_gap_naming_the_series(served, walmart_csv):
    from tests.e2e.test_history_walmart import history_rows

    rows = history_rows(walmart_csv, "2012-08-03", stores=[4])
    del rows[50]
    split = {"columns": ["series_id", "date", "value"], "data": [[r["series_id"], r["date"], r["value"]] for r in rows]}
    status, body = post(f"{served}/invocations", {"dataframe_split": split})
    assert status == 400 and "series 4 has a gap: no row for 1 week(s) (2011-01-21)" in body["message"]
