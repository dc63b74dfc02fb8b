"""Every entrypoint against a real `mlflow server` that comes and goes (the job itself: features/portfolio.feature)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import httpx
from mlflow import MlflowClient

from tests.conftest import CLI, Store, free_port, mlflow_server_command, running
from tests.contract.test_run_source import SPECS
from tests.support import RunSpec, log_to_mlflow

TOKEN = "e2e-token"


def _remote(store: Store, server: str) -> dict[str, str]:
    """The environment of a user who points every command at the server, and nothing else."""
    env = {k: v for k, v in store.env().items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    return {**env, "MLFLOW_TRACKING_URI": server, "ML_PORTFOLIO_API_TOKEN": TOKEN}


def _cli(args: list[str], store: Store, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, cwd=store.folder, env=env, capture_output=True, text=True, timeout=600)


@contextmanager
def _server(folder: Path, port: int):
    with running(mlflow_server_command(folder, port), f"http://127.0.0.1:{port}/health", folder) as process:
        yield process


def test_every_entrypoint_against_a_tracking_server(tmp_path):
    """train -> benchmark -> promote (the job, --no-serve) -> sync -> serve -> predict -> promote over HTTP."""
    port = free_port()
    (tmp_path / "server").mkdir()
    with _server(tmp_path / "server", port):  # its own server: other tests' runs would change the ranking
        _every_entrypoint(tmp_path, f"http://127.0.0.1:{port}")


def _every_entrypoint(tmp_path: Path, mlflow_server: str) -> None:
    store = Store(tmp_path)
    env = _remote(store, mlflow_server)
    job = _cli(
        ["run", "--no-serve", "--models", "seasonal_naive,lightgbm", "--experiment-name", "scale_out"], store, env
    )
    assert job.returncode == 0, job.stderr
    assert "promoted lightgbm version" in job.stdout
    live = json.loads((tmp_path / "results" / "benchmarks" / "mlflow_benchmark_results.json").read_text())
    synced = _cli(["sync"], store, env)
    assert synced.returncode == 0 and f"from mlflow {mlflow_server}" in synced.stdout, synced.stderr
    warehouse = _cli(
        ["benchmark", "--source", "duckdb", "--experiment-name", "scale_out", "--output-dir", "wh"], store, env
    )
    assert warehouse.returncode == 0, warehouse.stderr
    assert json.loads((tmp_path / "wh" / "mlflow_benchmark_results.json").read_text())["rankings"] == live["rankings"]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(CLI + ["serve", "--port", str(port)], f"{url}/health", tmp_path, env):
        predicted = httpx.post(f"{url}/predict", json={"series_id": "3", "horizon": 4}, timeout=60)
        assert predicted.status_code == 200 and predicted.json()["model_name"] == "lightgbm", predicted.text
        champion = predicted.json()["model_version"]
        promoted = httpx.post(f"{url}/models/seasonal_naive/promote", json={"version": "1", "alias": "champion"},
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert promoted.status_code == 200, promoted.text
        naive = httpx.post(
            f"{url}/predict",
            json={"series_id": "3", "model_name": "seasonal_naive", "model_version": "champion"},
            timeout=60,
        )
        assert naive.status_code == 200 and naive.json()["model_version"] == 1
    client = MlflowClient(mlflow_server, mlflow_server)
    assert client.get_model_version_by_alias("seasonal_naive", "champion").version == "1"
    assert client.get_model_version_by_alias("lightgbm", "champion").version == str(champion)


def test_the_api_keeps_serving_cached_models_while_the_tracking_server_is_down(tmp_path):
    folder, port = tmp_path / "server", free_port()
    folder.mkdir()
    store = Store(tmp_path)
    env = _remote(store, f"http://127.0.0.1:{port}")
    api = free_port()
    url = f"http://127.0.0.1:{api}"
    with ExitStack() as stack:
        server = stack.enter_context(_server(folder, port))
        for _ in range(2):  # seasonal_naive versions 1 and 2
            assert _cli(["train", "--models", "seasonal_naive"], store, env).returncode == 0
        assert _cli(["promote", "seasonal_naive", "--version", "1", "--alias", "champion"], store, env).returncode == 0
        stack.enter_context(running(CLI + ["serve", "--port", str(api)], f"{url}/health", tmp_path, env))
        assert httpx.post(f"{url}/predict", json={"series_id": "1"}, timeout=60).json()["model_version"] == 1

        server.terminate()
        server.wait(timeout=30)
        health = httpx.get(f"{url}/health", timeout=60).json()
        assert (health["status"], health["tracking_reachable"]) == ("degraded", False)
        assert "seasonal_naive/1" in health["models_loaded"]
        cached = httpx.post(f"{url}/predict", json={"series_id": "1"}, timeout=60)
        assert cached.status_code == 200 and cached.json()["model_version"] == 1, cached.text
        uncached = httpx.post(
            f"{url}/predict", json={"series_id": "1", "model_name": "seasonal_naive", "model_version": "2"}, timeout=60
        )
        assert uncached.status_code == 503, uncached.text
        assert uncached.json()["detail"].startswith(
            ("the tracking store is unavailable", "the tracking store is not answering")
        )
        assert f"127.0.0.1:{port}" not in uncached.text and "Error" not in uncached.text  # no address, no driver

        with _server(folder, port) as back:  # back, on the same port and store; the API is not restarted
            _healthy_again(url)
            again = httpx.post(
                f"{url}/predict", json={"series_id": "1", "model_name": "seasonal_naive", "model_version": "2"},
                timeout=60)
            assert again.status_code == 200 and again.json()["model_version"] == 2, again.text
            _frozen(back, url)


def _healthy_again(url: str) -> None:
    """The API asks the store again once its circuit breaker's cool-down (10 s) is over."""
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/health", timeout=60).json()["status"] != "ok":
        assert time.monotonic() < deadline, "the API still reports the tracking store down a minute after it returned"
        time.sleep(1)


def _frozen(server: subprocess.Popen, url: str) -> None:
    """A stopped server holds connections open instead of refusing them: the API must not wait on it.
    The client timeouts here are deadlines for a hang, far above what the API needs."""
    time.sleep(6)  # let the API's cached references age past their 5 s
    tree = _tree(server.pid)  # mlflow server answers from its uvicorn children
    for pid in tree:
        os.kill(pid, signal.SIGSTOP)
    try:
        health = httpx.get(f"{url}/health", timeout=15).json()
        assert (health["status"], health["tracking_reachable"]) == ("degraded", False)
        for version in ("1", "2", "champion"):  # loaded by alias and by number: answered from the cache
            body = {"series_id": "1", "model_name": "seasonal_naive", "model_version": version}
            answer = httpx.post(f"{url}/predict", json=body, timeout=15)
            assert answer.status_code == 200, (version, answer.text)
    finally:
        for pid in tree:
            os.kill(pid, signal.SIGCONT)


def _tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    children = (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()
    return [pid, *(found for child in children for found in _tree(int(child)))]


class CutOff:
    """A TCP proxy in front of the tracking server that stops the server itself when the Nth
    request of a command arrives, so the command loses its server in the middle of its work."""

    def __init__(self, upstream: int) -> None:
        self.upstream, self.port = upstream, free_port()
        self.stop_at: int | None = None
        self.server: subprocess.Popen | None = None
        self._seen = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, server: subprocess.Popen, stop_at: int) -> None:
        self.server, self.stop_at, self._seen = server, stop_at, 0

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream, requests=True)

    def _pipe(self, source: socket.socket, target: socket.socket, requests: bool = False) -> None:
        try:
            while data := source.recv(65536):
                if requests and data.split(b" ", 1)[0] in (b"GET", b"POST", b"PUT", b"PATCH", b"DELETE"):
                    self._seen += 1
                    if self.stop_at is not None and self._seen >= self.stop_at and self.server.poll() is None:
                        self.server.terminate()
                        self.server.wait(timeout=30)
                        break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()


def _warehouse(path: Path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as connection:
        return tuple(tuple(connection.execute(sql).fetchall()) for sql in (
            "SELECT run_id, status, start_time FROM runs ORDER BY run_id",
            "SELECT * FROM benchmark_history ORDER BY ALL",
            "SELECT * FROM series_errors ORDER BY ALL",
            "SELECT origin, watermark_ms, runs FROM sync_state ORDER BY ALL",
        ))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _fails_in_one_line(result: subprocess.CompletedProcess, uri: str, phase: str) -> None:
    """Exit 2 with one error line that names the server and the step it was lost in."""
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert errors[0].startswith(f"error: MLflow at {uri} failed while {phase}"), errors[0]


def test_losing_the_server_during_benchmark_or_sync_keeps_the_previous_files_and_warehouse(tmp_path):
    folder, port = tmp_path / "server", free_port()
    folder.mkdir()
    proxy = CutOff(port)
    store = Store(tmp_path)
    env = _remote(store, f"http://127.0.0.1:{proxy.port}")
    with _server(folder, port) as server:
        server_uri = f"http://127.0.0.1:{port}"
        log_to_mlflow(MlflowClient(server_uri, server_uri), SPECS)
        for command in (["benchmark"], ["sync"]):
            assert _cli(command, store, env).returncode == 0
        results, warehouse = tmp_path / "results" / "benchmarks", tmp_path / "results" / "warehouse.duckdb"
        before_files, before_warehouse = _files(results), _warehouse(warehouse)
        assert len(before_warehouse[0]) == len(SPECS) and len(before_warehouse[1]) > 0
        log_to_mlflow(
            MlflowClient(server_uri, server_uri),
            [
                RunSpec(
                    f"late-{i}",
                    SPECS[0].experiment,
                    {"test_mape": 1.0 + i},
                    {},
                    {"model_type": "CatBoost", "dataset": "walmart"},
                    minute=500 + i,
                    series_errors={"1": {"mape": 1.0}, "2": {"mape": 1.5}},
                )
                for i in range(3)
            ],
        )
        proxy.arm(server, stop_at=3)  # past the experiment and run searches: while reading per-store errors
        _fails_in_one_line(_cli(["benchmark"], store, env), env["MLFLOW_TRACKING_URI"], "reading run ")
    assert _files(results) == before_files and _warehouse(warehouse) == before_warehouse

    with _server(folder, port) as server:
        proxy.arm(server, stop_at=3)  # past the two experiment listings: while searching the runs
        _fails_in_one_line(_cli(["sync"], store, env), env["MLFLOW_TRACKING_URI"], "searching runs")
    assert _files(results) == before_files and _warehouse(warehouse) == before_warehouse

    with _server(folder, port):  # back: the sync catches up with the runs logged meanwhile
        proxy.stop_at = None
        caught_up = _cli(["sync"], store, env)
        assert caught_up.returncode == 0 and "incremental sync" in caught_up.stdout, caught_up.stderr
        assert len(_warehouse(warehouse)[0]) == len(SPECS) + 3
