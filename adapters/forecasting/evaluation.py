"""Accuracy and interval metrics on the original sales scale (arrays are steps x stores)."""

from __future__ import annotations

import numpy as np


def seasonal_naive_scale(sales: np.ndarray, origin: int, season: int) -> np.ndarray:
    """Per series, the in-sample mean absolute error of the same period one season back, up to the origin."""
    history = sales[: origin + 1]
    return np.abs(history[season:] - history[:-season]).mean(axis=0)


def error_metrics(actual: np.ndarray, predicted: np.ndarray, scale: np.ndarray,
                  axis: int | None = None) -> dict[str, np.ndarray]:
    """mape, smape and wmape in percent; rmse and mae in sales; mase against `scale`.

    axis=None pools every store-week; axis=0 gives one value per store.
    """
    error = actual - predicted
    absolute = np.abs(error)
    return {
        "mape": 100 * np.mean(absolute / np.abs(actual), axis=axis),
        "rmse": np.sqrt(np.mean(error**2, axis=axis)),
        "mae": np.mean(absolute, axis=axis),
        "smape": 100 * np.mean(2 * absolute / (np.abs(actual) + np.abs(predicted)), axis=axis),
        "mase": np.mean(absolute.mean(axis=0) / scale) if axis is None else absolute.mean(axis=0) / scale,
        "wmape": 100 * np.sum(absolute, axis=axis) / np.sum(np.abs(actual), axis=axis),
    }


def interval_metrics(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     axis: int | None = None) -> dict[str, np.ndarray]:
    """coverage: share (0..1) of actuals inside the interval; interval_width: mean width in sales."""
    inside = (actual >= lower) & (actual <= upper)
    return {"coverage": np.mean(inside, axis=axis), "interval_width": np.mean(upper - lower, axis=axis)}
