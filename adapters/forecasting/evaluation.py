"""Accuracy and interval metrics on the original sales scale (arrays are steps x series).

A cell is scored where both the actual and the forecast exist: a series that had not started
by the origin has no forecast from it, and one that starts inside a window is scored from its
first period on. MAPE is over the cells whose actual is not zero (it is undefined there).
"""

from __future__ import annotations

import warnings

import numpy as np


def seasonal_naive_scale(sales: np.ndarray, origin: int, season: int) -> np.ndarray:
    """Per series, the in-sample mean absolute error of the same period one season back, up to the
    origin (NaN for a series with less than a season and a period of history)."""
    history = sales[: origin + 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.abs(history[season:] - history[:-season]), axis=0)


def _mean(values: np.ndarray, axis: int | None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series with no scored cell: NaN
        return np.nanmean(values, axis=axis)


def error_metrics(actual: np.ndarray, predicted: np.ndarray, scale: np.ndarray,
                  axis: int | None = None) -> dict[str, np.ndarray]:
    """mape, smape and wmape in percent; rmse and mae in sales; mase against `scale`.

    axis=None pools every scored series-period; axis=0 gives one value per series.
    """
    scored = np.isfinite(actual) & np.isfinite(predicted)
    error = np.where(scored, actual - predicted, np.nan)
    absolute = np.abs(error)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(scored & (actual != 0), absolute / np.abs(actual), np.nan)
        symmetric = np.where(scored, 2 * absolute / (np.abs(actual) + np.abs(predicted)), np.nan)
        per_series_mase = _mean(absolute, 0) / scale
        weighted = 100 * np.nansum(absolute, axis=axis) / np.nansum(np.where(scored, np.abs(actual), 0), axis=axis)
    return {
        "mape": 100 * _mean(relative, axis),
        "rmse": np.sqrt(_mean(error**2, axis)),
        "mae": _mean(absolute, axis),
        "smape": 100 * _mean(symmetric, axis),
        "mase": _mean(np.where(np.isfinite(per_series_mase), per_series_mase, np.nan), None) if axis is None
        else per_series_mase,
        "wmape": weighted,
    }


def interval_metrics(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     axis: int | None = None) -> dict[str, np.ndarray]:
    """coverage: share (0..1) of actuals inside the interval; interval_width: mean width in sales."""
    scored = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
    inside = np.where(scored, (actual >= lower) & (actual <= upper), np.nan)
    return {"coverage": _mean(inside, axis), "interval_width": _mean(np.where(scored, upper - lower, np.nan), axis)}
