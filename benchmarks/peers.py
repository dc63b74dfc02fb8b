"""The portfolio's members beside the established forecasting libraries, on the project's protocol.

Protocol (exactly the trainer's): forecast `--horizon` weeks (12) for every store from each origin
of the evaluation protocol (four backtest folds 13 weeks apart and the test window, the last 12
weeks), seeing nothing after the origin and no exogenous column; MAPE in percent pooled over every
store-week of the window. Rows:

- the portfolio's members, trained in this process through its own trainer (no MLflow);
- statsforecast MSTL(season 52) and AutoTheta(52), each series on its own;
- mlforecast LightGBM: 12 configurations (lag sets x target differencing x learning rate), the
  best by mean MAPE over the windows beside the worst, and the best configuration of each window
  on its own (an oracle no user has: picking on the windows scored flatters it most);
- AutoGluon-TimeSeries (medium quality, season 52, pretrained models excluded: their weights
  cannot be downloaded here) when `autogluon.timeseries` is installed; a line says it was skipped
  otherwise. It is not a dependency of the project.

    python benchmarks/peers.py [--data PATH] [--members all|a,b] [--skip-autogluon]

Every row is an in-process call over the same table and origins; the seconds column is each
row's wall time for all five windows (the portfolio's: every fit of its protocol, the final fit
included).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.table import Panel
from adapters.forecasting.trainer import ForecastingModelTrainer
from domain.frequency import WEEKLY_FRIDAY
from domain.training import MODEL_TYPES, EvaluationProtocol

SEASON = WEEKLY_FRIDAY.season  # the peers are configured for the weekly Walmart table

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "Walmart.csv"
Forecaster = Callable[[pd.DataFrame, int], np.ndarray]  # long history up to the origin, steps -> steps x series


def long_frame(panel: Panel, origin: int) -> pd.DataFrame:
    """unique_id, ds, y of every store up to and including the origin (the Nixtla convention)."""
    weeks, stores = panel.periods[: origin + 1].astype("datetime64[ns]"), panel.series
    return pd.DataFrame({"unique_id": np.repeat(stores, len(weeks)), "ds": np.tile(weeks, len(stores)),
                         "y": panel.sales[: origin + 1].T.ravel()})


def grid(found: pd.DataFrame, column: str, stores: np.ndarray, steps: int) -> np.ndarray:
    """steps x stores from a long forecast frame, the stores in the order given (the panel's)."""
    wide = found.pivot(index="ds", columns="unique_id", values=column)
    return wide[list(stores)].to_numpy()[:steps]


def mape(panel: Panel, origin: int, predicted: np.ndarray, horizon: int) -> float:
    actual = panel.sales[origin + 1 : origin + 1 + horizon]
    return float(100 * np.mean(np.abs(actual - predicted[:horizon]) / np.abs(actual)))


def statsforecast_member(name: str) -> Forecaster:
    def forecast(history: pd.DataFrame, steps: int) -> np.ndarray:
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL, AutoTheta

        model = {"MSTL": MSTL, "AutoTheta": AutoTheta}[name](season_length=SEASON)
        found = StatsForecast(models=[model], freq="W-FRI", n_jobs=1).forecast(df=history, h=steps)
        return grid(found, name, history["unique_id"].unique(), steps)

    return forecast


MLFORECAST_CONFIGS = [
    {"lags": lags, "difference": difference, "learning_rate": rate}
    for lags, difference, rate in itertools.product(
        ((1, 2, 3, 4, 52), (1, 2, 3, 4, 8, 13, 26, 52), tuple(range(1, 14)) + (52,)), (False, True), (0.05, 0.1))
]


def mlforecast_member(config: dict) -> Forecaster:
    def forecast(history: pd.DataFrame, steps: int) -> np.ndarray:
        import lightgbm
        from mlforecast import MLForecast
        from mlforecast.target_transforms import Differences

        model = lightgbm.LGBMRegressor(n_estimators=300, learning_rate=config["learning_rate"], num_leaves=31,
                                       random_state=42, n_jobs=2, verbose=-1)
        # Differencing by a season already takes last year out of the target: lag 52 would then
        # need two years of history before the first fold's origin.
        lags = [lag for lag in config["lags"] if not (config["difference"] and lag == SEASON)]
        forecaster = MLForecast(models={"lgbm": model}, freq="W-FRI", lags=lags,
                                date_features=["week"],
                                target_transforms=[Differences([SEASON])] if config["difference"] else None)
        forecaster.fit(history, static_features=[])
        return grid(forecaster.predict(steps), "lgbm", history["unique_id"].unique(), steps)

    return forecast


def autogluon_member() -> Forecaster | None:
    try:
        from autogluon.timeseries import TimeSeriesDataFrame, TimeSeriesPredictor
    except ImportError:
        return None

    def forecast(history: pd.DataFrame, steps: int) -> np.ndarray:
        data = TimeSeriesDataFrame.from_data_frame(history, id_column="unique_id", timestamp_column="ds")
        predictor = TimeSeriesPredictor(
            prediction_length=steps, target="y", eval_metric="MAPE", verbosity=0, path=None
        ).fit(
            data,
            presets="medium_quality",
            hyperparameters={
                "Naive": {},
                "SeasonalNaive": {},
                "ETS": {},
                "Theta": {},
                "RecursiveTabular": {},
                "DirectTabular": {},
                "TemporalFusionTransformer": {},
            },
            time_limit=600,
        )
        found = predictor.predict(data).reset_index().rename(columns={"item_id": "unique_id", "timestamp": "ds"})
        return grid(found, "mean", history["unique_id"].unique(), steps)

    return forecast


def peer_row(name: str, forecaster: Forecaster, panel: Panel, origins: list[int], horizon: int) -> dict:
    started = time.perf_counter()
    values = [mape(panel, o, forecaster(long_frame(panel, o), horizon), horizon) for o in origins]
    return _done({"model": name, "windows": values, "seconds": time.perf_counter() - started})


def _done(row: dict) -> dict:
    print(f"  {row['model']}: {' '.join(f'{v:.2f}' for v in row['windows'])} in {row['seconds']:.1f} s",
          file=sys.stderr, flush=True)
    return row


def member_row(key: str, trainer: ForecastingModelTrainer, table, protocol: EvaluationProtocol) -> dict:
    started = time.perf_counter()
    metrics = trainer.train(key, table, protocol, lambda message: None).metrics
    values = [metrics[f"fold{k}_mape"] for k in range(1, protocol.folds + 1)] + [metrics["test_mape"]]
    return _done({"model": f"ml-portfolio {key}", "windows": values, "seconds": time.perf_counter() - started})


def print_table(rows: list[dict], labels: list[str]) -> None:
    width = max(map(len, labels)) + 2
    print(f"{'model':<46}" + "".join(f"{label:>{width}}" for label in labels) + f"{'mean':>8}{'seconds':>9}")
    for row in rows:
        print(f"{row['model']:<46}" + "".join(f"{v:>{width}.2f}" for v in row["windows"])
              + f"{np.mean(row['windows']):>8.2f}{row['seconds']:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_file() else None,
                        help="sales CSV (default: ../shared/data/Walmart.csv if present, else the synthetic table)")
    parser.add_argument("--members", default="all", help="portfolio members to train (default: all)")
    parser.add_argument("--skip-autogluon", action="store_true", help="leave AutoGluon out even when installed")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning").setLevel(logging.ERROR)
    table, protocol = CsvSalesSource().load(args.data), EvaluationProtocol()
    panel = table.panel
    origins = [*protocol.fold_origins(len(panel.periods)), protocol.test_origin(len(panel.periods))]
    labels = [f"{'test' if o == origins[-1] else f'fold{k + 1}'} {panel.periods[o]}" for k, o in enumerate(origins)]
    print(f"data: {args.data or 'synthetic'}; MAPE % of {protocol.horizon} weeks x {len(panel.series)} stores "
          f"from each origin, nothing after it seen; in-process calls", flush=True)
    trainer = ForecastingModelTrainer()
    members = list(MODEL_TYPES) if args.members == "all" else args.members.split(",")
    rows = [member_row(key, trainer, table, protocol) for key in members]
    rows += [peer_row(f"statsforecast {name}(52)", statsforecast_member(name), panel, origins, protocol.horizon)
             for name in ("MSTL", "AutoTheta")]
    tried = [peer_row(f"mlforecast LightGBM {c}", mlforecast_member(c), panel, origins, protocol.horizon)
             for c in MLFORECAST_CONFIGS]
    tried.sort(key=lambda row: np.mean(row["windows"]))
    best, worst = tried[0], tried[-1]
    rows += [
        {**best, "model": f"mlforecast LightGBM best of {len(tried)}", "seconds": sum(r["seconds"] for r in tried)},
        {**worst, "model": f"mlforecast LightGBM worst of {len(tried)}", "seconds": 0.0},
        {"model": f"mlforecast LightGBM, best of {len(tried)} per window", "seconds": 0.0,
         "windows": [min(row["windows"][k] for row in tried) for k in range(len(origins))]},
    ]
    autogluon = None if args.skip_autogluon else autogluon_member()
    if autogluon is not None:
        rows.append(peer_row("AutoGluon-TimeSeries medium, no pretrained", autogluon, panel, origins, protocol.horizon))
    print_table(rows, labels)
    print(f"mlforecast best configuration: {best['model'].removeprefix('mlforecast LightGBM ')}")
    if autogluon is None:
        print("AutoGluon-TimeSeries: skipped (" + ("--skip-autogluon" if args.skip_autogluon
                                                    else "autogluon.timeseries is not installed") + ")")


if __name__ == "__main__":
    main()
