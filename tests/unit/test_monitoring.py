"""Live accuracy, the drift rule and the actuals' rules, on hand-made numbers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from domain.actuals import check_extension
from domain.errors import DataError
from domain.monitoring import (
    DRIFT_MARGIN,
    SettledPoint,
    accuracy,
    arrival_week,
    breakdown,
    coverage_p_value,
    drift,
)

ORIGIN = date(2012, 5, 4)
ARRIVED = datetime(2012, 8, 6, 9, 0)
WIDTH = 0.1  # the 99% half width of every step, relative to the prediction


def point(series: str, step: int, prediction: float, actual: float, width: float = 0.05) -> SettledPoint:
    return SettledPoint(series_id=series, origin=ORIGIN, step=step, period=ORIGIN + timedelta(weeks=step),
                        prediction=prediction, lower=prediction * (1 - width), upper=prediction * (1 + width),
                        actual=actual, arrived_at=ARRIVED + timedelta(weeks=step))


def test_accuracy_formulas():
    points = [point("a", 1, 110.0, 100.0), point("a", 2, 90.0, 100.0), point("b", 1, 50.0, 0.0)]
    found = accuracy(points, {"a": 20.0, "b": 10.0})
    assert found.mape == pytest.approx(10.0)  # |10|/100 and |-10|/100; the zero actual is left out of MAPE
    assert found.bias == pytest.approx(0.0)  # +10% and -10%
    assert found.mase == pytest.approx((10 / 20 + 50 / 10) / 2)  # per series, then their mean
    assert found.coverage == pytest.approx(0.0) and found.periods == 3
    assert accuracy([], {}).mape is None and accuracy([], {}).periods == 0
    by_step = dict(breakdown(points, lambda p: p.step, {}))
    assert by_step[1].periods == 2 and by_step[2].mape == pytest.approx(10.0)
    assert arrival_week(points[0]) == date(2012, 8, 13)  # the Monday of the week its actual arrived


def _shifted_panel(shift_from: int, settled: int, series: int = 40, seed: int = 3) -> list[SettledPoint]:
    """Forecasts of 100 that miss by a few percent; series 0-4 sell 1.5x from step `shift_from` on."""
    noise = random.Random(seed)
    return [point(str(s), h, 100.0, 100.0 * (1 + noise.gauss(0, 0.03)) * (1.5 if s < 5 and h >= shift_from else 1))
            for s in range(series) for h in range(1, settled + 1)]


@pytest.mark.parametrize("settled", [7, 8, 13])
def test_a_level_shift_is_flagged_from_its_second_period_and_no_unchanged_series_is(settled):
    points = _shifted_panel(shift_from=7, settled=settled)
    live = accuracy(points, {})
    found = drift(points, [WIDTH] * 52, live, {"fold1": 3.0, "test": 4.0}, 0.9)
    expected = [] if settled < 8 else ["0", "1", "2", "3", "4"]  # one shifted period is not yet a drift
    assert list(found.flagged_series) == expected
    assert all("above 2 times the 95% interval" in found.series_evidence[s] for s in expected)


def test_misses_within_the_margin_are_not_drift():
    near = DRIFT_MARGIN * WIDTH * 0.9  # a fifth off for a fortnight, but inside twice the interval
    points = [point("a", h, 100.0, 100.0 * (1 - near)) for h in (1, 2, 3)]
    assert drift(points, [WIDTH] * 52, accuracy(points, {}), {"test": 30.0}, 0.9).flagged_series == ()


def test_the_version_drifts_when_live_errors_pass_the_worst_window_or_coverage_falls():
    points = [point(str(s), h, 100.0, 112.0) for s in range(10) for h in (1, 2, 3)]  # 12% off, outside 5%
    live = accuracy(points, {})
    found = drift(points, [WIDTH] * 52, live, {"fold1": 8.0, "test": 9.0}, 0.9)
    assert found.flagged and any("above the worst backtest window's (test 9%)" in e for e in found.evidence)
    assert any("covered 0 of 30 actuals" in e for e in found.evidence)
    calm = drift(points[:1], [WIDTH] * 52, accuracy(points[:1], {}), {"fold1": 20.0}, 0.9)
    assert not calm.flagged  # one miss of 30 at 90% is what a 90% interval does


def test_coverage_p_value_exact_and_approximate():
    assert coverage_p_value(9, 10, 0.9) == pytest.approx(1 - 0.9**10)
    assert coverage_p_value(900, 1000, 0.9) == pytest.approx(0.5, abs=0.03)
    assert coverage_p_value(800, 1000, 0.9) < 1e-10


def test_a_batch_extends_a_series_forward_without_a_gap():
    def named(n: int) -> date:
        return date(2012, 1, 6) + timedelta(weeks=n)

    check_extension("7", (0, 9), [10, 11, 5], named)  # two new periods and a correction
    check_extension("new", None, [3, 4, 5], named)
    with pytest.raises(DataError, match="series 7 would have a gap: no actual for 2012-03-16 before 2012-03-23"):
        check_extension("7", (0, 9), [11], named)
    with pytest.raises(DataError, match="series 7: 2012-01-06 is before its first actual 2012-01-13"):
        check_extension("7", (1, 9), [0], named)
    with pytest.raises(DataError, match="series new would have a gap"):
        check_extension("new", None, [3, 5], named)
