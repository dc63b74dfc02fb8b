"""`ml-portfolio actuals add` at scale: 4,500 series x 13 weeks of actuals, with the scoring of the
forecasts already logged, against reading the same file with pandas.

Builds the synthetic generator's weekly panel of `--series` series, trains the seasonal-naive
baseline on all but its last `--weeks` weeks into a temporary SQLite store and embedded actuals
store (its table goes into the store, its forecast from the training origin into the forecast
log) and promotes it to champion; then, `--repeats` times, each on a fresh copy of that actuals
store, times one whole `ml-portfolio actuals add` process of the last weeks (validated, appended,
and the champion scored on them) and one whole `python -c "pandas.read_csv(...)"` process of the
same file: process against process, the same machine, the same run. Target: under 10 s.

    python benchmarks/actuals.py [--series 4500] [--weeks 13] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLI = [sys.executable, "-m", "entrypoints.cli"]


def _run(command: list[str], folder: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed: {done.stderr[-2000:]}")
    return seconds


def _prepare(folder: Path, env: dict, series: int, weeks: int) -> None:
    from adapters.forecasting.synthetic import WEEKS, synthetic_walmart

    table = synthetic_walmart(stores=series, weeks=WEEKS + weeks)
    days = sorted(table.Date.unique(), key=lambda d: (d[6:], d[3:5], d[:2]))
    table[~table.Date.isin(days[-weeks:])].to_csv(folder / "trained.csv", index=False)
    table[table.Date.isin(days[-weeks:])].to_csv(folder / "arriving.csv", index=False)
    _run([*CLI, "train", "--models", "seasonal_naive", "--data", "trained.csv"], folder, env)
    _run([*CLI, "promote", "seasonal_naive", "--version", "1", "--alias", "champion"], folder, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=4500)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "OMP_WAIT_POLICY": "PASSIVE"}
        _prepare(folder, env, args.series, args.weeks)
        shutil.copy(folder / "actuals.duckdb", folder / "trained.duckdb")
        adds, reads = [], []
        for _ in range(args.repeats):
            shutil.copy(folder / "trained.duckdb", folder / "actuals.duckdb")
            adds.append(_run([*CLI, "actuals", "add", "--data", "arriving.csv"], folder, env))
            reads.append(_run([sys.executable, "-c", "import pandas; pandas.read_csv('arriving.csv')"], folder, env))
        size = (folder / "arriving.csv").stat().st_size / 1e6
    add, read = statistics.median(adds), statistics.median(reads)
    print(f"{args.series:,} series x {args.weeks} weeks ({args.series * args.weeks:,} rows, {size:.1f} MB), "
          f"medians of {args.repeats} whole processes:")
    print(f"  ml-portfolio actuals add (validate, append, score the champion): {add:.2f} s "
          f"(min {min(adds):.2f}, max {max(adds):.2f}); target under 10 s: {'met' if add < 10 else 'NOT met'}")
    print(f"  python -c 'pandas.read_csv(...)' of the same file: {read:.2f} s; "
          f"actuals add / pandas = {add / read:.1f}x")


if __name__ == "__main__":
    main()
