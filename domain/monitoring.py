"""How a registered version does now: its forecasts scored against the actuals that settled them,
beside how it did in its backtest, and the rule that says it has drifted.

Live accuracy is over the settled periods of the forecasts a version made from its training
origin (logged when it was registered): `mape` and `bias` in percent over the periods whose actual
is not zero (bias is the mean of (prediction - actual) / actual: positive when it forecasts too
much), `mase` against each series' in-sample seasonal-naive error up to the origin (per series,
then their mean, as training scores it), `coverage` the share of actuals inside the logged
interval, `periods` the settled series-periods.

The drift rule:
- a series has drifted when its last DRIFT_RUN settled periods all miss on the same side by more
  than DRIFT_MARGIN times the version's DRIFT_CONFIDENCE half width (the relative error its backtest
  exceeded at that step one time in twenty: every window calibrates it, so its 99th percentile is the
  misses of the holiday weeks, against which a level shift of half the sales does not stand out;
  at the 95th it does): a level shift of
  half the sales is caught on its second period, while a bad stretch that a forecast revision
  explains (a store selling a fifth less than forecast for a fortnight) is left to the accuracy
  figures, and a calibrated series misses that far on one side twice running next to never;
- the version has drifted when its live MAPE is above the worst MAPE of its backtest windows, or
  when its interval covers fewer actuals than its confidence with p < COVERAGE_ALPHA (one-sided
  binomial test).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from domain.errors import InvalidValueError
from domain.forecasts import series_order

DRIFT_CONFIDENCE = 0.95
DRIFT_MARGIN = 2.0
DRIFT_RUN = 2
COVERAGE_ALPHA = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class SettledPoint:
    """A logged forecast of one series and period, and the actual that settled it (the latest value)."""

    series_id: str
    origin: date
    step: int
    period: date
    prediction: float
    lower: float | None
    upper: float | None
    actual: float
    arrived_at: datetime  # when that actual arrived

    def __post_init__(self) -> None:
        if self.step < 1:
            raise InvalidValueError(f"a forecast step is >= 1, not {self.step}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Accuracy:
    mape: float | None
    mase: float | None
    bias: float | None
    coverage: float | None
    periods: int


def accuracy(points: Sequence[SettledPoint], scales: Mapping[str, float]) -> Accuracy:
    """The points' accuracy (see the module's docstring); None where nothing could be scored."""
    relative = [(p.prediction - p.actual) / p.actual for p in points if p.actual != 0]
    errors: dict[str, list[float]] = {}
    for p in points:
        errors.setdefault(p.series_id, []).append(abs(p.actual - p.prediction))
    scaled = [sum(found) / len(found) / scales[s] for s, found in errors.items()
              if scales.get(s) is not None and scales[s] > 0]
    bounded = [p for p in points if p.lower is not None and p.upper is not None]
    return Accuracy(
        mape=100 * sum(map(abs, relative)) / len(relative) if relative else None,
        mase=sum(scaled) / len(scaled) if scaled else None,
        bias=100 * sum(relative) / len(relative) if relative else None,
        coverage=sum(p.lower <= p.actual <= p.upper for p in bounded) / len(bounded)  # type: ignore[operator]
        if bounded else None,
        periods=len(points),
    )


def breakdown(points: Iterable[SettledPoint], key: Callable[[SettledPoint], Hashable],
              scales: Mapping[str, float]) -> list[tuple[Hashable, Accuracy]]:
    """The accuracy of each group of points, by `key` (series, step, week of arrival...), in key order."""
    groups: dict[Hashable, list[SettledPoint]] = {}
    for point in points:
        groups.setdefault(key(point), []).append(point)
    return [(name, accuracy(found, scales)) for name, found in sorted(groups.items(), key=lambda kv: str(kv[0]))]


def arrival_week(point: SettledPoint) -> date:
    """The Monday of the week its actual arrived."""
    day = point.arrived_at.date()
    return date.fromordinal(day.toordinal() - day.weekday())


@dataclass(frozen=True, slots=True, kw_only=True)
class Drift:
    flagged: bool  # the version as a whole
    flagged_series: tuple[str, ...]
    evidence: tuple[str, ...]  # what flagged it (or that nothing did), in words
    series_evidence: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "series_evidence", MappingProxyType(dict(self.series_evidence)))


def _outside(point: SettledPoint, widths: Sequence[float]) -> int:
    """+1 above DRIFT_MARGIN times the interval of `widths` (relative half widths per step), -1 below, 0 inside."""
    width = DRIFT_MARGIN * widths[min(point.step, len(widths)) - 1] * point.prediction
    if point.actual > point.prediction + width:
        return 1
    return -1 if point.actual < point.prediction - width else 0


def drifted_series(points: Iterable[SettledPoint], widths: Sequence[float]) -> dict[str, str]:
    """Each series whose last DRIFT_RUN settled periods fall outside the interval on one side, with why."""
    by_series: dict[str, list[SettledPoint]] = {}
    for point in points:
        by_series.setdefault(point.series_id, []).append(point)
    found = {}
    for series, settled in by_series.items():
        last = sorted(settled, key=lambda p: p.period)[-DRIFT_RUN:]
        sides = {_outside(p, widths) for p in last}
        if len(last) == DRIFT_RUN and len(sides) == 1 and 0 not in sides:
            side = "above" if sides == {1} else "below"
            shown = ", ".join(f"{p.period} actual {p.actual:,.6g} against {p.prediction:,.6g}" for p in last)
            found[series] = (f"its last {DRIFT_RUN} settled periods were {side} {DRIFT_MARGIN:g} times the "
                             f"{round(100 * DRIFT_CONFIDENCE)}% interval: {shown}")
    return found


def coverage_p_value(inside: int, total: int, confidence: float) -> float:
    """P(at most `inside` of `total` actuals inside an interval that holds `confidence` of them)."""
    if total <= 200:  # exact
        return min(1.0, sum(math.comb(total, k) * confidence**k * (1 - confidence) ** (total - k)
                            for k in range(inside + 1)))
    mean, sd = total * confidence, math.sqrt(total * confidence * (1 - confidence))
    return 0.5 * math.erfc(-((inside + 0.5 - mean) / sd) / math.sqrt(2))


def drift(points: Sequence[SettledPoint], widths: Sequence[float], live: Accuracy,
          backtest_windows: Mapping[str, float], confidence: float) -> Drift:
    """The drift rule of the module's docstring. `widths` are the version's relative half widths per step
    at DRIFT_CONFIDENCE, `backtest_windows` its MAPE per backtest window, `confidence` the level of
    the logged intervals."""
    series = drifted_series(points, widths) if widths else {}
    evidence = []
    worst = max(backtest_windows.items(), key=lambda kv: kv[1]) if backtest_windows else None
    if live.mape is not None and worst is not None and live.mape > worst[1]:
        evidence.append(f"live MAPE {live.mape:.4g}% over {live.periods:,} settled periods is above the worst "
                        f"backtest window's ({worst[0]} {worst[1]:.4g}%)")
    bounded = [p for p in points if p.lower is not None and p.upper is not None]
    inside = sum(p.lower <= p.actual <= p.upper for p in bounded)  # type: ignore[operator]
    if bounded:
        p_value = coverage_p_value(inside, len(bounded), confidence)
        if p_value < COVERAGE_ALPHA:
            evidence.append(f"the {round(100 * confidence)}% interval covered {inside:,} of {len(bounded):,} "
                            f"actuals ({inside / len(bounded):.0%}; p = {p_value:.2g} if it held)")
    flagged = bool(evidence)
    if not flagged:
        evidence.append("live errors within the backtest's and the interval's coverage as expected"
                        if points else "no settled forecast yet")
    if series:
        evidence.append(f"{len(series):,} series drifted: {', '.join(series_order(series)[:10])}"
                        + (" ..." if len(series) > 10 else ""))
    return Drift(flagged=flagged, flagged_series=tuple(series_order(series)), evidence=tuple(evidence),
                 series_evidence=series)
