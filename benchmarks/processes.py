"""One whole `ml-portfolio` process, timed from outside, with the peak memory it reports itself.

The child runs the CLI in-process and writes the largest resident set of itself and of any
process it started (statsforecast's pool, for one), so a row is the whole command as a user
runs it: start-up, data load, training, logging, registration.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

CHILD_FLAG = "--child"


def child(argv: list[str], report: str) -> int:
    """Run the CLI in this process, then write its peak RSS (ru_maxrss is KiB on Linux)."""
    from entrypoints.cli import main

    code = main(argv)
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    Path(report).write_text(json.dumps({"code": code, "peak_mib": peak / 1024}))
    return code


def run_child_if_asked() -> None:
    """In a script's main(): when started as the measured child, run it and exit."""
    if len(sys.argv) > 2 and sys.argv[1] == CHILD_FLAG:
        sys.exit(child(sys.argv[3:], sys.argv[2]))


def measure(script: str, argv: list[str], folder: str, env: dict[str, str] | None = None) -> dict:
    """{seconds, peak_mib} of `ml-portfolio ARGV` run in FOLDER with the store sqlite:///FOLDER/mlflow.db."""
    report = Path(folder) / "report.json"
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder}/mlflow.db", **(env or {})}
    started = time.perf_counter()
    subprocess.run([sys.executable, script, CHILD_FLAG, str(report), *argv], cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    result = json.loads(report.read_text())
    if result["code"] != 0:
        raise SystemExit(f"`ml-portfolio {' '.join(argv)}` exited {result['code']}")
    return {"seconds": seconds, "peak_mib": result["peak_mib"]}
