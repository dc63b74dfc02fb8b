"""How forecasts from an origin are scored against what happened, and calibrated into intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adapters.forecasting.calibration import Calibration
from adapters.forecasting.evaluation import error_metrics, interval_metrics, seasonal_naive_scale


def observed(
    sales: np.ndarray, grid: np.ndarray, origin: int, last_seen: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, actual, predicted) of the grid's cells whose period lies in the data up to `last_seen`."""
    steps = min(grid.shape[0], last_seen - origin)
    step = np.repeat(np.arange(1, steps + 1), grid.shape[1])
    return step, sales[origin + 1 : origin + 1 + steps].ravel(), grid[:steps].ravel()


def calibrate(sales: np.ndarray, windows: Sequence[tuple[int, np.ndarray]], last_seen: int) -> Calibration:
    """Interval widths from the errors of earlier windows (origin, grid) on periods up to `last_seen`."""
    return Calibration.from_windows([observed(sales, grid, origin, last_seen) for origin, grid in windows])


def bounds(grid: np.ndarray, calibration: Calibration, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval around each cell of a steps x series grid (values are never negative)."""
    half = np.array([calibration.half_width(step, confidence) for step in range(1, grid.shape[0] + 1)])[:, None]
    return np.maximum(grid * (1 - half), 0.0), grid * (1 + half)


@dataclass(frozen=True, slots=True)
class Scores:
    """A window's metrics pooled over every series-period, and per series."""

    pooled: dict[str, float]
    per_series: pd.DataFrame  # window, series_id, one column per metric


def score(sales: np.ndarray, series: np.ndarray, grid: np.ndarray, origin: int, horizon: int, label: str,
          season: int, interval: tuple[np.ndarray, np.ndarray] | None = None) -> Scores:
    """Accuracy over the first `horizon` steps; interval metrics too when an interval is given."""
    actual, predicted = sales[origin + 1 : origin + 1 + horizon], grid[:horizon]
    scale = seasonal_naive_scale(sales, origin, season)
    pooled = {k: float(v) for k, v in error_metrics(actual, predicted, scale).items()}
    per_series = {"window": label, "series_id": series, **error_metrics(actual, predicted, scale, axis=0)}
    if interval is not None:
        low, up = (b[:horizon] for b in interval)
        pooled.update({k: float(v) for k, v in interval_metrics(actual, low, up).items()})
        per_series.update(interval_metrics(actual, low, up, axis=0))
    frame = pd.DataFrame(per_series)
    return Scores(pooled=pooled, per_series=frame[frame["mae"].notna()])  # a series not started yet: no row
