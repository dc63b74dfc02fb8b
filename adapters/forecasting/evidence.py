"""What a member's forecasts show under the protocol: every window scored, every window after
the first with the interval the earlier windows give, and the overall score of all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from adapters.forecasting.members import Forecasts
from adapters.forecasting.windows import bounds, calibrate, score
from domain.forecasts import DEFAULT_CONFIDENCE
from domain.metrics import ERROR_METRICS, OVERALL_SPLIT, TEST_SPLIT
from domain.training import EvaluationProtocol

CALIBRATION_CONFIDENCE = DEFAULT_CONFIDENCE  # the interval whose coverage each run reports


@dataclass(frozen=True, slots=True)
class Origins:
    """The period indexes a member forecasts from: backtest folds, the test window, the last period."""

    folds: tuple[int, ...]
    test: int
    final: int

    @classmethod
    def of(cls, protocol: EvaluationProtocol, periods: int) -> Origins:
        return cls(protocol.fold_origins(periods), protocol.test_origin(periods), periods - 1)

    @property
    def scored(self) -> tuple[int, ...]:
        return (*self.folds, self.test)

    @property
    def all(self) -> tuple[int, ...]:
        return (*self.scored, self.final)

    @property
    def kept(self) -> tuple[int, int]:
        """The origins whose fitted member is kept: the test window's (the artifacts describe it) and
        the last period's (the registered version)."""
        return self.test, self.final

    def split(self, origin: int) -> str:
        """The metric prefix of the window: fold<k> or test."""
        return TEST_SPLIT if origin == self.test else f"fold{self.folds.index(origin) + 1}"

    def step(self, origin: int) -> str:
        """The window's name in a failure: backtest fold <k>, the test window, the final fit."""
        if origin == self.final:
            return "the final fit"
        return "the test window" if origin == self.test else f"backtest fold {self.folds.index(origin) + 1}"

    def describe(self, origin: int, periods: list[date], protocol: EvaluationProtocol) -> str:
        """The window as progress reports it."""
        if origin == self.final:
            return f"final fit on all {protocol.frequency.unit}s"
        if origin == self.test:
            return f"test window (origin {periods[origin]}, {protocol.horizon} {protocol.frequency.unit}s)"
        return f"backtest fold {self.folds.index(origin) + 1}/{len(self.folds)} (origin {periods[origin]})"


@dataclass(slots=True)
class Evidence:
    metrics: dict[str, float] = field(default_factory=dict)
    per_series: list[pd.DataFrame] = field(default_factory=list)
    test_interval: tuple[np.ndarray, np.ndarray] | None = None


def evaluate(sales: np.ndarray, series: np.ndarray, found: Forecasts, origins: Origins, horizon: int,
             season: int) -> Evidence:
    """fold<k>_* and test_* metrics, backtest_* (mean of the folds) and overall_* (mean of every
    window); coverage and interval width of every window that has earlier windows to calibrate on."""
    evidence = Evidence()
    for number, origin in enumerate(origins.scored):
        earlier = [(o, found.grids[o]) for o in origins.scored[:number]]
        interval = (
            bounds(found.grids[origin], calibrate(sales, earlier, origin), CALIBRATION_CONFIDENCE) if earlier else None
        )
        split = origins.split(origin)
        scores = score(sales, series, found.grids[origin], origin, horizon, split, season, interval)
        evidence.metrics.update({f"{split}_{k}": v for k, v in scores.pooled.items()})
        evidence.per_series.append(scores.per_series)
        if origin == origins.test:
            evidence.test_interval = interval
    for name in ERROR_METRICS:
        folds = [evidence.metrics[f"{origins.split(o)}_{name}"] for o in origins.folds]
        evidence.metrics[f"backtest_{name}"] = float(np.mean(folds))
        evidence.metrics[f"{OVERALL_SPLIT}_{name}"] = float(np.mean([*folds, evidence.metrics[f"test_{name}"]]))
    evidence.metrics.update(training_time=found.seconds[origins.test], predict_time=found.predict_seconds[origins.test])
    return evidence
