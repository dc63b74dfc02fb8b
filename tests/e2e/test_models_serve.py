"""`mlflow models serve` serves a registered version as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_for


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
    bin_dir = str(Path(sys.executable).parent)
    env = {**store.env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen(
        [f"{bin_dir}/mlflow", "models", "serve", "-m", "models:/lightgbm/1", "--env-manager", "local",
         "--host", "127.0.0.1", "-p", str(port)],
        cwd=store.folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/ping", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_invocations_forecast_with_intervals(served):
    status, body = post(f"{served}/invocations", {"dataframe_records": [{"store_id": 3, "horizon": 12, "confidence_level": 0.8}]})
    assert status == 200, body
    rows = body["predictions"]
    assert len(rows) == 12 and rows[0]["store_id"] == 3 and rows[0]["date"] == "2012-11-02"
    assert all(r["lower"] <= r["prediction"] <= r["upper"] for r in rows)


def test_invocations_reject_an_unknown_store_with_400(served):
    status, body = post(f"{served}/invocations", {"dataframe_records": [{"store_id": 99, "horizon": 12}]})
    assert status == 400
    assert "unknown store_id 99" in body["message"]
