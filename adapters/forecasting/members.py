"""The portfolio's members and how each is fitted at an origin and forecasts from it.

Three kinds: design members fit a model on the feature rows whose targets lie up to the origin
(the machine-learning models and the aligned naive); series members forecast each series from
its own history (seasonal naive and the statsforecast models); the ensemble combines the other
members' forecasts. Each fit is a fitted member (fitted.py) that forecasts from any history; a
window is its forecast from the history up to its origin, a steps x series grid. A forecast from
one origin is a `Window`, made by `forecast_window`: the task a runner runs in this process or
on a worker, from the panel data and plain arguments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from adapters.forecasting.covariates import CovariateGrid, CovariateLayout
from adapters.forecasting.ensemble import COMBINED, best_members, combine
from adapters.forecasting.estimators import ESTIMATORS, Estimator
from adapters.forecasting.features import Design, training_design
from adapters.forecasting.fitted import Fitted, FittedDesign, FittedEnsemble, FittedSeries
from adapters.forecasting.seasonality import Seasonality, YearAgo
from adapters.forecasting.statistical import (
    SeasonalNaive,
    StatsForecastMember,
    autoarima,
    autoets,
    autotheta,
    mstl,
    theta,
)
from adapters.forecasting.table import SalesTable
from domain.frequency import Frequency
from domain.training import skipped_because


@dataclass(frozen=True, slots=True)
class PanelData:
    """A table in the shapes the members need; shared by every member of one training call."""

    sales: np.ndarray  # periods x series, NaN before a series starts
    seasonality: Seasonality
    year_ago: YearAgo
    design: Callable[[], tuple[Design, np.ndarray]]  # the training design and its targets, built once when needed
    budget: int  # candidate rows past which the design is a sample (features.DESIGN_ROWS unless --design-rows)
    layout: CovariateLayout  # the covariates the members may use
    covariates: CovariateGrid  # their values: future ones up to the longest horizon past the last period

    @classmethod
    def of(cls, table: SalesTable, budget: int) -> PanelData:
        """The table's data, its design built when a machine-learning member first asks for it."""
        panel = table.panel
        seasonality = Seasonality(panel.frequency, table.calendar)
        year_ago = YearAgo(panel.periods[0].item(), seasonality)
        covariates = table.covariates or CovariateGrid.empty(len(panel.periods) + panel.frequency.max_horizon,
                                                             len(panel.series))
        built: list[tuple[Design, np.ndarray]] = []

        def design() -> tuple[Design, np.ndarray]:  # built once, when a machine-learning member first needs it
            if not built:
                rows = training_design(panel.sales, year_ago, seasonality, panel.frequency.max_horizon, budget,
                                       covariates=covariates if table.layout else None)
                built.append((rows, rows.ratio_target(panel.sales)))
            return built[0]

        return cls(panel.sales, seasonality, year_ago, design, budget, table.layout, covariates)

    @property
    def steps(self) -> int:
        """The steps every forecast is made for: the longest horizon of the frequency."""
        return self.seasonality.frequency.max_horizon


@dataclass(frozen=True, slots=True)
class Window:
    """A member's forecast from one origin."""

    grid: np.ndarray  # steps x series; the baseline's where the member could not forecast a series
    baseline: np.ndarray  # which series the baseline forecast
    seconds: float  # fit and predict
    predict_seconds: float  # the prediction's share of it
    fitted: Fitted | None = None  # the fitted member, when it was asked for
    unlearnt: bool = False  # the origin left the member no row to learn from: the baseline forecast it all

    @classmethod
    def of(cls, fitted: Fitted, data: PanelData, origin: int, started: float, keep: bool) -> Window:
        """The fitted member's forecast from `origin`, timed from `started` (the fit's start)."""
        predicting = time.perf_counter()
        grid, baseline = fitted.window(data.sales[: origin + 1], data.year_ago, data.steps,
                                       data.covariates.upto(origin, data.steps))
        done = time.perf_counter()
        unlearnt = isinstance(fitted, FittedDesign) and fitted.estimator is None
        return cls(grid, baseline, done - started, done - predicting, fitted if keep else None, unlearnt)


@dataclass(slots=True)
class Forecasts:
    """A member's forecasts from each origin, the seconds each took, and the fitted members."""

    grids: dict[int, np.ndarray] = field(default_factory=dict)  # origin -> steps x series
    seconds: dict[int, float] = field(default_factory=dict)  # origin -> fit and predict time
    predict_seconds: dict[int, float] = field(default_factory=dict)  # origin -> the prediction's share of it
    fitted: dict[int, Fitted] = field(default_factory=dict)  # origin -> the fitted member, where kept
    weights: dict[int, dict[str, float]] = field(default_factory=dict)  # the ensemble's, per origin
    baseline: dict[int, np.ndarray] = field(default_factory=dict)  # origin -> which series the baseline forecast
    unlearnt: set[int] = field(default_factory=set)  # origins that left the member (or a part) no row to learn from

    def add(self, origin: int, window: Window) -> None:
        self.grids[origin], self.baseline[origin] = window.grid, window.baseline
        self.seconds[origin], self.predict_seconds[origin] = window.seconds, window.predict_seconds
        if window.fitted is not None:
            self.fitted[origin] = window.fitted
        if window.unlearnt:
            self.unlearnt.add(origin)


@dataclass(frozen=True)
class DesignMember:
    key: str  # its estimator in ESTIMATORS

    def make(self, threads: int) -> Estimator:
        return ESTIMATORS[self.key](threads)

    def params(self) -> Mapping[str, Any]:
        return self.make(1).params

    def fit(self, data: PanelData, origin: int, validation: int, threads: int) -> FittedDesign:
        """Fit on the rows whose targets lie up to `origin` (the last `validation` periods stop the
        boosting); nothing is fitted when there is no such row (the baseline then forecasts)."""
        design, ratio = data.design()
        train = design.target <= origin - validation
        check = (design.target > origin - validation) & (design.target <= origin)
        if not (train.any() or check.any()):
            return FittedDesign(self.key, None, data.seasonality, data.layout)
        estimator = self.make(threads)
        estimator.fit(design.X[train], ratio[train], design.X[check], ratio[check])
        return FittedDesign(self.key, estimator, data.seasonality, data.layout)

    def forecast(self, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
        started = time.perf_counter()
        return Window.of(self.fit(data, origin, validation, threads), data, origin, started, keep)


@dataclass(frozen=True)
class SeriesMember:
    key: str
    make: Callable[[int, int], SeasonalNaive | StatsForecastMember]  # (season, processes) -> the forecaster

    def params(self) -> Mapping[str, Any]:
        return {"season_length": "the season of the data"}

    def fit(self, data: PanelData, origin: int, validation: int, threads: int) -> FittedSeries:
        """Its specification: it is fitted to each series when it forecasts (one call fits and predicts)."""
        return FittedSeries(self.key, self.make(data.seasonality.season, threads))

    def forecast(self, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
        started = time.perf_counter()
        return Window.of(self.fit(data, origin, validation, threads), data, origin, started, keep)


@dataclass(frozen=True)
class Ensemble:
    """The equal mean of the COMBINED members with the lowest MASE over the windows fully observed at
    the origin, chosen among every other member the table's frequency allows: every member in equal
    parts when no window was observed (the first fold), the earlier folds' best for a fold, every
    fold's for the test window, every window's for the final model. No choice ever sees the window
    it scores."""

    key: str
    candidates: tuple[str, ...]

    def components(self, frequency: Frequency) -> tuple[str, ...]:
        """The members it chooses from on a table of this frequency."""
        return tuple(m for m in self.candidates if not skipped_because(m, frequency))

    def params(self) -> Mapping[str, Any]:
        return {"weights": f"1/{COMBINED} to each of the {COMBINED} members with the lowest MASE over the windows "
                           "observed at the origin"}

    def combine(self, parts: Mapping[str, Forecasts], scores: Mapping[str, Mapping[int, float]],
                scored: Sequence[int], horizon: int, origin: int, found: Forecasts) -> None:
        """Its forecast from `origin`, from the members' forecasts (`parts`) and their MASE in each
        scored window (`scores`, ensemble.window_scores)."""
        started = time.perf_counter()
        names = tuple(parts)
        observed = [o for o in scored if o + horizon <= origin]
        weights = best_members(scores, names, observed)
        found.grids[origin] = combine([parts[m].grids[origin] for m in names], weights)
        found.weights[origin] = dict(zip(names, map(float, weights), strict=True))
        chosen = [m for m in names if found.weights[origin][m] > 0]
        found.baseline[origin] = np.logical_or.reduce([parts[m].baseline[origin] for m in chosen])
        if any(origin in parts[m].unlearnt for m in chosen):
            found.unlearnt.add(origin)
        if all(origin in parts[m].fitted for m in chosen):  # the chosen members' fits were kept
            members = {m: parts[m].fitted[origin] for m in chosen}
            found.fitted[origin] = FittedEnsemble(self.key, cast(dict[str, FittedDesign | FittedSeries], members),
                                                  {m: found.weights[origin][m] for m in chosen})
        combining = time.perf_counter() - started
        found.seconds[origin] = combining + sum(parts[m].seconds[origin] for m in names)
        found.predict_seconds[origin] = combining + sum(parts[m].predict_seconds[origin] for m in chosen)


MEMBERS: dict[str, DesignMember | SeriesMember | Ensemble] = {
    "lightgbm": DesignMember("lightgbm"),
    "xgboost": DesignMember("xgboost"),
    "catboost": DesignMember("catboost"),
    "randomforest": DesignMember("randomforest"),
    "aligned_naive": DesignMember("aligned_naive"),
    "seasonal_naive": SeriesMember("seasonal_naive", lambda season, jobs: SeasonalNaive(season)),
    "mstl": SeriesMember("mstl", lambda season, jobs: StatsForecastMember(mstl, season, jobs=jobs)),
    "theta": SeriesMember("theta", lambda season, jobs: StatsForecastMember(theta, season, jobs=jobs)),
    "autoets": SeriesMember("autoets", lambda season, jobs: StatsForecastMember(autoets, season, jobs=jobs)),
    "autoarima": SeriesMember("autoarima", lambda season, jobs: StatsForecastMember(autoarima, season, jobs=jobs,
                                                                                    exogenous=True)),
    "autotheta": SeriesMember("autotheta", lambda season, jobs: StatsForecastMember(autotheta, season, jobs=jobs)),
}
MEMBERS["ensemble"] = Ensemble("ensemble", tuple(MEMBERS))


def forecast_window(key: str, data: PanelData, origin: int, validation: int, threads: int, keep: bool) -> Window:
    """A member's forecast from one origin, with its fitted estimator if `keep`: one task of a training call."""
    member = MEMBERS[key]
    if isinstance(member, Ensemble):
        raise TypeError("the ensemble combines its members' windows; it has none of its own to forecast")
    return member.forecast(data, origin, validation, threads, keep)
