"""The ensemble's choice of members: the three lowest MASE on the windows observed before the origin."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.forecasting.ensemble import COMBINED, best_members, combine, window_mase, window_scores

SEASON = 4


def _panel() -> np.ndarray:
    periods = np.arange(40, dtype=float)
    return np.stack([100 + periods + 10 * (periods % SEASON == 0), 50 + 2 * periods], axis=1)  # periods x 2 series


def test_window_mase_scales_each_series_by_its_seasonal_naive_error():
    sales = _panel()
    origin, horizon = 30, 4
    perfect = sales[origin + 1 : origin + 1 + horizon]
    assert window_mase(sales, perfect, origin, horizon, SEASON) == 0.0
    off = perfect + np.array([4.0, 8.0])  # the in-sample seasonal-naive errors are 4+ and 8
    scale = np.nanmean(np.abs(sales[SEASON : origin + 1] - sales[: origin + 1 - SEASON]), axis=0)
    assert window_mase(sales, off, origin, horizon, SEASON) == pytest.approx(np.mean(np.array([4.0, 8.0]) / scale))


def test_the_three_best_members_on_earlier_windows_share_the_weight_equally():
    sales = _panel()
    horizon, origins = 4, (20, 24)
    errors = {"a": 9.0, "b": 1.0, "c": 3.0, "d": 2.0, "e": 5.0}
    grids = {m: {o: sales[o + 1 : o + 1 + horizon] + e for o in origins} for m, e in errors.items()}
    scores = window_scores(sales, grids, origins, horizon, SEASON)
    weights = best_members(scores, tuple(errors), origins)
    assert COMBINED == 3 and weights.tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert best_members(scores, tuple(errors), ()).tolist() == pytest.approx([0.2] * 5)


def test_a_member_left_out_takes_no_part_not_even_its_gaps():
    grids = [np.full((2, 2), 10.0), np.full((2, 2), np.nan), np.full((2, 2), 20.0)]
    assert combine(grids, np.array([0.5, 0.0, 0.5])).tolist() == [[15.0, 15.0], [15.0, 15.0]]
