"""How long does the dashboard's Model comparison page take to draw, per run source?

For each store size (default 100 and 10,000 runs, built as in benchmark_query.py: 5 models,
3 datasets, 3 experiments, mixed metric spellings, plus four backtest folds per run so every
plot has data), this script runs `ml-portfolio benchmark` (the JSON source) and
`ml-portfolio sync` (the DuckDB source), starts one real `ml-portfolio dashboard` process on
127.0.0.1 and drives headless Chromium (/usr/bin/chromium) through Playwright.

Measured: the time from `page.goto(.../?page=comparison&source=S)` to the seventh Bokeh canvas
(all Model-comparison plots) in the page, in a new browser context each time, so every load is
a new Panel session that reads its source afresh. Browser against server, the same for every
source: like with like. One warm-up load per source, then the median of --repeats loads.

Baseline: the MLflow live source at the same store size, measured in the same run; the ratio
printed is MLflow live / this. Targets: DuckDB under 3 s at 10,000 runs, JSON and DuckDB at
least 5x faster than MLflow live at 10,000 runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from contextlib import chdir, redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.benchmark_query import build_store  # noqa: E402
from tests.conftest import free_port, running  # noqa: E402

SOURCES = {"mlflow": "MLflow live", "json": "benchmark JSON", "duckdb": "DuckDB warehouse"}
PLOTS = 7  # three bars, the scatter, two box plots, the season-by-season lines
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def load_seconds(browser, url: str, timeout: float) -> float:
    """Navigation to the last canvas of the Model comparison page, in a fresh context."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.locator(".bk-Canvas").nth(PLOTS - 1).wait_for(state="attached", timeout=timeout * 1000)
        seconds = time.perf_counter() - started
        messages = page.locator(".message")
        if messages.count():
            raise SystemExit(f"{url} shows a message instead of a clean page: {messages.first.inner_text()}")
        return seconds
    finally:
        context.close()


def measure(browser, runs: int, repeats: int, timeout: float) -> dict[str, list[float]]:
    from entrypoints.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp, chdir(tmp):
        folder = Path(tmp)
        started = time.perf_counter()
        uri = build_store(folder, runs, folds=4)
        env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
        os.environ["MLFLOW_TRACKING_URI"] = uri
        for command in (["benchmark"], ["sync"]):
            with (
                redirect_stdout(io.StringIO()),
                redirect_stderr(io.StringIO()),
            ):  # tables and progress: not ours to print
                code = cli(command)
            if code != 0:
                raise SystemExit(f"ml-portfolio {' '.join(command)} failed")
        print(f"{runs:,} runs: store, benchmark JSON and warehouse ready in {time.perf_counter() - started:.1f} s",
              flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "entrypoints.cli", "dashboard", "--port", str(port)]
        times: dict[str, list[float]] = {}
        with running(command, f"{base}/", folder, env):
            for source in SOURCES:
                url = f"{base}/?page=comparison&source={source}"
                load_seconds(browser, url, timeout)  # warm-up: the server's first session imports and caches
                times[source] = [load_seconds(browser, url, timeout) for _ in range(repeats)]
                print(f"  {SOURCES[source]:<17} loads: " + ", ".join(f"{s:.2f}" for s in times[source]), flush=True)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[100, 10_000], help="store sizes (default: 100 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed loads per source after one warm-up (default: 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one load may take before the script fails")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from entrypoints.config import quiet_libraries

    quiet_libraries()
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            for runs in args.runs:
                results[runs] = measure(browser, runs, args.repeats, args.timeout)
        finally:
            browser.close()

    print("\nNavigation to all Model comparison plots drawn, median of "
          f"{args.repeats} new sessions; baseline = MLflow live at the same size (browser against server for all)")
    for runs, times in results.items():
        baseline = statistics.median(times["mlflow"])
        for source, label in SOURCES.items():
            seconds = statistics.median(times[source])
            print(f"  {runs:>7,} runs  {label:<17}{seconds:>7.2f} s   MLflow live / this = {baseline / seconds:5.1f}x")


if __name__ == "__main__":
    main()
