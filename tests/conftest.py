"""Shared fixtures: the real Walmart table, CLI runs in real processes, trained MLflow stores."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WALMART_CSV = ROOT.parent / "shared" / "data" / "Walmart.csv"
CLI = [sys.executable, "-m", "entrypoints.cli"]


@dataclass(frozen=True)
class Store:
    """A temporary MLflow store (SQLite + local artifacts) and the folder it lives in, or a tracking
    server (`tracking`) that commands run in the folder reach."""

    folder: Path
    tracking: str | None = None

    @property
    def uri(self) -> str:
        return self.tracking or f"sqlite:///{self.folder / 'mlflow.db'}"

    def env(self) -> dict[str, str]:
        # Both: in-process tests that set MLflow's URIs leave them in os.environ (MLflow exports them).
        return {**os.environ, "MLFLOW_TRACKING_URI": self.uri, "MLFLOW_REGISTRY_URI": self.uri}

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(self.uri, self.uri)


def run_cli(args: list[str], store: Store, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `ml-portfolio ARGS` as a real process with the store as its working directory."""
    return subprocess.run(CLI + args, cwd=store.folder, env=env or store.env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def walmart_csv() -> Path:
    assert WALMART_CSV.is_file(), f"the shared Walmart table is expected at {WALMART_CSV}"
    return WALMART_CSV


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    # In-process tests too: a new experiment of a SQLite store keeps its artifacts in ./mlruns.
    monkeypatch.chdir(tmp_path)
    return Store(tmp_path)


@pytest.fixture(scope="session")
def synthetic_training(tmp_path_factory):
    """`ml-portfolio train --models seasonal_naive,lightgbm` on the synthetic default, run once."""
    store = Store(tmp_path_factory.mktemp("synthetic-store"))
    return store, ("seasonal_naive", "lightgbm"), run_cli(["train", "--models", "seasonal_naive,lightgbm"], store)


@pytest.fixture(scope="session")
def serving_store(synthetic_training, tmp_path_factory):
    """A copy of the synthetic store with a second seasonal_naive version, for tests that promote."""
    import shutil

    source, _, result = synthetic_training
    assert result.returncode == 0, result.stderr
    store = Store(tmp_path_factory.mktemp("serving-store"))
    shutil.copy(source.folder / "mlflow.db", store.folder / "mlflow.db")  # artifacts stay where they are
    second = run_cli(["train", "--models", "seasonal_naive", "--dataset", "synthetic_again"], store)
    assert second.returncode == 0, second.stderr
    return store


@pytest.fixture(scope="session")
def walmart_store(tmp_path_factory, walmart_csv) -> tuple[Store, subprocess.CompletedProcess]:
    """Every model of the portfolio trained and registered on the real table by the real CLI."""
    trained = Store(tmp_path_factory.mktemp("walmart-store"))
    result = run_cli(["train", "--models", "all", "--data", str(walmart_csv)], trained)
    assert result.returncode == 0, result.stderr
    return trained, result


CUT = "2012-05-04"  # the Walmart table cut here holds two years and a quarter: 45 stores x 118 weeks


def walmart_rows(walmart_csv: Path, first: str | None = None, last: str | None = None):
    """The Walmart table's rows (as the file spells them) whose date lies in first..last (ISO, inclusive)."""
    import pandas as pd

    raw = pd.read_csv(walmart_csv, dtype=str)
    days = pd.to_datetime(raw["Date"], format="%d-%m-%Y")
    return raw[(days >= (first or "1900-01-01")) & (days <= (last or "2999-12-31"))]


@pytest.fixture(scope="session")
def walmart_cut_job(tmp_path_factory, walmart_csv) -> tuple[Store, subprocess.CompletedProcess]:
    """`ml-portfolio run --no-serve` on the Walmart table cut at CUT, with no other flag: every model
    trained, benchmarked, and the best promoted to champion."""
    store = Store(tmp_path_factory.mktemp("walmart-cut-job"))
    walmart_rows(walmart_csv, last=CUT).to_csv(store.folder / "walmart_cut.csv", index=False)
    result = run_cli(["run", "--no-serve", "--data", "walmart_cut.csv"], store, timeout=1200)
    assert result.returncode == 0, result.stderr
    return store, result


PANEL_MODELS = "lightgbm,xgboost,catboost,seasonal_naive"
OWN_PANELS = {"daily": 730, "monthly": 96}  # periods of each (the protocol needs 386 days, 43 months)


@pytest.fixture(scope="session")
def own_panels(tmp_path_factory) -> tuple[Store, dict[str, subprocess.CompletedProcess]]:
    """A daily and a monthly panel of 12 series each, written by `ml-portfolio synthetic` and trained
    with the boosted models and the baseline into one store, each in the experiment of its name:
    every model's version 1 is daily, version 2 monthly."""
    store = Store(tmp_path_factory.mktemp("own-panels"))
    trained = {}
    for kind, periods in OWN_PANELS.items():
        made = run_cli(["synthetic", "--freq", kind, "--series", "12", "--periods", str(periods),
                        "--output", f"{kind}.csv"], store)
        assert made.returncode == 0, made.stderr
        trained[kind] = run_cli(["train", "--models", PANEL_MODELS, "--data", f"{kind}.csv", "--experiment-name",
                                 kind], store, timeout=1200)
        assert trained[kind].returncode == 0, trained[kind].stderr
    return store, trained


AHEAD = 12  # the promotions panel's last weeks, whose rows carry the future values only
FLAGS = ["--future-cols", "promo,price", "--static-cols", "store_size"]


@pytest.fixture(scope="session")
def promotions(tmp_path_factory):
    """The promotions panel (12 series x 156 weeks) with its last AHEAD weeks' sales emptied, trained
    with lightgbm and theta on its covariates (experiment `promotions`); the actual sales of those weeks."""
    import pandas as pd

    store = Store(tmp_path_factory.mktemp("promotions"))
    made = run_cli(["synthetic", "--freq", "promotions", "--series", "12", "--output", "full.csv"], store)
    assert made.returncode == 0, made.stderr
    full = pd.read_csv(store.folder / "full.csv")
    future = full["ds"] > sorted(full["ds"].unique())[-AHEAD - 1]
    full.assign(y=full["y"].where(~future)).to_csv(store.folder / "panel.csv", index=False)
    full[~future].to_csv(store.folder / "history.csv", index=False)
    trained = run_cli(["train", "--models", "lightgbm,theta", "--data", "panel.csv", "--experiment-name",
                       "promotions", *FLAGS], store, timeout=1200)
    assert trained.returncode == 0, trained.stderr
    return {"store": store, "full": full, "future": future, "result": trained}



def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    """Until `url` answers 200; fails early if the process dies."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


BIN = Path(sys.executable).parent


@contextmanager
def running(command: list[str], ready_url: str, cwd: Path, env: dict[str, str] | None = None):
    """A real server process, started with the venv's bin on PATH, stopped on the way out."""
    env = {**(env or os.environ), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(ready_url, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on 127.0.0.1: SQLite backend, local artifact root, --serve-artifacts."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    with running(mlflow_server_command(folder, port), f"http://127.0.0.1:{port}/health", folder):
        yield f"http://127.0.0.1:{port}"


def mlflow_server_command(folder: Path, port: int) -> list[str]:
    """`mlflow server` on 127.0.0.1:PORT keeping its runs and artifacts in FOLDER (restartable)."""
    return [str(BIN / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{folder / 'server.db'}",
            "--artifacts-destination", str(folder / "artifacts"), "--serve-artifacts",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]


class Lines:
    """A process's output read line by line on a thread, so a wait for a line has a deadline
    and the pipe never fills up while nobody reads it."""

    def __init__(self, stream) -> None:
        import queue
        import threading

        self.seen: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def until(self, found, seconds: float = 120) -> str:
        """Lines up to the first for which found(line) holds; AssertionError at the deadline or the end."""
        import queue
        import time

        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no such line within {seconds} s; seen: {''.join(self.seen)[-2000:]}") from None
            if line is None:
                raise AssertionError(f"the output ended first; seen: {''.join(self.seen)[-2000:]}")
            self.seen.append(line)
            if found(line):
                return line

    def rest(self, seconds: float = 60) -> str:
        """Everything until the stream ends (the process exited)."""
        try:
            self.until(lambda line: False, seconds)
        except AssertionError as ended:
            if "ended first" not in str(ended):
                raise
        return "".join(self.seen)
