"""Serving latency and throughput: `ml-portfolio serve` against `mlflow models serve`.

Trains lightgbm, mstl and the ensemble into a temporary SQLite store (the Walmart table if
../shared/data has it, else the synthetic one), then serves them two ways, one worker process each:
  baseline  `mlflow models serve --env-manager local` of lightgbm version 1, POST /invocations
  ours      `ml-portfolio serve`, POST /predict
and drives both with the same keep-alive HTTP client (one httpx.Client per thread) at
concurrency 1 and 16, for a fixed number of requests each, two kinds of request:
  stored    series 1 from the training origin, horizon 12, 90% intervals;
  history   one series' 156 weeks of history (the synthetic generator's series 1), forecast 12
            weeks from its last date with 90% intervals (/invocations: dataframe_split and params).
Prints p50/p99 latency and requests/s per server and ours/baseline ratios; then, against ours
alone at concurrency 1, the p50 of one request for all 45 stores x 12 weeks from the training
origin, of a 45-series history (156 weeks each) to lightgbm against the one-series time, and of a
one-series history to mstl and to the ensemble. Whole server process against whole server
process, same client, same machine.

Targets: stored-origin p50 at concurrency 1 below MLflow's and throughput at 16 at least 2x; a
one-series history to lightgbm under 10 ms p50 at concurrency 1 and at least 3x MLflow's
requests/s at 16; a 45-series history under 5x the one-series time; mstl and the ensemble under
100 ms p50 for one series; the 45-store stored-origin batch under 100 ms p50.

    python benchmarks/serving.py [--requests 400] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
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
WEEKS = 156


def drive(url: str, body: dict, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    failures = []
    lock = threading.Lock()
    per_thread = max(1, requests // concurrency)
    content = json.dumps(body).encode()  # encoded once: the client's own work is the same for every server
    headers = {"Content-Type": "application/json"}

    def work():
        with httpx.Client(timeout=60) as client:
            client.post(url, content=content, headers=headers)  # connect and warm this connection
            for _ in range(per_thread):
                started = time.perf_counter()
                response = client.post(url, content=content, headers=headers)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append((response.status_code, response.text[:300]))

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{url}: {len(failures)} failed requests, e.g. {failures[:2]}")
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return {"p50": latencies[len(latencies) // 2] * 1000, "p99": p99 * 1000, "rps": len(latencies) / wall}


def histories(series: int) -> list[dict]:
    """`series` synthetic weekly series of WEEKS weeks each, as history rows."""
    from adapters.forecasting.synthetic import synthetic_walmart

    table = synthetic_walmart(stores=series, weeks=WEEKS)
    days = table.Date.str.slice(6, 10) + "-" + table.Date.str.slice(3, 5) + "-" + table.Date.str.slice(0, 2)
    return [{"series_id": str(s), "date": d, "value": float(v)} for s, d, v in zip(table.Store, days,
                                                                                   table.Weekly_Sales)]


def bodies() -> dict[tuple[str, str], tuple[str, dict]]:
    """(server, request kind) -> (path, body)."""
    one = histories(1)
    split = {"columns": ["series_id", "date", "value"], "data": [[r["series_id"], r["date"], r["value"]] for r in one]}
    asked = {"model_name": "lightgbm", "model_version": "1", "horizon": 12, "confidence_level": 0.9}
    return {
        ("mlflow", "stored"): ("/invocations", {"dataframe_records": [{"series_id": "1", "horizon": 12,
                                                                      "confidence_level": 0.9}]}),
        ("ours", "stored"): ("/predict", {**asked, "series_id": "1"}),
        ("mlflow", "history"): ("/invocations", {"dataframe_split": split,
                                                 "params": {"horizon": 12, "confidence_level": 0.9}}),
        ("ours", "history"): ("/predict", {**asked, "history": one}),
    }


def _servers(ports: dict[str, int]) -> dict[str, tuple[list[str], str]]:
    local = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return {
        "mlflow": ([str(BIN / "mlflow"), "models", "serve", "-m", "models:/lightgbm/1", "--env-manager", "local",
                    "--host", "127.0.0.1", "-p", str(ports["mlflow"]), "--workers", "1"], local["mlflow"]),
        "ours": ([sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(ports["ours"]),
                  "--workers", "1"], local["ours"]),
    }


def _alone(url: str, requests: int) -> dict[str, dict]:
    """Requests only ours answers, at concurrency 1."""
    asked = {"model_version": "1", "horizon": 12, "confidence_level": 0.9}
    all_stores = {**asked, "model_name": "lightgbm", "series_ids": list(range(1, 46))}
    many, one = histories(45), histories(1)
    return {
        "45 stores from the training origin (lightgbm)": drive(url, all_stores, 100, 1),
        f"45-series history, {WEEKS} weeks each (lightgbm)": drive(url, {**asked, "model_name": "lightgbm",
                                                                         "history": many}, 100, 1),
        "one-series history (mstl)": drive(url, {**asked, "model_name": "mstl", "history": one}, requests // 4, 1),
        "one-series history (ensemble)": drive(url, {**asked, "model_name": "ensemble", "history": one},
                                               requests // 4, 1),
    }


def _measure(folder: Path, env: dict, requests: int) -> tuple[dict, dict]:
    servers = _servers({name: free_port() for name in ("mlflow", "ours")})
    ready = {"mlflow": "/ping", "ours": "/health"}
    results = {}
    with ExitStack() as started:
        for name, (command, url) in servers.items():
            started.enter_context(running(command, url + ready[name], folder, env))
        for kind in ("stored", "history"):
            for concurrency in (1, 16):
                for name, (_, url) in servers.items():
                    path, body = bodies()[(name, kind)]
                    results[(kind, name, concurrency)] = drive(url + path, body, requests, concurrency)
        alone = _alone(servers["ours"][1] + "/predict", requests)
    return results, alone


def _report(results: dict, alone: dict) -> None:
    print(f"{'request':<9}{'server':<8}{'conc.':>6}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for (kind, server, concurrency), row in results.items():
        print(f"{kind:<9}{server:<8}{concurrency:>6}{row['p50']:>9.2f}{row['p99']:>9.2f}{row['rps']:>9.1f}")
    for kind in ("stored", "history"):
        for concurrency in (1, 16):
            ours, theirs = results[(kind, "ours", concurrency)], results[(kind, "mlflow", concurrency)]
            print(f"{kind}, concurrency {concurrency:>2}: p50 ours/mlflow = {ours['p50'] / theirs['p50']:.2f}, "
                  f"throughput ours/mlflow = {ours['rps'] / theirs['rps']:.2f}x")
    one = results[("history", "ours", 1)]["p50"]
    for name, row in alone.items():
        print(f"ours alone, {name}: p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms")
    many = alone[f"45-series history, {WEEKS} weeks each (lightgbm)"]["p50"]
    print(f"45-series history / one-series history (lightgbm, p50): {many / one:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per server, kind and concurrency level")
    parser.add_argument("--data", default=str(WALMART) if WALMART.is_file() else None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "OMP_WAIT_POLICY": "PASSIVE"}
        train = [sys.executable, "-m", "entrypoints.cli", "train", "--models", "lightgbm,mstl,ensemble"]
        subprocess.run(train + (["--data", args.data] if args.data else []), cwd=folder, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results, alone = _measure(folder, env, args.requests)
    print(f"{args.requests} requests per run; data: {args.data or 'synthetic'}; one worker per server; "
          "baseline = mlflow models serve --env-manager local of lightgbm version 1")
    _report(results, alone)


if __name__ == "__main__":
    main()
