"""A member fitted at an origin: what a registered version keeps, and what forecasts from any history.

Fit once, forecast from anywhere: a design member's fit is its estimator with the feature
pipeline's seasonality (frequency and holiday calendar); a series member's is its specification,
fitted afresh to each series of whatever history it is given (that is what a statistical model
is); the ensemble's is its fitted components and their weights. `window` forecasts every series
of a history (periods x series, NaN before a series starts, its last row the origin), fills what
the member cannot forecast from the baseline and says which series that was. Training's windows
and a registered version's answers are both made here: there is no second path for serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from adapters.forecasting.covariates import NO_COVARIATES, CovariateGrid, CovariateLayout
from adapters.forecasting.ensemble import combine
from adapters.forecasting.estimators import Estimator, NativeEstimator
from adapters.forecasting.features import origin_rows
from adapters.forecasting.seasonality import Seasonality, YearAgo
from adapters.forecasting.statistical import SeasonalNaive, StatsForecastMember, with_baseline
from domain.covariates import describe

Filled = tuple[np.ndarray, np.ndarray]  # steps x series, baseline-filled; which series the baseline forecast


@dataclass
class FittedDesign:
    """A machine-learning member (or the aligned naive) fitted on the design rows up to an origin."""

    key: str
    estimator: Estimator | None  # None: the origin left no row to learn from; the baseline forecasts
    seasonality: Seasonality
    layout: CovariateLayout = NO_COVARIATES  # the covariates its features were built from

    def forecast(self, history: np.ndarray, year_ago: YearAgo, steps: int, covariates: CovariateGrid) -> np.ndarray:
        """steps x series from the history's last period; NaN where a series has no base (too short)."""
        n = history.shape[1]
        grid = np.full(steps * n, np.nan)
        if self.estimator is None:
            return grid.reshape(steps, n)
        rows = origin_rows(history, len(history) - 1, steps, year_ago, self.seasonality,
                           covariates if self.layout else None)
        known = np.isfinite(rows.base)
        if known.any():
            grid[known] = self.estimator.predict(rows.X[known]) * rows.base[known]
        return grid.reshape(steps, n)

    def window(self, history: np.ndarray, year_ago: YearAgo, steps: int, covariates: CovariateGrid) -> Filled:
        return with_baseline(self.forecast(history, year_ago, steps, covariates), history, self.seasonality.season)

    def history_periods(self) -> int:
        """Periods a series needs for every feature: two seasons behind the level window (the
        two-years feature), and a period either side for a holiday that moved."""
        return 2 * self.seasonality.season + self.seasonality.level_periods + 2

    def natives(self) -> dict[str, NativeEstimator]:
        """Its estimator, keyed by member, when its library has a model format of its own."""
        if self.estimator is None or not self.estimator.native:
            return {}
        return {self.key: cast(NativeEstimator, self.estimator)}

    def for_serving(self) -> FittedDesign:
        """One thread per prediction: a server answers many small requests side by side."""
        if self.estimator is not None:
            self.estimator.use_threads(1)
        return self


@dataclass(frozen=True)
class FittedSeries:
    """A model of each series' own history: its specification, fitted to each history it is given."""

    key: str
    forecaster: SeasonalNaive | StatsForecastMember

    def window(self, history: np.ndarray, year_ago: YearAgo, steps: int, covariates: CovariateGrid) -> Filled:
        return with_baseline(self.forecaster.forecast(history, steps, covariates), history, self.forecaster.season)

    def history_periods(self) -> int:
        """A season for the seasonal naive; two for a statistical model to estimate its seasonal part."""
        return self.forecaster.season * (1 if isinstance(self.forecaster, SeasonalNaive) else 2)

    def natives(self) -> dict[str, NativeEstimator]:
        return {}

    def for_serving(self) -> FittedSeries:
        if isinstance(self.forecaster, StatsForecastMember):
            return FittedSeries(self.key, StatsForecastMember(self.forecaster.make, self.forecaster.season,
                                                              self.forecaster.params, jobs=1,
                                                              exogenous=self.forecaster.exogenous))
        return self


@dataclass
class FittedEnsemble:
    """The weighted mean of its components' baseline-filled forecasts."""

    key: str
    parts: dict[str, FittedDesign | FittedSeries]
    weights: Mapping[str, float] = field(default_factory=dict)

    def window(self, history: np.ndarray, year_ago: YearAgo, steps: int, covariates: CovariateGrid) -> Filled:
        windows = [self.parts[name].window(history, year_ago, steps, covariates) for name in self.parts]
        return (combine([grid for grid, _ in windows], np.array([self.weights[name] for name in self.parts])),
                np.logical_or.reduce([baseline for _, baseline in windows]))

    def history_periods(self) -> int:
        return max(part.history_periods() for part in self.parts.values())

    def natives(self) -> dict[str, NativeEstimator]:
        return {key: estimator for part in self.parts.values() for key, estimator in part.natives().items()}

    def for_serving(self) -> FittedEnsemble:
        return FittedEnsemble(self.key, {name: part.for_serving() for name, part in self.parts.items()},
                              dict(self.weights))


Fitted = FittedDesign | FittedSeries | FittedEnsemble


def used_covariates(fitted: Fitted, layout: CovariateLayout) -> CovariateLayout:
    """The covariates a fitted member forecasts from: all of them for a design member, the future ones
    for a statistical model that takes regressors (AutoARIMA), none for the others; an ensemble's
    are its parts'."""
    if not layout:
        return NO_COVARIATES
    if isinstance(fitted, FittedEnsemble):
        found = [used_covariates(part, layout) for part in fitted.parts.values()]
        return max(found, key=lambda used: len(used.feature_names()))
    if isinstance(fitted, FittedDesign):
        return layout if fitted.estimator is None or fitted.layout else NO_COVARIATES
    if isinstance(fitted.forecaster, StatsForecastMember) and fitted.forecaster.exogenous and layout.future:
        return CovariateLayout(future=layout.future, calendar=layout.calendar)
    return NO_COVARIATES


def covariates_note(fitted: Fitted, offered: CovariateLayout, used: CovariateLayout) -> str:
    """What a run says of the covariates: those its model forecasts from, and why not the others."""
    unused = [c.name for c in offered.covariates() if c.name not in {u.name for u in used.covariates()}]
    if not unused:
        return f"uses {describe(used.covariates())}"
    why = ("it takes future regressors only" if used else "it forecasts each series from its own values alone"
           if isinstance(fitted, FittedSeries) else "its members chosen at the last period do not use them")
    return (f"uses {describe(used.covariates())}; " if used else "") + f"not {', '.join(unused)}: {why}"
