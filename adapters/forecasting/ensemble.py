"""Which members the ensemble combines at an origin, from their errors on windows observed before it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from adapters.forecasting.evaluation import error_metrics, seasonal_naive_scale

# The members combined: the three with the lowest MASE on the windows observed before the origin, in
# equal parts. A combination of a few good members is what held off-sample in the M4 competition and
# on the shared tables' rolling origins (benchmarks/peers.py): one member chosen on a few windows is
# the luckiest of a dozen, and weights over every member keep the weak ones in.
COMBINED = 3


def window_mase(sales: np.ndarray, grid: np.ndarray, origin: int, horizon: int, season: int) -> float:
    """MASE of the first `horizon` steps of a steps x series grid forecast from `origin`, as a run scores
    its windows (each series' MAE over its in-sample seasonal-naive error up to the origin, then their
    mean); infinite when no series has both."""
    actual = sales[origin + 1 : origin + 1 + horizon]
    mase = float(error_metrics(actual, grid[: len(actual)], seasonal_naive_scale(sales, origin, season))["mase"])
    return mase if np.isfinite(mase) else float("inf")


def window_scores(sales: np.ndarray, grids: Mapping[str, Mapping[int, np.ndarray]], windows: Sequence[int],
                  horizon: int, season: int) -> dict[str, dict[int, float]]:
    """Each member's MASE in each scored window, computed once for every origin the ensemble combines at."""
    return {m: {o: window_mase(sales, found[o], o, horizon, season) for o in windows} for m, found in grids.items()}


def best_members(scores: Mapping[str, Mapping[int, float]], members: Sequence[str],
                 observed: Sequence[int]) -> np.ndarray:
    """Weights: 1 / COMBINED for each of the COMBINED members with the lowest mean MASE (`scores`) over
    the `observed` windows (ties to the earlier member), 0 for the others; equal weights for every
    member when no window was observed."""
    if not observed:
        return np.full(len(members), 1.0 / len(members))
    mase = [np.mean([scores[m][o] for o in observed]) for m in members]
    chosen = np.argsort(mase, kind="stable")[: min(COMBINED, len(members))]
    weights = np.zeros(len(members))
    weights[chosen] = 1.0 / len(chosen)
    return weights


def combine(grids: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the grids; a grid of weight 0 takes no part (not even its NaN)."""
    used = [n for n, weight in enumerate(weights) if weight > 0]
    return np.tensordot(weights[used], np.stack([grids[n] for n in used]), axes=1)
