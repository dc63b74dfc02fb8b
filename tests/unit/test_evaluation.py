"""Every metric formula on a hand-made table, against values worked out here by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adapters.forecasting.evaluation import error_metrics, interval_metrics, seasonal_naive_scale

# Two steps (rows) x two series (columns).
ACTUAL = np.array([[100.0, 10.0], [200.0, 20.0]])
PREDICTED = np.array([[110.0, 8.0], [180.0, 20.0]])
SCALE = np.array([20.0, 4.0])  # each series' in-sample seasonal-naive MAE


def test_pooled_error_metrics():
    errors = [(100, 110), (10, 8), (200, 180), (20, 20)]
    absolute = [abs(a - p) for a, p in errors]  # 10, 2, 20, 0
    expected = {
        "mape": 100 * (10 / 100 + 2 / 10 + 20 / 200 + 0) / 4,  # 10.0
        "rmse": math.sqrt((100 + 4 + 400 + 0) / 4),
        "mae": sum(absolute) / 4,
        "smape": 100 * (2 * 10 / 210 + 2 * 2 / 18 + 2 * 20 / 380 + 0) / 4,
        "mase": ((10 + 20) / 2 / 20 + (2 + 0) / 2 / 4) / 2,  # per series MAE / scale, averaged over series
        "wmape": 100 * sum(absolute) / (100 + 10 + 200 + 20),
    }
    found = error_metrics(ACTUAL, PREDICTED, SCALE)
    assert set(found) == set(expected)
    for name, value in expected.items():
        assert float(found[name]) == pytest.approx(value, rel=1e-12), name


def test_per_series_error_metrics():
    found = error_metrics(ACTUAL, PREDICTED, SCALE, axis=0)
    np.testing.assert_allclose(found["mape"], [100 * (0.1 + 0.1) / 2, 100 * (0.2 + 0) / 2])
    np.testing.assert_allclose(found["rmse"], [math.sqrt((100 + 400) / 2), math.sqrt(4 / 2)])
    np.testing.assert_allclose(found["mae"], [15.0, 1.0])
    np.testing.assert_allclose(found["smape"], [100 * (20 / 210 + 40 / 380) / 2, 100 * (4 / 18) / 2])
    np.testing.assert_allclose(found["mase"], [15.0 / 20, 1.0 / 4])
    np.testing.assert_allclose(found["wmape"], [100 * 30 / 300, 100 * 2 / 30])


def test_interval_metrics():
    lower = np.array([[95.0, 9.0], [190.0, 21.0]])
    upper = np.array([[105.0, 12.0], [210.0, 25.0]])
    # inside: 100 in [95,105] yes; 10 in [9,12] yes; 200 in [190,210] yes; 20 in [21,25] no
    found = interval_metrics(ACTUAL, lower, upper)
    assert float(found["coverage"]) == 0.75
    assert float(found["interval_width"]) == pytest.approx((10 + 3 + 20 + 4) / 4)
    per_series = interval_metrics(ACTUAL, lower, upper, axis=0)
    np.testing.assert_allclose(per_series["coverage"], [1.0, 0.5])
    np.testing.assert_allclose(per_series["interval_width"], [15.0, 3.5])


def test_the_mase_scale_is_the_in_sample_seasonal_naive_error_up_to_the_origin():
    season = 52
    weeks = np.arange(season + 3, dtype=float)
    sales = np.column_stack([100 + weeks, 50 + 2 * weeks])  # a year later: +52 and +104
    np.testing.assert_allclose(seasonal_naive_scale(sales, origin=season + 1, season=season), [52.0, 104.0])
