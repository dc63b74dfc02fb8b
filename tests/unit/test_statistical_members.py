"""The members that forecast each series from its own history: which series they fit."""

from __future__ import annotations

import numpy as np

from adapters.forecasting.statistical import SeasonalNaive, StatsForecastMember, mstl, theta

SEASON = 52


def _history(periods: int, series: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(periods)[:, None]
    return 100 + 10 * np.sin(2 * np.pi * t / SEASON) + 0.1 * t + rng.normal(0, 1, (periods, series))


def test_a_series_of_more_than_a_season_is_fitted():
    # Walmart's first fold starts from 78 weeks: MSTL and Theta forecast it, not the baseline.
    history = _history(78)
    baseline = SeasonalNaive(SEASON).forecast(history, 12)
    for make in (mstl, theta):
        grid = StatsForecastMember(make, SEASON).forecast(history, 12)
        assert grid.shape == (12, 3) and np.isfinite(grid).all(), make
        assert not np.allclose(grid, baseline), make


def test_a_series_of_a_season_or_less_is_left_to_the_baseline():
    history = np.vstack([np.full((40, 3), np.nan), _history(52)])  # every series starts 40 periods late
    history[:, 0] = _history(92, 1)[:, 0]  # but the first, which has 92 periods
    grid = StatsForecastMember(mstl, SEASON).forecast(history, 12)
    assert np.isfinite(grid[:, 0]).all()
    assert np.isnan(grid[:, 1:]).all()
