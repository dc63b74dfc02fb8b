"""The champion with and without covariates, as a user gets it: `run`, then `forecast --data`.

Protocol: at `--origins` rolling origins `--spacing` periods apart before the table's last date
(the last one `--horizon` periods before it), the table is cut at the origin; with covariates the
cut also holds the horizon's rows with their target emptied (the rows of future values). In a
fresh folder (a SQLite MLflow store and a DuckDB actuals store of its own), `ml-portfolio run
--no-serve --data cut.csv [column flags] [covariate flags]` trains and promotes the champion, then
`ml-portfolio forecast --model <champion>@champion --data cut.csv --horizon H` forecasts from the
cut (its rows of future values included); the forecast is scored on the actuals that followed.
Every command is a whole process. Without covariates the same runs get no covariate flag.

    python benchmarks/covariates.py --data ../shared/data/electricity_daily.csv --future-cols WorkDay,Temperature \\
        --origins 6 --spacing 14 --horizon 14

Prints the champion's MAPE (%) per origin and on average, with and without covariates, and how
much lower it is with them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from adapters.filesystem.sales_csv import read_file  # noqa: E402
from domain.columns import ISO, ColumnSpec, choose_columns  # noqa: E402

CLI = [sys.executable, "-m", "entrypoints.cli"]


def ml_portfolio(args: list[str], folder: str) -> str:
    """Run a command in `folder` (its own stores); its stdout; SystemExit with its stderr when it fails."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder}/mlflow.db", "PYTHONPATH": str(ROOT),
           "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run([*CLI, *args], cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`ml-portfolio {' '.join(args)}` exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def champion_mape(raw: pd.DataFrame, days: pd.Series, choice, origin: pd.Timestamp, ahead: pd.Timestamp,
                  flags: list[str], covariate_flags: list[str]) -> float:
    """The champion's MAPE over the periods after `origin`, trained by `run` on the cut and forecast by
    `forecast --data` from it."""
    horizon = int((days[(days > origin) & (days <= ahead)]).nunique())
    part = raw[days <= (ahead if covariate_flags else origin)].copy()
    part[choice.target] = part[choice.target].where(days[days <= (ahead if covariate_flags else origin)] <= origin)
    with tempfile.TemporaryDirectory() as folder:
        part.to_csv(Path(folder) / "cut.csv", index=False)
        out = ml_portfolio(["run", "--no-serve", "--data", "cut.csv", *flags, *covariate_flags], folder)
        champion = next(line.split()[1] for line in out.splitlines() if line.startswith("promoted "))
        ml_portfolio(["forecast", "--model", f"{champion}@champion", "--data", "cut.csv", "--horizon", str(horizon),
                      "--output", "forecast.parquet", *flags], folder)
        found = pd.read_parquet(Path(folder) / "forecast.parquet")
    actual = raw[(days > origin) & (days <= ahead)].assign(
        date=days[(days > origin) & (days <= ahead)].dt.strftime("%Y-%m-%d"),
        series_id=lambda f: f[choice.id].astype(str))
    merged = found.assign(date=found["date"].astype(str)).merge(actual, on=["series_id", "date"])
    values = merged[choice.target].astype(float)
    keep = values != 0
    return float(100 * np.mean(np.abs(merged["prediction"][keep] - values[keep]) / values[keep]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    for role in ("id", "time", "target"):
        parser.add_argument(f"--{role}-col", metavar="NAME")
    for kind in ("future", "past", "static"):
        parser.add_argument(f"--{kind}-cols", metavar="A,B")
    parser.add_argument("--origins", type=int, default=6)
    parser.add_argument("--spacing", type=int, default=14)
    parser.add_argument("--horizon", type=int, default=14)
    args = parser.parse_args()
    raw, _ = read_file(args.data)
    choice = choose_columns([str(c) for c in raw.columns], ColumnSpec(id=args.id_col, time=args.time_col,
                                                                       target=args.target_col))
    days = pd.to_datetime(raw[choice.time], format=None if choice.date_format == ISO else choice.date_format)
    dates = sorted(days.unique())
    flags = [f for role in ("id", "time", "target") if getattr(args, f"{role}_col")
             for f in (f"--{role}-col", getattr(args, f"{role}_col"))] + ["--horizon", str(args.horizon)]
    covariate_flags = [f for kind in ("future", "past", "static") if getattr(args, f"{kind}_cols")
                       for f in (f"--{kind}-cols", getattr(args, f"{kind}_cols"))]
    rows = []
    for k in range(args.origins - 1, -1, -1):
        at = len(dates) - 1 - args.horizon - args.spacing * k
        origin, ahead = pd.Timestamp(dates[at]), pd.Timestamp(dates[at + args.horizon])
        found = [champion_mape(raw, days, choice, origin, ahead, flags, given) for given in (covariate_flags, [])]
        rows.append((origin.date(), *found))
        print(f"  origin {origin.date()}: with {found[0]:.2f}, without {found[1]:.2f}", file=sys.stderr, flush=True)
    print(f"data: {args.data}; {' '.join(covariate_flags)}; horizon {args.horizon}; champion MAPE % through "
          "`run` then `forecast --data` (whole processes)")
    for origin, with_, without in rows:
        print(f"{origin}  with {with_:6.2f}  without {without:6.2f}")
    with_, without = np.mean([r[1] for r in rows]), np.mean([r[2] for r in rows])
    print(f"mean        with {with_:6.2f}  without {without:6.2f}  ({100 * (1 - with_ / without):.1f}% lower with)")


if __name__ == "__main__":
    main()
