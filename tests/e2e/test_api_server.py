"""`ml-portfolio serve` as a real process on 127.0.0.1, spoken to over HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading

import httpx
import pytest

from tests.conftest import BIN, free_port, running

TOKEN = "e2e-token"


@pytest.fixture(scope="module")
def server(serving_store):
    port = free_port()
    env = {**serving_store.env(), "ML_PORTFOLIO_API_TOKEN": TOKEN}
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"http://127.0.0.1:{port}/health", serving_store.folder, env):
        yield f"http://127.0.0.1:{port}"


def test_index_health_and_docs(server):
    assert httpx.get(f"{server}/").json()["docs"] == "/schema"
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and health["tracking_reachable"] is True
    assert health["models_loaded"], "a model is loaded at startup"
    schema = httpx.get(f"{server}/schema/openapi.json").json()
    assert {
        "/predict",
        "/models",
        "/models/{name}",
        "/models/{name}/promote",
        "/models/{name}/promotions",
        "/health",
    } <= set(schema["paths"])
    body = schema["components"]["schemas"]["PredictBody"]["properties"]
    assert body["horizon"]["maximum"] == 52 and body["confidence_level"]["minimum"] == 0.5


def test_predict_all_stores_in_one_request(server):
    response = httpx.post(
        f"{server}/predict", json={"store_ids": list(range(1, 46)), "horizon": 12, "model_name": "lightgbm"}
    )
    assert response.status_code == 200
    forecasts = response.json()["forecasts"]
    assert len(forecasts) == 45 and all(len(f["predictions"]) == 12 for f in forecasts)


def test_promotion_while_predicting_fails_no_request_and_switches_version(server):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    first = httpx.post(
        f"{server}/models/seasonal_naive/promote", json={"version": "1", "alias": "champion"}, headers=headers
    )
    assert first.status_code == 200, first.text
    seen: list[tuple[int, int | None]] = []
    stop = threading.Event()

    def predict_forever():
        with httpx.Client(base_url=server, timeout=30) as client:
            while not stop.is_set():
                response = client.post(
                    "/predict", json={"store_id": 2, "model_name": "seasonal_naive", "model_version": "champion"}
                )
                seen.append((response.status_code, response.json().get("model_version")))

    worker = threading.Thread(target=predict_forever)
    worker.start()
    try:
        while len(seen) < 20:
            stop.wait(0.05)
        promoted = httpx.post(
            f"{server}/models/seasonal_naive/promote", json={"version": "2", "alias": "champion"}, headers=headers
        )
        assert promoted.status_code == 200, promoted.text
        count = len(seen)
        while len(seen) < count + 20:
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert all(status == 200 for status, _ in seen), [s for s in seen if s[0] != 200][:5]
    versions = [v for _, v in seen]
    assert versions[0] == 1 and versions[-1] == 2
    assert versions == sorted(versions), "once version 2 is served, version 1 never comes back"


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server):
    result = subprocess.run(
        [str(BIN / "st"), "run", f"{server}/schema/openapi.json", "--checks",
         "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
         "--max-examples", "25", "--generation-deterministic", "--request-timeout", "30"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]
