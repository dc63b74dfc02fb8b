"""The portfolio beside the established forecasting libraries on any table, from rolling origins.

Protocol (what a new user would do, `--origins` times): cut the table at an origin, train the
portfolio on the cut as `ml-portfolio run` does (every member the frequency allows, the folds the
cut holds) and take the champion `run` would promote (the ensemble; the lowest overall_mape when
--members leaves it out), then score its
forecast and its 90% interval on the `--horizon` periods after the origin; give statsforecast
(SeasonalNaive, AutoETS, AutoARIMA, AutoTheta, MSTL, and the mean of ETS, ARIMA and Theta) and
mlforecast (LightGBM on the lags of one season) the same cut. The origins are the last date less
the horizon, and `--spacing` periods apart before it (default: half the horizon; on a quarterly
table 16, 12 and 8 quarters before its last date). Nothing after an origin is seen; no column
but the target is used.

Scores per origin and on average over them: MAPE in percent pooled over every series and period
(periods with an actual of 0 left out), MASE (each series' MAE over its in-sample seasonal-naive
MAE on the cut, averaged over series) and the coverage of the 90% interval. Rows are the champion,
every member, and the peers; every row is an in-process call on the same cut, its seconds the
wall time of all origins (a member's: the whole training call, shared by the members, so those
rows show the call's time once, on the champion's row). The last column of the champion's row
names the member it was at each origin.

Covariates are named as `train` takes them (`--future-cols`, `--past-cols`, `--static-cols`).
With future ones, the cut also holds the horizon's rows with their target emptied, so the
portfolio sees the future values of the future columns and nothing else of those periods, and
statsforecast's AutoARIMA given them as regressors (`X_df`) is a row of its own.

    python benchmarks/peers.py [--data PATH] [--id-col ...] [--time-col ...] [--target-col ...]
                               [--date-format F] [--freq F] [--horizon N] [--origins 3] [--spacing N]
                               [--members all|a,b] [--no-mlforecast]
                               [--future-cols A,B] [--past-cols A,B] [--static-cols A,B]

Without --data: ../shared/data/Walmart.csv if present, else the synthetic table.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adapters.filesystem.sales_csv import read_file
from adapters.forecasting.table import SalesTable, read_table
from adapters.forecasting.trainer import ForecastingModelTrainer
from domain.columns import ISO, ColumnSpec, PanelSpec, choose_columns
from domain.covariates import Covariates, parse_columns
from domain.training import COMBINATION, MODEL_TYPES, EvaluationProtocol, skipped_because

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "Walmart.csv"
LEVEL = 90  # the interval scored, in percent
# A forecaster: a cut's Nixtla frame (unique_id, ds, y with integer ds) and the steps -> (mean, lower, upper),
# each steps x series in the cut's series order.
Grids = tuple[np.ndarray, np.ndarray, np.ndarray]
Forecaster = Callable[[pd.DataFrame, int], Grids]
CLASSICS = ("AutoETS", "AutoARIMA", "AutoTheta")


@dataclass
class Row:
    model: str
    scores: list[tuple[float, float, float]] = field(default_factory=list)  # per origin: mape, mase, coverage
    seconds: float = 0.0
    picked: list[str] = field(default_factory=list)  # the champion's member at each origin


def scores(actual: np.ndarray, history: np.ndarray, season: int, mean: np.ndarray, lower: np.ndarray,
           upper: np.ndarray) -> tuple[float, float, float]:
    """MAPE %, MASE and interval coverage of a steps x series forecast."""
    nonzero = actual != 0
    mape = float(100 * np.mean(np.abs(actual - mean)[nonzero] / np.abs(actual[nonzero])))
    lagged = np.abs(history[season:] - history[:-season])
    scale = np.nanmean(lagged, axis=0)
    mae = np.mean(np.abs(actual - mean), axis=0)
    usable = np.isfinite(scale) & (scale > 0)
    mase = float(np.mean(mae[usable] / scale[usable]))
    coverage = float(np.mean((actual >= lower) & (actual <= upper)))
    return mape, mase, coverage


def nixtla(history: np.ndarray) -> pd.DataFrame:
    """unique_id, ds (period index), y of every series' observed periods."""
    periods, series = history.shape
    seen = np.isfinite(history.T)
    return pd.DataFrame({"unique_id": np.repeat(np.arange(series), periods)[seen.ravel()],
                         "ds": np.tile(np.arange(periods), series)[seen.ravel()], "y": history.T.ravel()[seen.ravel()]})


def _wide(found: pd.DataFrame, column: str, series: int, steps: int) -> np.ndarray:
    values = np.full((steps, series), np.nan)
    for uid, rows in found.groupby("unique_id", sort=False):
        values[:, int(uid)] = rows[column].to_numpy()[:steps]
    return values


def statsforecast_peers(season: int) -> dict[str, Forecaster]:
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    models = {"SeasonalNaive": SeasonalNaive(season_length=season), "AutoTheta": AutoTheta(season_length=season),
              "MSTL": MSTL(season_length=season)}
    if season <= 24:  # AutoETS models seasons up to 24; AutoARIMA's seasonal search is minutes past that
        models = {"AutoETS": AutoETS(season_length=season), "AutoARIMA": AutoARIMA(season_length=season), **models}

    def forecast(name: str) -> Forecaster:
        def run(frame: pd.DataFrame, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            from statsforecast import StatsForecast

            found = StatsForecast(models=[models[name]], freq=1, n_jobs=1,
                                  fallback_model=SeasonalNaive(season_length=season)).forecast(
                df=frame, h=steps, level=[LEVEL])
            series = int(frame["unique_id"].max()) + 1
            return tuple(_wide(found, f"{name}{suffix}", series, steps)  # type: ignore[return-value]
                         for suffix in ("", f"-lo-{LEVEL}", f"-hi-{LEVEL}"))
        return run

    return {name: forecast(name) for name in models}


def mlforecast_peer(season: int) -> Forecaster:
    def run(frame: pd.DataFrame, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import lightgbm
        from mlforecast import MLForecast
        from mlforecast.utils import PredictionIntervals

        model = lightgbm.LGBMRegressor(n_estimators=300, learning_rate=0.05, random_state=42, n_jobs=1, verbose=-1)
        forecaster = MLForecast(models={"lgbm": model}, freq=1, lags=list(range(1, max(season, 2) + 1)))
        forecaster.fit(frame, static_features=[],
                       prediction_intervals=PredictionIntervals(n_windows=2, h=steps))
        found = forecaster.predict(steps, level=[LEVEL])
        series = int(frame["unique_id"].max()) + 1
        return tuple(_wide(found, f"lgbm{suffix}", series, steps)  # type: ignore[return-value]
                     for suffix in ("", f"-lo-{LEVEL}", f"-hi-{LEVEL}"))
    return run


def regressors_peer(season: int, future: np.ndarray) -> Forecaster:
    """statsforecast's AutoARIMA with the future columns as regressors: `future` is periods x series x
    columns over the cut and the horizon after it."""
    def run(frame: pd.DataFrame, steps: int) -> Grids:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoARIMA, SeasonalNaive

        names = [f"x{k}" for k in range(future.shape[2])]
        series, periods = int(frame["unique_id"].max()) + 1, int(frame["ds"].max()) + 1
        with_x = frame.copy()
        for k, column in enumerate(names):
            with_x[column] = future[with_x["ds"].to_numpy(), with_x["unique_id"].to_numpy(), k]
        ahead = pd.DataFrame({"unique_id": np.repeat(np.arange(series), steps),
                              "ds": np.tile(np.arange(periods, periods + steps), series)})
        for k, column in enumerate(names):
            ahead[column] = future[ahead["ds"].to_numpy(), ahead["unique_id"].to_numpy(), k]
        found = StatsForecast(models=[AutoARIMA(season_length=season)], freq=1, n_jobs=1,
                              fallback_model=SeasonalNaive(season_length=season)).forecast(
            df=with_x, h=steps, X_df=ahead, level=[LEVEL])
        return tuple(_wide(found, f"AutoARIMA{suffix}", series, steps)  # type: ignore[return-value]
                     for suffix in ("", f"-lo-{LEVEL}", f"-hi-{LEVEL}"))
    return run


def cut(raw: pd.DataFrame, days: pd.Series, last: pd.Timestamp, name: str, columns: ColumnSpec,
        panel: PanelSpec, ahead: pd.Timestamp | None = None) -> SalesTable:
    """The table up to `last`, read as `train` reads a file; with `ahead`, also the rows up to it with
    their target emptied (rows of future values)."""
    kept = days <= (ahead if ahead is not None else last)
    part = raw[kept].reset_index(drop=True)
    target = choose_columns([str(c) for c in raw.columns], columns).target
    part[target] = part[target].where(days[kept].to_numpy() <= last)  # the rows of future values: no target
    return read_table(part, source=f"{name} up to {last.date()}", name=name, content=part.to_csv().encode(),
                      columns=columns, panel=panel)


def portfolio(table: SalesTable, members: list[str], horizon: int) -> tuple[dict[str, Grids], str, float]:
    """Train the members on the cut as `run` does: every member's forecast, the champion `run` would
    promote (the ensemble when it trained, else the lowest overall_mape) and the seconds of the whole
    training call."""
    info = table.info
    protocol = EvaluationProtocol.for_panel(info.frequency, info.series, horizon).fitted_to(info.periods)
    trainer = ForecastingModelTrainer()
    started = time.perf_counter()
    trained = {key: trainer.train(key, table, protocol, lambda message: None)
               for key in members if not skipped_because(key, info.frequency)}
    seconds = time.perf_counter() - started
    champion = (COMBINATION if COMBINATION in trained
                else min(trained, key=lambda key: trained[key].metrics["overall_mape"]))
    grids = {}
    for key, model in trained.items():
        series = list(model.servable.series)
        forecast = model.servable.forecast(series, horizon, LEVEL / 100)
        grids[key] = tuple(forecast[c].to_numpy().reshape(len(series), horizon).T
                           for c in ("prediction", "lower", "upper"))
    return grids, champion, seconds  # type: ignore[return-value]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_file() else None)
    for role in ("id", "time", "target"):
        parser.add_argument(f"--{role}-col", metavar="NAME")
    parser.add_argument("--date-format", metavar="FORMAT")
    parser.add_argument("--freq", metavar="daily|weekly|monthly|quarterly|yearly")
    parser.add_argument("--horizon", type=int, help="default: the frequency's")
    parser.add_argument("--origins", type=int, default=3, help="rolling origins (default: 3)")
    parser.add_argument("--spacing", type=int, help="periods between origins (default: half the horizon)")
    parser.add_argument("--members", default="all", help="portfolio members (default: all)")
    parser.add_argument("--no-mlforecast", action="store_true", help="leave mlforecast out")
    for kind in ("future", "past", "static"):
        parser.add_argument(f"--{kind}-cols", type=parse_columns, default=(), metavar="A,B",
                            help=f"{kind} covariates, as train takes them")
    args = parser.parse_args()
    if args.data is None:
        raise SystemExit("give --data: ../shared/data/Walmart.csv is not there")
    return args


def main() -> None:
    args = arguments()
    warnings.filterwarnings("ignore")
    logging.getLogger("statsforecast").setLevel(logging.ERROR)
    covariates = Covariates(future=args.future_cols, past=args.past_cols, static=args.static_cols)
    columns = ColumnSpec(id=args.id_col, time=args.time_col, target=args.target_col, date_format=args.date_format,
                         covariates=covariates)
    spec = PanelSpec(frequency=args.freq)
    raw, content = read_file(args.data)
    name = Path(args.data).stem.lower()
    whole = read_table(raw, source=args.data, name=name, content=content, columns=columns, panel=spec)
    choice = choose_columns([str(c) for c in raw.columns], columns)
    days = pd.to_datetime(raw[choice.time], format=None if choice.date_format == ISO else choice.date_format)
    panel, frequency = whole.panel, whole.info.frequency
    horizon = args.horizon or frequency.default_horizon
    spacing = args.spacing or max(1, horizon // 2)
    origins = [len(panel.periods) - 1 - horizon - spacing * k for k in range(args.origins - 1, -1, -1)]
    peers: dict[str, Forecaster] = {f"statsforecast {k}": f for k, f in statsforecast_peers(frequency.season).items()}
    if not args.no_mlforecast:
        peers["mlforecast LightGBM"] = mlforecast_peer(frequency.season)
    print(f"data: {args.data}; {whole.info.describe()}; horizon {horizon}; origins "
          + ", ".join(str(panel.periods[o]) for o in origins) + "; in-process calls", flush=True)
    members = list(MODEL_TYPES) if args.members == "all" else args.members.split(",")
    rows: dict[str, Row] = {}
    for origin in origins:
        ahead = pd.Timestamp(panel.periods[origin + horizon]) if covariates.future else None
        table = cut(raw, days, pd.Timestamp(panel.periods[origin]), name, columns, spec, ahead)
        if table.info.periods != origin + 1 or list(table.panel.series) != list(panel.series):
            raise SystemExit(f"the cut at {panel.periods[origin]} does not hold every series up to it")
        if covariates.future and whole.covariates is not None:
            future = whole.covariates.future[: origin + 1 + horizon, :, :len(whole.layout.future)]
            peers["statsforecast AutoARIMA with regressors"] = regressors_peer(frequency.season, future)
        one_origin(table, panel.sales[origin + 1 : origin + 1 + horizon], members, peers, rows)
    print_table(list(rows.values()), [str(panel.periods[o]) for o in origins])


def one_origin(table: SalesTable, actual: np.ndarray, members: list[str], peers: dict[str, Forecaster],
               rows: dict[str, Row]) -> None:
    """Every row's forecast from the cut's last period, scored on the actuals that followed it."""
    history, season, horizon = table.panel.sales, table.info.frequency.season, len(actual)

    def scored(model: str, grids: Grids, seconds: float) -> None:
        row = rows.setdefault(model, Row(model))
        row.scores.append(scores(actual, history, season, *grids))
        row.seconds += seconds

    grids, champion, seconds = portfolio(table, members, horizon)
    scored("ml-portfolio champion", grids[champion], seconds)
    rows["ml-portfolio champion"].picked.append(champion)
    for key, found in grids.items():
        scored(f"ml-portfolio {key}", found, 0.0)
    frame, classics = nixtla(history), []
    for model, forecaster in peers.items():
        started = time.perf_counter()
        found = forecaster(frame, horizon)
        scored(model, found, time.perf_counter() - started)
        if model.removeprefix("statsforecast ") in CLASSICS:
            classics.append(found)
    if len(classics) == len(CLASSICS):  # the mean of the forecasts and of the bounds
        scored("statsforecast mean of ETS, ARIMA, Theta", tuple(np.mean([c[k] for c in classics], axis=0)
                                                                for k in range(3)), 0.0)
    print(f"  origin {table.info.last_period}: champion {champion}", file=sys.stderr, flush=True)


def print_table(rows: list[Row], labels: list[str]) -> None:
    print(f"{'model':<40}" + "".join(f"{label:>27}" for label in labels) + f"{'mean':>27}{'seconds':>9}")
    print(f"{'':<40}" + "".join(f"{'MAPE / MASE / cover':>27}" for _ in [*labels, "mean"]))
    for row in sorted(rows, key=lambda r: np.mean([s[1] for s in r.scores])):
        cells = [*row.scores, tuple(np.mean(row.scores, axis=0))]
        print(f"{row.model:<40}" + "".join(f"{m:>12.2f} /{s:>6.3f} /{c:>5.2f}" for m, s, c in cells)
              + f"{row.seconds:>9.1f}" + (f"  ({', '.join(row.picked)})" if row.picked else ""))


if __name__ == "__main__":
    main()
