"""How long does the dashboard's Model comparison page take to draw, per run source, against
MLflow's own UI showing its runs table for the same store?

For each store size (default 100 and 10,000 runs, built as in benchmark_query.py: 5 models,
3 datasets, 3 experiments, mixed metric spellings, plus four backtest folds per run so every
plot has data), this script runs `ml-portfolio benchmark` (the JSON source) and
`ml-portfolio sync` (the DuckDB source), starts one real `ml-portfolio dashboard` process and
one `mlflow server` process (its UI, over the same SQLite store) on 127.0.0.1 and drives
headless Chromium (/usr/bin/chromium) through Playwright.

Measured, each load in a new browser context (a new Panel session that reads its source
afresh; nothing cached by the browser), one warm-up load then the median of --repeats:
- dashboard: from `page.goto(.../?page=comparison&source=S)` to the first Bokeh canvas (the
  first plot drawn with its data: a pending plot is a spinner, not a canvas) and to the fifth
  (all Model-comparison plots);
- MLflow UI: from `page.goto(.../#/experiments/ID/runs)` to
  the first run's link in its runs table (of the first experiment by name: a third of the runs).
Browser against server for every figure: like with like.

Baselines, measured in the same run: MLflow's UI (the ratio printed is first plot / MLflow UI)
and the MLflow live source at the same store size (MLflow live / all plots). Targets: at 10,000
runs, DuckDB's first plot under 2 s and at most 0.5x MLflow's UI, its last plot under 4 s.
`--json PATH` writes the medians: {"<runs>": {"ui": s, "<source>": {"first": s, "all": s}}}.
"""

from __future__ import annotations

import argparse
import io
import json
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
from tests.conftest import BIN, free_port, running  # noqa: E402

SOURCES = {"mlflow": "MLflow live", "json": "benchmark JSON", "duckdb": "DuckDB warehouse"}
PLOTS = 5  # the primary metric's bars, two box plots, the season-by-season lines, the training-time scatter
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def marks_seconds(browser, url: str, marks: tuple[str, ...], timeout: float, ours: bool) -> list[float]:
    """Seconds from navigation to `url` (in a fresh context) until each of `marks` (selectors) is in
    the page; one of our pages showing a message instead of its plots ends the script."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        seconds = []
        for mark in marks:
            page.locator(mark).wait_for(state="attached", timeout=timeout * 1000)
            seconds.append(time.perf_counter() - started)
        messages = page.locator(".message")
        if ours and messages.count():
            text = messages.first.evaluate("e => (e.shadowRoot || e).textContent")
            raise SystemExit(f"{url} shows a message instead of a clean page: {text}")
        return seconds
    finally:
        context.close()


def load_seconds(browser, url: str, timeout: float) -> tuple[float, float]:
    """Navigation to the first and to the last canvas of the Model comparison page."""
    first, last = marks_seconds(browser, url, (".bk-Canvas >> nth=0", f".bk-Canvas >> nth={PLOTS - 1}"), timeout,
                                ours=True)
    return first, last


def runs_table_seconds(browser, url: str, timeout: float) -> float:
    """Navigation to the first run link of MLflow UI's runs table."""
    return marks_seconds(browser, url, ("a[href*='/runs/'] >> nth=0",), timeout, ours=False)[0]


def ui_loads(browser, uri: str, folder: Path, env: dict[str, str], repeats: int, timeout: float) -> list[float]:
    """MLflow's own UI over the same store: its runs table, timed like the dashboard."""
    from mlflow import MlflowClient

    shown = min((e for e in MlflowClient(uri).search_experiments() if e.name != "Default"), key=lambda e: e.name)
    port = free_port()
    ui = f"http://127.0.0.1:{port}"
    server = [str(BIN / "mlflow"), "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
              "--port", str(port), "--workers", "1"]
    with running(server, f"{ui}/health", folder, env):
        url = f"{ui}/#/experiments/{shown.experiment_id}/runs"
        runs_table_seconds(browser, url, timeout)  # warm-up, as for the dashboard
        return [runs_table_seconds(browser, url, timeout) for _ in range(repeats)]


def measure(browser, runs: int, repeats: int, timeout: float) -> dict[str, list[tuple[float, float]]]:
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
        times: dict[str, list[tuple[float, float]]] = {}
        with running(command, f"{base}/", folder, env):
            for source in SOURCES:
                url = f"{base}/?page=comparison&source={source}"
                load_seconds(browser, url, timeout)  # warm-up: the server's first session imports and caches
                times[source] = [load_seconds(browser, url, timeout) for _ in range(repeats)]
                print(f"  {SOURCES[source]:<17} loads (first plots / all): "
                      + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in times[source]), flush=True)
        table = ui_loads(browser, uri, folder, env, repeats, timeout)
        times["ui"] = [(seconds, seconds) for seconds in table]
        print("  MLflow UI runs table loads: " + ", ".join(f"{s:.2f}" for s in table), flush=True)
        return times


def medians(results: dict[int, dict[str, list[tuple[float, float]]]]) -> dict[str, dict]:
    """{"<runs>": {"ui": s, "<source>": {"first": s, "all": s}}}: what --json writes."""
    return {str(runs): {"ui": statistics.median(seconds for seconds, _ in times["ui"]),
                        **{source: {"first": statistics.median(first for first, _ in times[source]),
                                    "all": statistics.median(every for _, every in times[source])}
                           for source in SOURCES}}
            for runs, times in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[100, 10_000], help="store sizes (default: 100 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed loads per source after one warm-up (default: 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one load may take before the script fails")
    parser.add_argument("--json", metavar="PATH", help="also write the medians to PATH as JSON")
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

    print(f"\nMedians of {args.repeats} new sessions, browser against server for all. First plot and all "
          "plots of the Model comparison page; baselines: MLflow's UI showing its runs table, MLflow live (all plots)")
    summary = medians(results)
    for runs, times in summary.items():
        ui, live = times["ui"], times["mlflow"]["all"]
        print(f"  {int(runs):>7,} runs  MLflow UI runs table {ui:6.2f} s")
        for source, label in SOURCES.items():
            first, every = times[source]["first"], times[source]["all"]
            print(f"  {int(runs):>7,} runs  {label:<17} first plot {first:6.2f} s "
                  f"(this / MLflow UI = {first / ui:4.2f}x)   all plots {every:6.2f} s "
                  f"(MLflow live / this = {live / every:4.1f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
        print(f"medians written to {args.json}")


if __name__ == "__main__":
    main()
