"""How long does the Predictions explorer take to score a 1,000,000-row upload, and do other
sessions wait meanwhile?

Starts one real `ml-portfolio dashboard` on 127.0.0.1 (an empty tracking store: the explorer
needs none) and drives headless Chromium (/usr/bin/chromium) through Playwright:

- upload: from handing a 1,000,000-row CSV (date, actual, predicted; about 31 MB) to the file
  input until the page shows its scores for all the rows. Target: under 10 s.
- another session: navigation to the Predictions explorer until its file input is drawn, in a
  new browser context, started right after the upload was handed over. Baseline: the same
  navigation while the server is idle, in the same run. The ratio printed is during / idle.

Browser against server for every figure; one warm-up upload, then the median of --repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import chdir
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard_load import CHROMIUM_FLAGS  # noqa: E402
from tests.conftest import free_port, running  # noqa: E402
from tests.support import write_predictions  # noqa: E402


def session_seconds(browser, url: str, timeout: float) -> float:
    """Navigation to the explorer's file input, in a fresh context (a new Panel session)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.locator("input[type=file]").wait_for(state="attached", timeout=timeout * 1000)
        return time.perf_counter() - started
    finally:
        context.close()


def upload(browser, url: str, csv: Path, rows: int, timeout: float) -> tuple[float, float]:
    """Seconds until the scores of every row are shown, and another session's load meanwhile."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.locator("input[type=file]").wait_for(state="attached", timeout=timeout * 1000)
        started = time.perf_counter()
        page.locator("input[type=file]").set_input_files(str(csv))
        other = session_seconds(browser, url, timeout)
        shown = page.locator(".prediction-metrics", has_text=f"{rows:,} rows")
        shown.wait_for(timeout=timeout * 1000)
        seconds = time.perf_counter() - started
        text = shown.evaluate("e => e.shadowRoot.textContent")  # Panel draws its panes in shadow roots
        if "MAPE 10 %" not in text:
            raise SystemExit(f"unexpected scores: {text}")
        return seconds, other
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the uploaded CSV (default: 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed uploads after one warm-up (default: 3)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one step may take before the script fails")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, chdir(tmp), sync_playwright() as playwright:
        folder = Path(tmp)
        csv = folder / "predictions.csv"
        write_predictions(csv, args.rows)
        print(f"{args.rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB", flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}/?page=predictions"
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        command = [sys.executable, "-m", "entrypoints.cli", "dashboard", "--port", str(port)]
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        with running(command, url, folder, env):
            session_seconds(browser, url, args.timeout)  # warm-up: the first session imports and caches
            idle = [session_seconds(browser, url, args.timeout) for _ in range(args.repeats)]
            upload(browser, url, csv, args.rows, args.timeout)
            timed = [upload(browser, url, csv, args.rows, args.timeout) for _ in range(args.repeats)]
        browser.close()

    during = [other for _, other in timed]
    print(f"\nmedians of {args.repeats}; browser against server")
    print(f"  upload of {args.rows:,} rows to scores shown  {statistics.median(s for s, _ in timed):6.2f} s"
          f"   (each: {', '.join(f'{s:.2f}' for s, _ in timed)}; target under 10 s)")
    print(f"  another session, server idle        {statistics.median(idle):6.2f} s   (baseline)")
    print(f"  another session, during the upload  {statistics.median(during):6.2f} s"
          f"   during / idle = {statistics.median(during) / statistics.median(idle):.1f}x")


if __name__ == "__main__":
    main()
