"""What the covariates buy on the synthetic promotions panel: each tree member with and without them.

Protocol: the panel `ml-portfolio synthetic --freq promotions` writes (--series, default 45), cut
at `--origins` rolling origins a horizon apart before its last date; at each, every tree member
is trained twice on the cut as `train` trains it (the default protocol), once on the target
alone and once with `--future-cols promo,price --static-cols store_size` (the cut then holds the
horizon's rows with their sales emptied), and its forecast from the cut's last date is scored on
the sales that followed: MAPE in percent over every period, and over the promoted periods only.
The last column is the promoted periods' MAPE with covariates over without (the target: at most
0.6, 40% lower). In-process calls on the same cuts.

    python benchmarks/promotions.py [--series 45] [--origins 3] [--members lightgbm,xgboost,catboost,randomforest]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from adapters.forecasting.synthetic import synthetic_promotions
from adapters.forecasting.trainer import ForecastingModelTrainer
from benchmarks.peers import cut
from domain.columns import ColumnSpec, PanelSpec
from domain.covariates import NONE, Covariates
from domain.training import EvaluationProtocol

TREES = "lightgbm,xgboost,catboost,randomforest"
COVARIATES = Covariates(future=("promo", "price"), static=("store_size",))


def forecasts(raw: pd.DataFrame, days: pd.Series, last: pd.Timestamp, ahead: pd.Timestamp, covariates: Covariates,
              members: list[str], horizon: int) -> dict[str, np.ndarray]:
    """Each member's forecast (steps x series) from `last`, trained on the cut with or without covariates."""
    columns = ColumnSpec(covariates=covariates)
    table = cut(raw, days, last, "promotions", columns, PanelSpec(), ahead if covariates.future else None)
    protocol = EvaluationProtocol.for_panel(table.info.frequency, table.info.series, horizon).fitted_to(
        table.info.periods)
    trainer = ForecastingModelTrainer()
    found = {}
    for key in members:
        model = trainer.train(key, table, protocol, lambda message: None).servable
        found[key] = model.predictions[:, :horizon].T
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=45)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--members", default=TREES)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    raw = synthetic_promotions(args.series)
    days = pd.to_datetime(raw["ds"])
    weeks = sorted(days.unique())
    horizon, members = 12, args.members.split(",")
    wide = raw.assign(ds=days).pivot(index="ds", columns="unique_id")
    scores: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for k in range(args.origins - 1, -1, -1):
        last = pd.Timestamp(weeks[len(weeks) - 1 - horizon - horizon * k])
        after = wide[(wide.index > last)].iloc[:horizon]
        actual, promoted = after["y"].to_numpy(), after["promo"].to_numpy() == 1
        for kind, covariates in (("without", NONE), ("with", COVARIATES)):
            found = forecasts(raw, days, last, after.index[-1], covariates, members, horizon)
            for key, grid in found.items():
                errors = np.abs(grid - actual) / actual
                scores.setdefault((key, kind), []).append((100 * errors.mean(), 100 * errors[promoted].mean()))
        print(f"  origin {last.date()}: {int(promoted.sum())} promoted series-weeks of {promoted.size}",
              file=sys.stderr, flush=True)
    print(f"synthetic promotions panel: {args.series} series; {args.origins} origins {horizon} weeks apart, horizon "
          f"{horizon}; MAPE % (all periods / promoted periods), mean over origins; in-process calls")
    print(f"{'member':14s}{'without':>18s}{'with covariates':>22s}{'promoted with/without':>26s}")
    for key in members:
        without = np.mean(scores[(key, "without")], axis=0)
        with_ = np.mean(scores[(key, "with")], axis=0)
        print(f"{key:14s}{without[0]:8.2f} / {without[1]:6.2f}{with_[0]:12.2f} / {with_[1]:6.2f}"
              f"{with_[1] / without[1]:22.2f}")


if __name__ == "__main__":
    main()
