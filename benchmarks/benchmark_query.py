"""How fast is `ml-portfolio benchmark` on a large tracking store, against the naive way?

Builds a temporary SQLite MLflow store with N runs (default 10,000; --runs 100000 on request)
spread over 5 models, 3 datasets and 3 experiments, with the metrics logged under the mixed
historic spellings (test_mape / mape / test_MAPEMetric / MAPEMetric ...). Then times, each as
an in-process call after a warm-up, in this one process:

  (a) naive     MlflowClient.search_runs per experiment into pandas, coalesce spellings, groupby
  (b) mlflow    `ml-portfolio benchmark --source mlflow`
  (c) duckdb    `ml-portfolio benchmark --source duckdb` after `ml-portfolio sync`
  (b) and (c) are timed twice: query + ranking (the work (a) does: the use case with file
  output switched off) and the whole command (JSON, CSV, three PNG charts, report, history)
  (d) sync      an incremental `ml-portfolio sync` after 100 more runs were logged

and, as whole processes, (a), (b) and (c) again, with each process's peak memory.
Ratios are against (a), in-process against in-process and process against process.
Targets: (b) no slower than (a); (c) at least 20x faster than (a) at 10,000 runs;
(d) under 2 s; peak memory of the (c) process under 500 MB at 100,000 runs.

A template run per (model, dataset, spelling) is logged through the MLflow client; the rest
are copies of the templates' rows in MLflow's own tables with new ids, times and values, so
building 100,000 runs takes seconds instead of the half hour the client would need.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ("LightGBM", "XGBoost", "CatBoost", "RandomForest", "SeasonalNaive")
DATASETS = ("walmart", "m5", "rossmann")
EXPERIMENTS = ("sales_a", "sales_b", "sales_c")
SPELLINGS = (
    {"mape": "test_mape", "rmse": "test_rmse", "mae": "test_mae"},
    {"mape": "mape", "rmse": "rmse", "mae": "mae"},
    {"mape": "test_MAPEMetric", "rmse": "test_RMSEMetric", "mae": "test_MAEMetric"},
    {"mape": "MAPEMetric", "rmse": "RMSEMetric", "mae": "MAEMetric"},
)
QUALITY = {"LightGBM": 3.5, "XGBoost": 3.7, "CatBoost": 3.6, "RandomForest": 4.0, "SeasonalNaive": 5.5}

NAIVE = """
import sys, pandas as pd
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
frames = []
for experiment in client.search_experiments():
    token, rows = None, []
    while True:
        page = client.search_runs([experiment.experiment_id], max_results=50000, page_token=token)
        rows += [{"model": r.data.tags.get("model_type"), "dataset": r.data.tags.get("dataset"),
                  "training_time": r.data.metrics.get("training_time"),
                  **{"m." + k.lower(): v for k, v in r.data.metrics.items()}} for r in page]
        token = page.token
        if not token:
            break
    frames.append(pd.DataFrame(rows))
runs = pd.concat(frames, ignore_index=True)
for name in ("mape", "rmse", "mae"):
    candidates = ("m.test_" + name, "m." + name, "m.test_" + name + "metric", "m." + name + "metric")
    spellings = [c for c in candidates if c in runs]
    runs[name] = runs[spellings].bfill(axis=1).iloc[:, 0]
best = runs.loc[runs.groupby(["model", "dataset"])["mape"].idxmin()]
ranking = best.sort_values(["dataset", "mape"])[["model", "dataset", "mape", "rmse", "mae", "training_time"]]
print(len(runs), ranking.to_json(orient="records"))
"""


def _templates(folds: int) -> list:
    """One run per (model, dataset), metrics under one of the historic spellings each."""
    from tests.support import RunSpec

    templates = []
    for i, (model, dataset) in enumerate((m, d) for m in MODELS for d in DATASETS):
        spelling = SPELLINGS[i % len(SPELLINGS)]
        backtests = {f"fold{k}_{name}": value * (0.8 + 0.1 * k) for k in range(1, folds + 1)
                     for name, value in (("mape", QUALITY[model]), ("rmse", 100.0), ("mae", 80.0))}
        metrics = {
            spelling["mape"]: QUALITY[model],
            spelling["rmse"]: 100.0,
            spelling["mae"]: 80.0,
            "training_time": 2.0,
        }
        templates.append(
            RunSpec(
                f"template-{model}-{dataset}",
                EXPERIMENTS[i % len(EXPERIMENTS)],
                {**metrics, **backtests},
                {"model": model.lower(), "horizon": "12"},
                {"model_type": model, "dataset": dataset},
                minute=i,
            )
        )
    return templates


def _copies(connection: sqlite3.Connection, ids: list[str], runs: int, rng: random.Random) -> dict[str, list]:
    """Rows of `runs` new runs per table, each a template's rows with a new id, time and values."""
    tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if "run_uuid" in [c[1] for c in connection.execute(f"PRAGMA table_info({name})")]]
    rows = {t: {i: connection.execute(f"SELECT * FROM {t} WHERE run_uuid = ?", [i]).fetchall() for i in ids}
            for t in tables}
    columns = {t: [c[1] for c in connection.execute(f"PRAGMA table_info({t})")] for t in tables}
    batch: dict[str, list] = {t: [] for t in tables}
    for n in range(runs):
        template, new_id = ids[n % len(ids)], uuid.UUID(int=rng.getrandbits(128)).hex
        factor, start = rng.uniform(0.9, 1.4), 1_767_600_000_000 + n * 1000
        for table in tables:
            for values in rows[table][template]:
                row = dict(zip(columns[table], values))
                row["run_uuid"] = new_id
                if table == "runs":
                    row.update(name=f"{row['name']}-{n}", start_time=start, end_time=start + 500,
                               artifact_uri=row["artifact_uri"].replace(template, new_id))
                if table in ("metrics", "latest_metrics") and row["key"] != "training_time":
                    row["value"] = row["value"] * factor
                batch[table].append(tuple(row[c] for c in columns[table]))
    return batch


def build_store(folder: Path, runs: int, seed: int = 7, folds: int = 0) -> str:
    """A SQLite store of `runs` runs; with `folds`, each also logs fold1..foldN_<metric> values."""
    from mlflow import MlflowClient

    from tests.support import log_to_mlflow

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    ids = list(log_to_mlflow(MlflowClient(uri), _templates(folds)).values())
    connection = sqlite3.connect(folder / "mlflow.db")
    for table, rows in _copies(connection, ids, runs - len(ids), random.Random(seed)).items():
        if rows:
            connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    connection.commit()
    connection.close()
    return uri


def timed(call, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def process(argv: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB, VmHWM: getrusage would report the parent's peak, inherited at fork)."""
    report = cwd / "rusage.json"
    wrapper = ("import json, resource, runpy, sys; code = 0\n"
               "try:\n    sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')\n"
               "except SystemExit as exit:\n    code = exit.code or 0\n"
               "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
               "json.dump({'code': code, 'rss': int(hwm)}, open(sys.argv_report, 'w'))\n")
    script = cwd / "wrapper.py"
    script.write_text(wrapper.replace("sys.argv_report", repr(str(report))))
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script), "--", *argv], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    result = json.loads(report.read_text())
    if result["code"] not in (0, None):
        raise SystemExit(f"{argv} exited {result['code']}")
    return seconds, result["rss"] / 1024


def _naive(uri: str) -> None:
    sys.argv = ["naive.py", uri]
    exec(compile(NAIVE, "naive.py", "exec"), {"__name__": "__main__"})


def _ours(source: str) -> None:
    from entrypoints.cli import main as cli

    assert cli(["benchmark", "--source", source, "--output-dir", f"out-{source}", "--format", "csv"]) == 0


def _ranking_only(source: str):
    """The ranking the benchmark command runs, without writing files or history."""
    from domain.benchmarks import BenchmarkRequest
    from entrypoints.config import Settings
    from entrypoints.container import create_container

    use_case = create_container(Settings.from_env(source=source)).rank_runs()
    return lambda: use_case(BenchmarkRequest())


def _in_process(uri: str) -> dict[str, float]:
    """(a) to (d) as in-process calls, best of repeats after a warm-up, their output discarded."""
    from mlflow import MlflowClient

    from entrypoints.cli import main as cli
    from tests.support import RunSpec, log_to_mlflow

    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        _naive(uri)  # warm-up: imports and SQLite page cache, for both sides
        found = {"a": timed(lambda: _naive(uri), 2), "b_rank": timed(_ranking_only("mlflow"), 2),
                 "b": timed(lambda: _ours("mlflow"), 2)}
        assert cli(["sync"]) == 0
        found.update(c_rank=timed(_ranking_only("duckdb"), 3), c=timed(lambda: _ours("duckdb"), 3))
        log_to_mlflow(
            MlflowClient(uri),
            [
                RunSpec(
                    f"extra-{i}",
                    EXPERIMENTS[0],
                    {"test_mape": 3.0},
                    {},
                    {"model_type": "LightGBM", "dataset": "walmart"},
                    minute=10_000_000 + i,
                )
                for i in range(100)
            ],
        )
        found["d"] = timed(lambda: cli(["sync"]))
    return found


def _processes(uri: str, folder: Path) -> dict[str, tuple[float, float]]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    naive_script = folder / "naive.py"
    naive_script.write_text(NAIVE)
    cli_script = str(ROOT / "entrypoints" / "cli" / "__main__.py")
    return {
        "(a) naive": process([str(naive_script), uri], env, folder),
        "(b) benchmark --source mlflow": process(
            [cli_script, "benchmark", "--source", "mlflow", "--output-dir", "p-mlflow"], env, folder
        ),
        "(c) benchmark --source duckdb": process(
            [cli_script, "benchmark", "--source", "duckdb", "--output-dir", "p-duckdb"], env, folder
        ),
        "(d) sync, nothing new": process([cli_script, "sync"], env, folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    from entrypoints.config import quiet_libraries

    quiet_libraries()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        uri = build_store(folder, args.runs)
        print(f"built a store of {args.runs:,} runs in {time.perf_counter() - started:.1f}s", flush=True)
        os.chdir(folder)
        os.environ["MLFLOW_TRACKING_URI"] = uri
        calls, processes = _in_process(uri), _processes(uri, folder)

    print(f"\n{args.runs:,} runs; baseline (a) = naive MlflowClient.search_runs per experiment + pandas groupby")
    print("in-process calls (best of repeats, imports warm):")
    for label, key in (("(a) naive: query + ranking", "a"), ("(b) mlflow: query + ranking", "b_rank"),
                       ("(b) mlflow: whole command", "b"), ("(c) duckdb: query + ranking", "c_rank"),
                       ("(c) duckdb: whole command", "c")):
        print(f"  {label:<34}{calls[key]:>8.3f} s   (a)/this = {calls['a'] / calls[key]:6.1f}x")
    print(f"  {'(d) incremental sync, +100 runs':<34}{calls['d']:>8.3f} s")
    print("whole processes (start-up and imports included):")
    naive_seconds = processes["(a) naive"][0]
    for label, (seconds, rss) in processes.items():
        print(f"  {label:<34}{seconds:>8.3f} s  peak {rss:6.0f} MiB   (a)/this = {naive_seconds / seconds:5.1f}x")


if __name__ == "__main__":
    main()
