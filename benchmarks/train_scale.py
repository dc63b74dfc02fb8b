"""How training grows with the number of series: 45, 450 and 4,500 weekly series of 143 weeks.

For each size the synthetic generator writes the panel (`ml-portfolio synthetic`), then each
model trains in a whole `ml-portfolio train --models MODEL` process of its own (the ensemble's
row trains the members it combines too), and the whole portfolio in one `--models all` process,
each into a fresh SQLite store. Every row prints wall seconds and peak memory, and the ratio of
each size to the one before (10x the series); the baseline of a ratio is the same command on
the previous size, measured in the same run. Whole process against whole process.

After the portfolio process, that store's lightgbm version is served by `ml-portfolio serve`
(one worker) and asked for one series' 12-week forecast with intervals, over a keep-alive
client: its p50 at each size, and the ratio to the first size (browser-less client against
server, the same client and request at every size).

With `--jobs N` or `--scheduler tcp://HOST:PORT` the whole portfolio also trains, at every size,
in one process fitting with one thread at a time (`--threads 1`: the tasks of the Dask run, one
after another, with the same answers), and with its fits on Dask (a local cluster of N worker
processes, or that cluster). Each size prints the Dask run's speed-up over both sequential
processes: the default one (which fits with every CPU from 1,000,000 design rows) and the one
fitting one thread at a time. All three are the same `train` command into a fresh store,
measured in the same run; whole process against whole process.

Targets on the 2-core development machine, at the largest size: the whole portfolio under
15 minutes and 8 GB; no model's time ratio above 11 for 10x the series; the forecast p50
under 5 ms; with --jobs 2, at least 1.6x faster than sequential (judged against both sequential
processes).

    python benchmarks/train_scale.py [--sizes 45 450 4500] [--models all|none|a,b] [--requests 300]
                                     [--jobs N | --scheduler tcp://HOST:PORT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import processes  # noqa: E402
from domain.training import MODEL_TYPES  # noqa: E402
from tests.conftest import free_port, running  # noqa: E402

WEEKS = 143
TARGET_SECONDS, TARGET_MIB, TARGET_RATIO, TARGET_P50_MS, TARGET_SPEEDUP = 15 * 60, 8 * 1024, 11.0, 5.0, 1.6
ALL, ONE_THREAD, ON_DASK = "all models", "all, --threads 1", "all on Dask"


def train_rows(series: int, models: tuple[str, ...], keep: Path, dask: list[str]) -> dict[str, dict]:
    """Every model alone, then the whole portfolio (its store kept in `keep` for serving), then, if
    asked, the whole portfolio with one thread per fit and with its fits on Dask (`dask`: the flags
    that say where)."""
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        data = str(Path(folder) / "panel.csv")
        processes.measure(__file__, ["synthetic", "--series", str(series), "--periods", str(WEEKS), "--output", data],
                          folder)
        for model in models:
            with tempfile.TemporaryDirectory() as store:
                rows[model] = processes.measure(__file__, ["train", "--models", model, "--data", data,
                                                           "--no-register"], store)
            print(f"  {series} series, {model}: {rows[model]['seconds']:.1f} s", flush=True)
        rows[ALL] = processes.measure(__file__, ["train", "--models", "all", "--data", data], str(keep))
        print(f"  {series} series, {ALL}: {rows[ALL]['seconds']:.1f} s", flush=True)
        for name, flags in ((ONE_THREAD, ["--threads", "1"]), (ON_DASK, dask)) if dask else ():
            with tempfile.TemporaryDirectory() as store:
                rows[name] = processes.measure(__file__, ["train", "--models", "all", "--data", data, *flags], store)
            where = f" ({' '.join(flags)})" if name == ON_DASK else ""
            print(f"  {series} series, {name}{where}: {rows[name]['seconds']:.1f} s", flush=True)
    return rows


def forecast_p50_ms(store: Path, requests: int) -> float:
    """p50 of one series' forecast from `ml-portfolio serve` over the store's lightgbm version."""
    port = free_port()
    command = [sys.executable, "-m", "entrypoints.cli", "--tracking-uri", f"sqlite:///{store / 'mlflow.db'}", "serve",
               "--port", str(port)]
    body = {"series_id": "1", "horizon": 12, "model_name": "lightgbm", "model_version": "1"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, as the training processes run it
    with running(command, f"http://127.0.0.1:{port}/health", store, env), httpx.Client(timeout=60) as client:
        url = f"http://127.0.0.1:{port}/predict"
        assert client.post(url, json=body).status_code == 200  # loads the version
        seconds = []
        for _ in range(requests):
            started = time.perf_counter()
            client.post(url, json=body).raise_for_status()
            seconds.append(time.perf_counter() - started)
    return 1000 * statistics.median(seconds)


def report(sizes: list[int], rows: dict[int, dict[str, dict]], p50: dict[int, float]) -> None:
    print(f"\n{'process':<16}{'series':>8}{'wall s':>9}{'peak MiB':>10}{'time x':>8}{'memory x':>10}"
          "   (x: this size / the size before)")
    worst = 0.0
    for name in rows[sizes[0]]:
        for i, size in enumerate(sizes):
            row, before = rows[size][name], rows[sizes[i - 1]][name] if i else None
            ratios = (f"{row['seconds'] / before['seconds']:>8.2f}{row['peak_mib'] / before['peak_mib']:>10.2f}"
                      if before else f"{'-':>8}{'-':>10}")
            if before and name not in (ALL, ONE_THREAD, ON_DASK):
                worst = max(worst, row["seconds"] / before["seconds"] * 10 * sizes[i - 1] / size)
            print(f"{name:<16}{size:>8}{row['seconds']:>9.1f}{row['peak_mib']:>10.0f}{ratios}")
    largest = rows[sizes[-1]][ALL]
    print(f"\nat {sizes[-1]:,} series the whole portfolio took {largest['seconds']:.0f} s "
          f"({'within' if largest['seconds'] < TARGET_SECONDS else 'OVER'} {TARGET_SECONDS} s) and "
          f"{largest['peak_mib']:.0f} MiB ({'within' if largest['peak_mib'] < TARGET_MIB else 'OVER'} {TARGET_MIB})")
    print(f"largest time ratio of one model per 10x series: {worst:.2f} "
          f"({'within' if worst <= TARGET_RATIO else 'OVER'} {TARGET_RATIO:g})")
    for size in sizes:
        print(f"one series' forecast from a {size:,}-series version: p50 {p50[size]:.2f} ms "
              f"({p50[size] / p50[sizes[0]]:.2f}x the {sizes[0]}-series version's)")
    verdict = "within" if p50[sizes[-1]] < TARGET_P50_MS else "OVER"
    print(f"at {sizes[-1]:,} series: {verdict} the {TARGET_P50_MS:g} ms target")
    for size in sizes:
        if ON_DASK in rows[size]:
            dask = rows[size][ON_DASK]["seconds"]
            for baseline, label in ((ALL, "one process with its default threads"),
                                    (ONE_THREAD, "the same fits one after another in one process (--threads 1)")):
                speedup = rows[size][baseline]["seconds"] / dask
                print(f"{size:,} series: the fits on Dask {speedup:.2f}x faster than {label} "
                      f"({'within' if speedup >= TARGET_SPEEDUP else 'UNDER'} the {TARGET_SPEEDUP:g}x target)")


def main() -> None:
    processes.run_child_if_asked()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45, 450, 4500], help="series per panel")
    parser.add_argument("--models", default="all", help="models to time one by one (default: all; none: only "
                                                        "the whole portfolio)")
    parser.add_argument("--requests", type=int, default=300, help="forecast requests per size (default: 300)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, help="also train with the fits on a local Dask cluster of N workers")
    where.add_argument("--scheduler", help="also train with the fits on the Dask cluster of this scheduler")
    args = parser.parse_args()
    named = {"all": tuple(MODEL_TYPES), "none": ()}
    models = named[args.models] if args.models in named else tuple(args.models.split(","))
    dask = ["--jobs", str(args.jobs)] if args.jobs else ["--scheduler", args.scheduler] if args.scheduler else []
    print(f"synthetic weekly panels of {WEEKS} weeks; every row is one whole `ml-portfolio` process", flush=True)
    rows, p50 = {}, {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as keep:
            rows[size] = train_rows(size, models, Path(keep), dask)
            p50[size] = forecast_p50_ms(Path(keep), args.requests)
    report(args.sizes, rows, p50)


if __name__ == "__main__":
    main()
