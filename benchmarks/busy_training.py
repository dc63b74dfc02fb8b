"""Training on a busy machine: `ml-portfolio train` alone against the same beside busy processes.

A user's laptop, a CI runner or a box that also serves the API is never idle. Each measurement
is one whole `ml-portfolio train --models MODELS` process (default lightgbm on the Walmart table)
into a fresh SQLite store; the baseline is the same process alone, measured in the same run.
"Busy" starts `--busy` (default 2) processes that spin on a core each for the whole
measurement. The loaded run is also timed the way training ran before: two threads per fit that
spin while they wait (`--threads 2`, `OMP_WAIT_POLICY=ACTIVE`), to show what the defaults (one
thread on a small table, PASSIVE waiting) buy. Target: loaded at most 3x alone.

    python benchmarks/busy_training.py [--data PATH] [--models lightgbm] [--busy 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "Walmart.csv"
TARGET = 3.0


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy(count: int):
    workers = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()


def train_seconds(models: str, data: str | None, wait_policy: str | None, threads: int | None = None) -> float:
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        if wait_policy:
            env["OMP_WAIT_POLICY"] = wait_policy
        command = [sys.executable, "-m", "entrypoints.cli", "train", "--models", models, "--no-register",
                   *(["--threads", str(threads)] if threads else [])]
        started = time.perf_counter()
        subprocess.run(command + (["--data", data] if data else []), cwd=folder, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_file() else None,
                        help="sales CSV (default: ../shared/data/Walmart.csv if present, else the synthetic table)")
    parser.add_argument("--models", default="lightgbm")
    parser.add_argument("--busy", type=int, default=2, help="busy processes beside the loaded runs (default: 2)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each measurement; the median is shown")
    args = parser.parse_args()
    print(f"`ml-portfolio train --models {args.models}` on {args.data or 'synthetic'}, whole processes, "
          f"{os.cpu_count()} CPUs, median of {args.repeats}", flush=True)

    def median(wait_policy: str | None, loaded: bool, threads: int | None = None) -> float:
        with busy(args.busy if loaded else 0):
            return statistics.median(train_seconds(args.models, args.data, wait_policy, threads)
                                     for _ in range(args.repeats))

    alone = median(None, loaded=False)
    rows = [("alone (baseline, the CLI's defaults)", alone),
            (f"beside {args.busy} busy processes", median(None, loaded=True)),
            (f"beside {args.busy} busy, 2 spinning threads (as before)", median("ACTIVE", loaded=True, threads=2))]
    for name, seconds in rows:
        print(f"{name:<58}{seconds:>8.1f} s{seconds / alone:>8.2f}x")
    loaded = rows[1][1] / alone
    print(f"loaded / alone: {loaded:.2f}, {'within' if loaded <= TARGET else 'OVER'} the {TARGET:g}x target")


if __name__ == "__main__":
    main()
