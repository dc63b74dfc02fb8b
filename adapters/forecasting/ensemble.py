"""Weights of the ensemble from its members' errors on windows observed before the origin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def window_mape(sales: np.ndarray, grid: np.ndarray, origin: int, horizon: int) -> float:
    """MAPE (a fraction) of the first `horizon` steps of a steps x series grid forecast from `origin`."""
    actual = sales[origin + 1 : origin + 1 + horizon]
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.abs(actual - grid[: len(actual)]) / np.abs(actual)
    return float(np.mean(relative[np.isfinite(relative)]))  # the cells scored as error_metrics scores them


def inverse_mape_weights(sales: np.ndarray, grids: Mapping[str, Mapping[int, np.ndarray]], members: Sequence[str],
                         observed: Sequence[int], horizon: int) -> np.ndarray:
    """Weights proportional to 1 / each member's MAPE averaged over the `observed` windows; equal
    weights when there is none."""
    if not observed:
        return np.full(len(members), 1.0 / len(members))
    mape = np.array([np.mean([window_mape(sales, grids[m][o], o, horizon) for o in observed]) for m in members])
    weights = 1.0 / mape
    return weights / weights.sum()


def combine(grids: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    return np.tensordot(weights, np.stack(grids), axes=1)
