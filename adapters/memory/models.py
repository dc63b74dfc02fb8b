"""A loader of in-memory models: fakes of a registered version, kept honest by the contract tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise

from adapters.memory.registry import InMemoryModelRegistry
from application.ports import History
from domain.errors import InvalidValueError, UnknownSeriesError
from domain.forecasts import ForecastPoint, check_horizon
from domain.models import ModelVersion

HISTORY = 4  # weeks a series needs, below which its forecast is flagged as the baseline's


def _points(series: str, origin: date, level: float, horizon: int, confidence: float | None,
            baseline: bool) -> list[ForecastPoint]:
    spread = None if confidence is None else 0.1 * level
    return [ForecastPoint(series_id=series, step=h, date=origin + timedelta(weeks=h), prediction=level,
                          lower=None if spread is None else level - spread,
                          upper=None if spread is None else level + spread, origin=origin, baseline=baseline)
            for h in range(1, horizon + 1)]


def _check_weeks(series: str, weeks: list[tuple[date, float]]) -> None:
    """What a weekly (Friday) version checks of a series' history: Fridays, one week apart, values >= 0."""
    for day, value in weeks:
        if day.weekday() != 4:
            raise InvalidValueError(f"history: series {series}, {day} is not a date of this version's weekly "
                                    "(W-FRI) periods")
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise InvalidValueError(f"history: series {series}, {day}: the value {value} is not a finite number >= 0")
    for (before, _), (after, _) in pairwise(weeks):
        if after == before:
            raise InvalidValueError(f"history: series {series} has more than one row for {after}")
        if after - before > timedelta(weeks=1):
            raise InvalidValueError(f"history: series {series} has a gap between {before} and {after}")


class ConstantForecastModel:
    """Forecasts `level` for every series and week, with a +-10% interval at any confidence; from a
    weekly history, a series' last value (the baseline's answer when it has under `HISTORY` weeks)."""

    unit, frequency, default_horizon, history_periods = "week", "W-FRI", 12, HISTORY
    dataset = ""  # trained on no table of the actuals store
    covariates = ()  # it forecasts from the values alone

    def half_widths(self, confidence: float) -> list[float]:
        return [0.1] * self.max_horizon

    def __init__(self, level: float, series_ids: Sequence[str] = ("1", "2", "3"),
                 last_period: date = date(2012, 10, 26), max_horizon: int = 52) -> None:
        self.level, self.series_ids, self.last_period = level, tuple(series_ids), last_period
        self.max_horizon = max_horizon

    def _check(self, series_ids: Sequence[str]) -> None:
        unknown = [s for s in series_ids if s not in self.series_ids]
        if unknown:
            raise UnknownSeriesError(f"unknown series_id {unknown[0]}; this model knows {len(self.series_ids)} "
                                     f"series: {', '.join(self.series_ids)}")

    def history(self, series_id: str) -> tuple[tuple[date, float], ...]:
        """Eight weeks at `level`, ending at the last week."""
        self._check([series_id])
        return tuple((self.last_period - timedelta(weeks=k), self.level) for k in range(7, -1, -1))

    def forecast(self, series_ids: Sequence[str], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        self._check(series_ids)
        check_horizon(horizon, self.max_horizon)
        return tuple(point for s in series_ids for point in _points(s, self.last_period, self.level, horizon,
                                                                     confidence, baseline=False))

    def forecast_history(self, history: History, series_ids: Sequence[str] | None, horizon: int,
                         confidence: float | None) -> tuple[ForecastPoint, ...]:
        check_horizon(horizon, self.max_horizon)
        rows: dict[str, list[tuple[date, float]]] = {}
        for series, day, value in zip(*history.rows()):
            rows.setdefault(series, []).append((day, value))
        missing = [s for s in series_ids or () if s not in rows]
        if missing:
            raise InvalidValueError(f"history: no rows for series {', '.join(missing)}")
        found = []
        for series in series_ids or list(rows):
            weeks = sorted(rows[series])
            _check_weeks(series, weeks)
            found += _points(series, weeks[-1][0], weeks[-1][1], horizon, confidence, len(weeks) < HISTORY)
        return tuple(found)


class InMemoryModelLoader:
    """Loads a ConstantForecastModel whose level is the version number; counts the loads. Given a
    registry, a version that registry does not hold is unknown, as it is to the MLflow loader."""

    def __init__(self, registry: InMemoryModelRegistry | None = None) -> None:
        self.loads: list[tuple[str, int]] = []
        self._registry = registry

    def load(self, version: ModelVersion) -> ConstantForecastModel:
        if self._registry is not None:
            self._registry.resolve(version.name, str(version.version))
        self.loads.append((version.name, version.version))
        return ConstantForecastModel(float(version.version))
