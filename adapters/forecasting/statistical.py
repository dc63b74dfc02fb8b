"""Members that forecast each series from its own history: the seasonal-naive baseline and the
statistical models of statsforecast (a well-kept library; nothing here re-implements them)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adapters.forecasting.covariates import CovariateGrid


@dataclass(frozen=True)
class SeasonalNaive:
    """The same period one season ago: the honest baseline every model must beat."""

    season: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def forecast(self, history: np.ndarray, steps: int, covariates: CovariateGrid | None = None) -> np.ndarray:
        """steps x series: the period a whole number of seasons before each step (one season for a
        step within the first season, two for one within the second...), NaN where the history is too short."""
        n = len(history)
        back = [n - 1 + h - self.season * -(-h // self.season) for h in range(1, steps + 1)]
        return np.stack([history[b] if b >= 0 else np.full(history.shape[1], np.nan) for b in back])


def last_values(history: np.ndarray) -> np.ndarray:
    """Each series' last observed value (NaN for a series with none yet)."""
    seen = np.isfinite(history)
    last = len(history) - 1 - np.argmax(seen[::-1], axis=0)
    return np.where(seen.any(axis=0), history[last, np.arange(history.shape[1])], np.nan)


def with_baseline(grid: np.ndarray, history: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid with every cell a member could not forecast (a series too short for its features)
    taken from the baseline: the seasonal-naive value, or the last value for a series shorter than
    a season; and which series needed it. A series with no history yet stays NaN."""
    missing = ~np.isfinite(grid)
    if not missing.any():
        return grid, np.zeros(grid.shape[1], dtype=bool)
    naive = SeasonalNaive(season).forecast(history, grid.shape[0])
    fallback = np.where(np.isfinite(naive), naive, last_values(history)[None, :])
    started = np.isfinite(history).any(axis=0)
    return np.where(missing, fallback, grid), missing.any(axis=0) & started


@dataclass(frozen=True)
class StatsForecastMember:
    """A statsforecast model fitted to the history of every series that has more than a season of it
    up to the origin, then forecast; a shorter series gets NaN (the baseline forecasts it). Between
    one season and two, MSTL and Theta fit without a seasonal part (there is not enough to estimate
    one): Walmart's folds 1 and 2 start from 78 and 91 weeks, and the ensemble is better with them.

    An `exogenous` model (AutoARIMA) takes the future covariates as regressors, statsforecast's
    `X_df`; a value not known (a forecast period nobody sent, a gap) is the series' nearest known one."""

    make: Callable[[int], Any]  # season length -> the statsforecast model
    season: int
    params: Mapping[str, Any] = field(default_factory=dict)
    jobs: int = 1
    exogenous: bool = False

    def forecast(self, history: np.ndarray, steps: int, covariates: CovariateGrid | None = None) -> np.ndarray:
        import pandas as pd
        from statsforecast import StatsForecast

        n, k = history.shape
        seen = np.isfinite(history)
        fitted = np.flatnonzero(seen.sum(axis=0) > self.season)
        grid = np.full((steps, k), np.nan)
        if not len(fitted):
            return grid
        cells = seen[:, fitted].T  # series-major, as statsforecast wants them
        frame = pd.DataFrame({"unique_id": np.repeat(fitted, n)[cells.ravel()],
                              "ds": np.tile(np.arange(n), len(fitted))[cells.ravel()],
                              "y": history[:, fitted].T.ravel()[cells.ravel()]})
        future = None
        regressors = self._regressors(covariates, n + steps, fitted)  # (n + steps) x fitted x columns
        if regressors is not None:
            names = [f"x{j}" for j in range(regressors.shape[2])]
            for j, name in enumerate(names):
                frame[name] = regressors[:n, :, j].T.ravel()[cells.ravel()]
            future = pd.DataFrame({"unique_id": np.repeat(fitted, steps), "ds": np.tile(np.arange(n, n + steps),
                                                                                        len(fitted))})
            for j, name in enumerate(names):
                future[name] = regressors[n:, :, j].T.ravel()
        try:
            grid[:, fitted] = self._forecast(StatsForecast, frame, steps, future).reshape(len(fitted), steps).T
        except Exception:  # a series the model cannot fit (too short for its parameters): fit one by one
            for series, rows in frame.groupby("unique_id", sort=False):
                ahead = None if future is None else future[future["unique_id"] == series]
                try:
                    grid[:, series] = self._forecast(StatsForecast, rows, steps, ahead)
                except Exception:  # NaN: the baseline forecasts this series, and the window says so
                    continue
        return grid

    def _regressors(self, covariates: CovariateGrid | None, periods: int, fitted: np.ndarray) -> np.ndarray | None:
        """The future covariates of the fitted series over the history and the forecast periods, each gap
        filled from the series' nearest known value; None when the model takes none or there are none."""
        if not self.exogenous or covariates is None or not covariates.future.shape[2]:
            return None
        import pandas as pd

        values = np.full((periods, len(fitted), covariates.future.shape[2]), np.nan)
        known = min(periods, len(covariates.future))
        values[:known] = covariates.future[:known][:, fitted]
        for j in range(values.shape[2]):
            values[:, :, j] = pd.DataFrame(values[:, :, j]).ffill().bfill().fillna(0.0).to_numpy()
        constant = (values.max(axis=(0, 1)) == values.min(axis=(0, 1)))  # no information; a singular regression
        return values[:, :, ~constant] if (~constant).any() else None

    def _forecast(self, engine: Any, frame: Any, steps: int, future: Any = None) -> np.ndarray:
        with warnings.catch_warnings():  # a model's numerical warnings on a flat series say nothing to the user
            warnings.simplefilter("ignore", RuntimeWarning)
            found = engine(models=[self.make(self.season)], freq=1, n_jobs=self.jobs).forecast(
                df=frame, h=steps, X_df=future)
        return found[next(c for c in found.columns if c not in ("unique_id", "ds"))].to_numpy()


def mstl(season: int) -> Any:
    """MSTL with a damped additive trend: on the Walmart table its windows were better than with the
    default AutoETS trend in four of five, the ensemble's in all five, at 0.6 of the time."""
    from statsforecast.models import MSTL, AutoETS

    return MSTL(season_length=season, trend_forecaster=AutoETS(model="AAN", damped=True))


def theta(season: int) -> Any:
    """The standard Theta method: on the Walmart table better than AutoTheta in every window, at a
    tenth of its time."""
    from statsforecast.models import Theta

    return Theta(season_length=season)


def autoets(season: int) -> Any:
    """statsforecast's AutoETS: the error, trend and season of each series chosen by AICc."""
    from statsforecast.models import AutoETS

    return AutoETS(season_length=season)


def autoarima(season: int) -> Any:
    """statsforecast's AutoARIMA: each series' (seasonal) ARIMA orders found by its stepwise search."""
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=season)


def autotheta(season: int) -> Any:
    """statsforecast's AutoTheta: the best of the standard, optimised and dynamic Theta models per series."""
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=season)
