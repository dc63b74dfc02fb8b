"""Forecasts from one origin (a window) and how they are scored against what happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adapters.forecasting.estimators import Estimator
from adapters.forecasting.evaluation import error_metrics, interval_metrics, seasonal_naive_scale
from adapters.forecasting.features import Design
from adapters.forecasting.pyfunc import Calibration
from adapters.forecasting.table import Panel


@dataclass(frozen=True, slots=True)
class Window:
    """One forecast from one origin: predictions for every step the data can score, step-major."""

    origin: int
    steps: np.ndarray  # step of each row
    actual: np.ndarray
    predicted: np.ndarray
    target: np.ndarray  # week index each row predicts
    store: np.ndarray  # store column of each row

    def grid(self, values: np.ndarray, horizon: int, n_stores: int) -> np.ndarray:
        """The first `horizon` steps as a steps x stores array."""
        return values[self.steps <= horizon].reshape(horizon, n_stores)

    def calibration(self, last_seen: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = self.target <= last_seen
        return self.steps[keep], self.actual[keep], self.predicted[keep]


def forecast_window(estimator: Estimator, design: Design, panel: Panel, origin: int, steps: int) -> Window:
    """The estimator's forecast from `origin` for every step up to `steps` that lies inside the data."""
    rows = design.where((design.origin == origin) & (design.target <= origin + steps))
    predicted = estimator.predict(rows.X) * rows.level
    actual = panel.sales[rows.target, rows.store]
    return Window(origin, rows.target - origin, actual, predicted, rows.target, rows.store)


def calibrate(windows: list[Window], last_seen: int) -> Calibration:
    """Interval widths from the windows' errors on weeks up to `last_seen` (all out of sample)."""
    return Calibration.from_windows([w.calibration(last_seen) for w in windows])


@dataclass(frozen=True, slots=True)
class Scores:
    """A window's metrics pooled over every store-week, and per store."""

    pooled: dict[str, float]
    per_store: pd.DataFrame  # window label, store_id, one column per metric


def score(panel: Panel, window: Window, horizon: int, label: str,
          bounds: tuple[np.ndarray, np.ndarray] | None = None) -> Scores:
    """Accuracy over the first `horizon` steps; interval metrics too when `bounds` (lower, upper) are given."""
    n_stores = panel.sales.shape[1]
    actual, predicted = window.grid(window.actual, horizon, n_stores), window.grid(window.predicted, horizon, n_stores)
    scale = seasonal_naive_scale(panel.sales, window.origin)
    pooled = {k: float(v) for k, v in error_metrics(actual, predicted, scale).items()}
    stores = {"window": label, "store_id": panel.stores, **error_metrics(actual, predicted, scale, axis=0)}
    if bounds is not None:
        low, up = (window.grid(b, horizon, n_stores) for b in bounds)
        pooled.update({k: float(v) for k, v in interval_metrics(actual, low, up).items()})
        stores.update(interval_metrics(actual, low, up, axis=0))
    return Scores(pooled=pooled, per_store=pd.DataFrame(stores))
