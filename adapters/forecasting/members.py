"""The portfolio's members and how each forecasts from an origin.

Three kinds: design members fit a model on the feature rows whose
targets lie up to the origin and predict the origin's rows (the machine-learning models and the
aligned naive); series members forecast each series from its own history (seasonal naive and
the statsforecast models); the ensemble combines the other members' forecasts. Every forecast
is a steps x series grid. A forecast from one origin is a `Window`, made by `forecast_window`:
the task a runner runs in this process or on a worker, from the panel data and plain arguments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adapters.forecasting.ensemble import combine, inverse_mape_weights
from adapters.forecasting.estimators import ESTIMATORS, Estimator
from adapters.forecasting.features import Design, Seasonality, YearAgo, origin_rows
from adapters.forecasting.statistical import SeasonalNaive, StatsForecastMember, mstl, theta, with_baseline


@dataclass(frozen=True, slots=True)
class PanelData:
    """A table in the shapes the members need; shared by every member of one training call."""

    sales: np.ndarray  # periods x series, NaN before a series starts
    seasonality: Seasonality
    year_ago: YearAgo
    design: Callable[[], tuple[Design, np.ndarray]]  # the training design and its targets, built once when needed
    budget: int  # candidate rows past which the design is a sample (features.DESIGN_ROWS unless --design-rows)

    @property
    def steps(self) -> int:
        """The steps every forecast is made for: the longest horizon of the frequency."""
        return self.seasonality.frequency.max_horizon


@dataclass(frozen=True, slots=True)
class Window:
    """A member's forecast from one origin."""

    grid: np.ndarray  # steps x series; the baseline's where the member could not forecast a series
    baseline: int  # series the baseline forecast
    seconds: float  # fit and predict
    predict_seconds: float  # the prediction's share of it
    fitted: Any = None  # the fitted estimator, when it was asked for

    @classmethod
    def of(cls, grid: np.ndarray, data: PanelData, origin: int, seconds: float, predict_seconds: float,
           fitted: Any = None) -> Window:
        """The member's grid from `origin`, its cells the member could not forecast taken from the baseline."""
        filled, baseline = with_baseline(grid, data.sales[: origin + 1], data.seasonality.season)
        return cls(filled, baseline, seconds, predict_seconds, fitted)


@dataclass(slots=True)
class Forecasts:
    """A member's forecasts from each origin, the seconds each took, and the fitted models."""

    grids: dict[int, np.ndarray] = field(default_factory=dict)  # origin -> steps x series
    seconds: dict[int, float] = field(default_factory=dict)  # origin -> fit and predict time
    predict_seconds: dict[int, float] = field(default_factory=dict)  # origin -> the prediction's share of it
    fitted: dict[int, Any] = field(default_factory=dict)  # origin -> the fitted estimator, if any
    weights: dict[int, dict[str, float]] = field(default_factory=dict)  # the ensemble's, per origin
    baseline: dict[int, int] = field(default_factory=dict)  # origin -> series the baseline forecast

    def add(self, origin: int, window: Window) -> None:
        self.grids[origin], self.baseline[origin] = window.grid, window.baseline
        self.seconds[origin], self.predict_seconds[origin] = window.seconds, window.predict_seconds
        if window.fitted is not None:
            self.fitted[origin] = window.fitted


@dataclass(frozen=True)
class DesignMember:
    key: str  # its estimator in ESTIMATORS

    def make(self, threads: int) -> Estimator:
        return ESTIMATORS[self.key](threads)

    def params(self) -> Mapping[str, Any]:
        return self.make(1).params

    def forecast(self, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
        """Fit on targets up to `origin` (the last `validation` periods stop the boosting), predict from it."""
        design, ratio = data.design()
        train = design.target <= origin - validation
        check = (design.target > origin - validation) & (design.target <= origin)
        started = time.perf_counter()
        estimator = self.make(threads)
        estimator.fit(design.X[train], ratio[train], design.X[check], ratio[check])
        predicting = time.perf_counter()
        rows = origin_rows(data.sales, origin, data.steps, data.year_ago, data.seasonality)
        grid = (estimator.predict(rows.X) * rows.base).reshape(data.steps, data.sales.shape[1])
        done = time.perf_counter()
        return Window.of(grid, data, origin, done - started, done - predicting, estimator if keep else None)


@dataclass(frozen=True)
class SeriesMember:
    key: str
    make: Callable[[int, int], SeasonalNaive | StatsForecastMember]  # (season, processes) -> the forecaster

    def params(self) -> Mapping[str, Any]:
        return {"season_length": "the season of the data"}

    def forecast(self, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
        started = time.perf_counter()
        grid = self.make(data.seasonality.season, threads).forecast(data.sales[: origin + 1], data.steps)
        seconds = time.perf_counter() - started
        return Window.of(grid, data, origin, seconds, seconds)  # one call fits and predicts


@dataclass(frozen=True)
class Ensemble:
    """A weighted mean of members' forecasts, each weight 1 / the member's MAPE over the windows
    that were fully observed at the origin: equal weights when there is none (the first fold),
    the earlier folds for a fold, every fold for the test window, every window for the final
    model. No weight ever sees the window it scores."""

    key: str
    components: tuple[str, ...]

    def params(self) -> Mapping[str, Any]:
        return {"components": ",".join(self.components), "weights": "1 / MAPE over the windows observed at the origin"}

    def combine(self, sales: np.ndarray, parts: Mapping[str, Forecasts], scored: Sequence[int], horizon: int,
                origin: int, found: Forecasts) -> None:
        started = time.perf_counter()
        observed = [o for o in scored if o + horizon <= origin]
        weights = inverse_mape_weights(sales, {m: parts[m].grids for m in self.components}, self.components,
                                       observed, horizon)
        found.grids[origin] = combine([parts[m].grids[origin] for m in self.components], weights)
        found.weights[origin] = dict(zip(self.components, map(float, weights), strict=True))
        found.baseline[origin] = max(parts[m].baseline.get(origin, 0) for m in self.components)
        combining = time.perf_counter() - started
        found.seconds[origin] = combining + sum(parts[m].seconds[origin] for m in self.components)
        found.predict_seconds[origin] = combining + sum(parts[m].predict_seconds[origin] for m in self.components)


MEMBERS: dict[str, DesignMember | SeriesMember | Ensemble] = {
    "lightgbm": DesignMember("lightgbm"),
    "xgboost": DesignMember("xgboost"),
    "catboost": DesignMember("catboost"),
    "randomforest": DesignMember("randomforest"),
    "aligned_naive": DesignMember("aligned_naive"),
    "seasonal_naive": SeriesMember("seasonal_naive", lambda season, jobs: SeasonalNaive(season)),
    "mstl": SeriesMember("mstl", lambda season, jobs: StatsForecastMember(mstl, season, jobs=jobs)),
    "theta": SeriesMember("theta", lambda season, jobs: StatsForecastMember(theta, season, jobs=jobs)),
    "ensemble": Ensemble("ensemble", ("lightgbm", "xgboost", "catboost", "randomforest", "mstl", "theta",
                                      "aligned_naive")),
}


def forecast_window(key: str, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
    """A member's forecast from one origin, with its fitted estimator if `keep`: one task of a training call."""
    member = MEMBERS[key]
    if isinstance(member, Ensemble):
        raise TypeError("the ensemble combines its members' windows; it has none of its own to forecast")
    return member.forecast(data, origin, validation, threads, keep)
