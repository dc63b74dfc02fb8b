"""`ml-portfolio serve` as a real process on 127.0.0.1, spoken to over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import BIN, Store, free_port, run_cli, running

TOKEN = "e2e-token"
SECONDS = 60  # every wait in these tests ends; a hang fails the test


@pytest.fixture(scope="module")
def api_store(serving_store, tmp_path_factory):
    """A copy of the trained store whose champion is seasonal_naive version 2 (not the lightgbm fallback)."""
    store = Store(tmp_path_factory.mktemp("api-server-store"))
    shutil.copy(serving_store.folder / "mlflow.db", store.folder / "mlflow.db")
    promoted = run_cli(["promote", "seasonal_naive", "--version", "2", "--alias", "champion", "--who", "setup"], store)
    assert promoted.returncode == 0, promoted.stderr
    return store


def _serve(store: Store, *flags: str):
    port = free_port()
    env = {**store.env(), "ML_PORTFOLIO_API_TOKEN": TOKEN}
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *flags]
    return running(command, f"http://127.0.0.1:{port}/health", store.folder, env), f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(api_store):
    process, url = _serve(api_store)
    with process:
        yield url


def test_index_health_and_docs(server):
    assert httpx.get(f"{server}/").json()["docs"] == "/schema"
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and health["tracking_reachable"] is True
    assert health["models_loaded"] == ["seasonal_naive/2"], "the champion is loaded at startup, before any request"
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


def test_predict_all_series_in_one_request(server):
    response = httpx.post(
        f"{server}/predict", json={"series_ids": list(range(1, 46)), "horizon": 12, "model_name": "lightgbm"}
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
                    "/predict", json={"series_id": "2", "model_name": "seasonal_naive", "model_version": "champion"}
                )
                seen.append((response.status_code, response.json().get("model_version")))

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + SECONDS
        while len(seen) < count:
            assert time.monotonic() < deadline and worker.is_alive(), f"only {len(seen)} answers within {SECONDS} s"
            stop.wait(0.05)

    worker = threading.Thread(target=predict_forever)
    worker.start()
    try:
        wait_for(20)
        promoted = httpx.post(
            f"{server}/models/seasonal_naive/promote", json={"version": "2", "alias": "champion"}, headers=headers
        )
        assert promoted.status_code == 200, promoted.text
        wait_for(len(seen) + 20)
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


def test_a_named_model_without_a_version_serves_its_latest(server):
    body = httpx.post(f"{server}/predict", json={"series_id": "3", "model_name": "seasonal_naive"}).json()
    assert (body["model_name"], body["model_version"]) == ("seasonal_naive", 2)


def test_models_lists_every_field_and_the_champion_on_its_version(server, api_store):
    models = {m["name"]: m for m in httpx.get(f"{server}/models").json()["models"]}
    assert sorted(models) == ["lightgbm", "seasonal_naive"]
    client = api_store.client()
    for name, model in models.items():
        latest = model["latest_version"]
        assert set(latest) == {"name", "version", "aliases", "stage", "run_id", "created_at", "metrics", "forecasting"}
        registered = client.get_model_version(name, str(latest["version"]))
        assert (latest["name"], latest["run_id"], latest["stage"]) == (name, registered.run_id, "None")
        assert latest["metrics"] == {k: v for k, v in client.get_run(registered.run_id).data.metrics.items()
                                     if k.startswith(("test_", "backtest_", "overall_"))}
        assert {"test_mape", "backtest_mape", "overall_mape"} <= set(latest["metrics"])
        assert model["aliases"] == {a: int(v) for a, v in client.get_registered_model(name).aliases.items()}
        assert latest["aliases"] == sorted(a for a, v in model["aliases"].items() if v == latest["version"])


@pytest.mark.parametrize("ref, version", [("latest", 2), ("1", 1), ("champion", None), ("Production", None)])
def test_a_version_by_number_latest_alias_or_legacy_stage(server, api_store, ref, version):
    champion = int(api_store.client().get_model_version_by_alias("seasonal_naive", "champion").version)
    body = httpx.get(f"{server}/models/seasonal_naive", params={"version": ref}).json()
    assert body["version"] == (version or champion), body
    aliases = api_store.client().get_registered_model("seasonal_naive").aliases
    shown = sorted(a for a, v in aliases.items() if int(v) == body["version"])
    assert body["aliases"] == shown, body  # was [] for the latest version


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn spawned under `pid` (multiprocessing's spawn_main children)."""
    children = (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in (Path("/proc") / c / "cmdline").read_bytes()]


def test_workers_are_separate_processes(api_store):
    process, url = _serve(api_store, "--workers", "2")
    with process as started:
        answers = {httpx.post(f"{url}/predict", json={"series_id": "1"}, timeout=SECONDS).status_code
                   for _ in range(10)}
        assert answers == {200}
        assert len(_workers(started.pid)) == 2


def test_promote_from_the_cli_with_a_legacy_stage_and_who(api_store, tmp_path):
    store = Store(tmp_path)
    shutil.copy(api_store.folder / "mlflow.db", store.folder / "mlflow.db")
    result = run_cli(["promote", "seasonal_naive", "--version", "1", "--stage", "Staging", "--who", "ana"], store)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("seasonal_naive@challenger -> version 1 (new alias), by ana at ")
    assert "registry stages are deprecated; applied as alias 'challenger'" in result.stderr
    client = store.client()
    assert int(client.get_model_version_by_alias("seasonal_naive", "challenger").version) == 1
    records = [json.loads(v) for k, v in client.get_model_version("seasonal_naive", "1").tags.items()
               if k.startswith("promotion.")]
    (record,) = [r for r in records if r["alias"] == "challenger"]
    assert (record["who"], record["stage"], record["alias"]) == ("ana", "Staging", "challenger")
    assert record["from_version"] is None


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("body, status, says", [
    (b'{"series_ids": ' + DEEP + b"}", 400, "Validation failed"),  # was a 500 (RecursionError)
    (b'{"series_id": "1", "model_name": "\xff\xfe"}', 400, "not valid JSON"),  # invalid UTF-8: was a 500
    (b'{"series_id": "1", "horizon": "12"}', 400, "Expected `int`, got `str`"),  # was coerced to 200
    (b'{"store_id": "1"}', 400, "Expected `int | null`, got `str`"),
    (b'{"series_id": 1.5}', 400, "Validation failed"),
    (b'{"series_id": "1", "model_name": "lightgbm", "model_version": "\xc2\xb2"}', 404, "no alias"),  # "²": was a 500
    (b'{"series_id": "1", "model_name": "lightgbm", "model_version": "99999999999999999999"}', 400,
     "model version must be in 1..2147483647"),  # was a 503 (SQLite integer overflow)
])
def test_hostile_predict_bodies_are_client_errors(server, body, status, says):
    answer = httpx.post(f"{server}/predict", content=body, headers={"content-type": "application/json"}, timeout=60)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) <= {"status_code", "detail", "extra"} and says in answer.text


@pytest.mark.parametrize("ref, status", [("%C2%B2", 404), ("99999999999999999999", 400)])
def test_hostile_version_references_are_client_errors(server, ref, status):
    assert httpx.get(f"{server}/models/lightgbm?version={ref}", timeout=60).status_code == status


@pytest.mark.parametrize("alias", ["v1", "V7", "latest", "a b"])
def test_a_reserved_or_malformed_alias_is_refused_and_nothing_moves(server, alias):
    before = httpx.get(f"{server}/models/seasonal_naive", timeout=60).json()
    answer = httpx.post(f"{server}/models/seasonal_naive/promote", json={"version": "1", "alias": alias},
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert answer.status_code == 400, answer.text  # "v1" was a 503 from MLflow's reserved-alias check
    assert httpx.get(f"{server}/models/seasonal_naive", timeout=60).json() == before


def test_a_store_file_moved_away_is_degraded_and_refuses_promotions_until_it_is_back(api_store, tmp_path):
    """Pooled connections kept reading the moved file: /health said ok and a promotion wrote to a
    file nobody else would see ("readonly database"). Now the store is unavailable until it is back."""
    store = Store(tmp_path)
    shutil.copy(api_store.folder / "mlflow.db", store.folder / "mlflow.db")
    promote = {"version": "1", "alias": "challenger"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    process, url = _serve(store)
    with process:
        assert httpx.post(f"{url}/predict", json={"series_id": "1"}, timeout=SECONDS).status_code == 200
        (store.folder / "mlflow.db").rename(store.folder / "moved.db")
        health = httpx.get(f"{url}/health", timeout=SECONDS).json()
        assert (health["status"], health["tracking_reachable"]) == ("degraded", False)
        refused = httpx.post(f"{url}/models/seasonal_naive/promote", json=promote, headers=headers, timeout=SECONDS)
        assert refused.status_code == 503 and "tracking store is unavailable" in refused.json()["detail"], refused.text
        assert "moved.db" not in refused.text and "mlflow.db" not in refused.text  # no paths for clients
        cached = httpx.post(f"{url}/predict", json={"series_id": "1"}, timeout=SECONDS)
        assert cached.status_code == 200, cached.text

        (store.folder / "moved.db").rename(store.folder / "mlflow.db")
        deadline = time.monotonic() + SECONDS  # once the circuit breaker's cool-down is over
        while httpx.get(f"{url}/health", timeout=SECONDS).json()["status"] != "ok":
            assert time.monotonic() < deadline, "the store is back but /health still says degraded"
            time.sleep(1)
        moved = httpx.post(f"{url}/models/seasonal_naive/promote", json=promote, headers=headers, timeout=SECONDS)
        assert moved.status_code == 200, moved.text
    aliases = store.client().get_registered_model("seasonal_naive").aliases
    assert int(aliases["challenger"]) == 1  # written to the store's file, not to a file moved away
