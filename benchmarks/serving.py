"""Serving latency and throughput: `ml-portfolio serve` against `mlflow models serve`.

Trains lightgbm into a temporary SQLite store (the Walmart table if ../shared/data has it,
else the synthetic one), then serves version 1 two ways, one worker process each:
  baseline  `mlflow models serve --env-manager local`, POST /invocations
  ours      `ml-portfolio serve`, POST /predict
and drives both with the same keep-alive HTTP client (one httpx.Client per thread) at
concurrency 1 and 16, for a fixed number of requests each: store 1, horizon 12, 90%
intervals. Prints p50/p99 latency and requests/s per server and ours/baseline ratios, then the
p50 of one /predict request for all 45 stores x 12 weeks. Whole server process against whole
server process, same client, same machine.

Targets: our p50 at concurrency 1 below MLflow's; our throughput at concurrency 16 at least
2x MLflow's; the 45-store batch under 100 ms p50.

With --granian the same app also runs under granian (one worker), the ASGI server we weighed
against uvicorn; its rows are printed as `granian` next to `ours` (uvicorn).

    python benchmarks/serving.py [--requests 400] [--data PATH] [--granian]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import BIN, free_port, running  # noqa: E402

WALMART = ROOT.parent / "shared" / "data" / "Walmart.csv"


def drive(url: str, body: dict, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    failures = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def work():
        with httpx.Client(timeout=60) as client:
            client.post(url, json=body)  # connect and warm this connection
            for _ in range(per_thread):
                started = time.perf_counter()
                response = client.post(url, json=body)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(response.status_code)

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{url}: {len(failures)} failed requests, e.g. {failures[:3]}")
    latencies.sort()
    return {"p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "rps": len(latencies) / wall}


INVOCATION = {"dataframe_records": [{"store_id": 1, "horizon": 12, "confidence_level": 0.9}]}
PREDICTION = {"store_id": 1, "horizon": 12, "model_name": "lightgbm", "model_version": "1", "include_intervals": True,
              "confidence_level": 0.9}


def _commands(ports: dict[str, int]) -> dict[str, tuple[list[str], str, str, dict]]:
    """Per server: its command, the URL it is ready at, the URL to drive and the body to send."""
    local = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return {
        "mlflow": ([str(BIN / "mlflow"), "models", "serve", "-m", "models:/lightgbm/1", "--env-manager", "local",
                    "--host", "127.0.0.1", "-p", str(ports["mlflow"]), "--workers", "1"],
                   f"{local['mlflow']}/ping", f"{local['mlflow']}/invocations", INVOCATION),
        "ours": ([sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(ports["ours"]),
                  "--workers", "1"], f"{local['ours']}/health", f"{local['ours']}/predict", PREDICTION),
        "granian": ([str(BIN / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port",
                     str(ports["granian"]), "--workers", "1", "--no-log", "entrypoints.http:create_app"],
                    f"{local['granian']}/health", f"{local['granian']}/predict", PREDICTION),
    }


def _measure(folder: Path, env: dict, servers: list[str], requests: int) -> tuple[dict, dict]:
    """Every server at concurrency 1 and 16, then one 45-store request to ours."""
    commands = _commands({name: free_port() for name in ("mlflow", "ours", "granian")})
    results = {}
    with ExitStack() as running_servers:
        for name in servers:
            command, ready, _, _ = commands[name]
            running_servers.enter_context(running(command, ready, folder, env))
        for concurrency in (1, 16):
            for name in servers:
                _, _, url, body = commands[name]
                results[(name, concurrency)] = drive(url, body, requests, concurrency)
        batch = {**{k: v for k, v in PREDICTION.items() if k != "store_id"}, "store_ids": list(range(1, 46))}
        all_stores = drive(commands["ours"][2], batch, 100, 1)
    return results, all_stores


def _report(results: dict, all_stores: dict, granian: bool) -> None:
    print(f"{'server':<8}{'conc.':>6}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for (server, concurrency), row in results.items():
        print(f"{server:<8}{concurrency:>6}{row['p50']:>9.2f}{row['p99']:>9.2f}{row['rps']:>9.1f}")
    for concurrency in (1, 16):
        ours, theirs = results[("ours", concurrency)], results[("mlflow", concurrency)]
        print(f"concurrency {concurrency:>2}: p50 ours/mlflow = {ours['p50'] / theirs['p50']:.2f}, "
              f"throughput ours/mlflow = {ours['rps'] / theirs['rps']:.2f}x")
    if granian:
        for concurrency in (1, 16):
            ours, other = results[("ours", concurrency)], results[("granian", concurrency)]
            print(f"concurrency {concurrency:>2}: granian/uvicorn p50 = {other['p50'] / ours['p50']:.2f}, "
                  f"throughput = {other['rps'] / ours['rps']:.2f}x")
    print(f"45 stores x 12 weeks in one /predict: p50 {all_stores['p50']:.1f} ms, p99 {all_stores['p99']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per server and concurrency level")
    parser.add_argument("--data", default=str(WALMART) if WALMART.is_file() else None)
    parser.add_argument("--granian", action="store_true", help="also serve our app with granian (pip install granian)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        train = [sys.executable, "-m", "entrypoints.cli", "train", "--models", "lightgbm"]
        subprocess.run(train + (["--data", args.data] if args.data else []), cwd=folder, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers = ["mlflow", "ours"] + (["granian"] if args.granian else [])
        results, all_stores = _measure(folder, env, servers, args.requests)
    print(f"{args.requests} requests per run; data: {args.data or 'synthetic'}; one worker per server; "
          "baseline = mlflow models serve --env-manager local")
    _report(results, all_stores, args.granian)


if __name__ == "__main__":
    main()
