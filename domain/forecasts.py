"""Forecasts with prediction intervals, for series named by their id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidValueError
from domain.frequency import MAX_HORIZON

DEFAULT_HORIZON = 12  # of a weekly panel; each frequency has its own (domain.frequency)
DEFAULT_CONFIDENCE = 0.9
MAX_SERIES_ID = 200  # characters of a series id


def check_horizon(horizon: int, limit: int = MAX_HORIZON) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= limit:
        raise InvalidValueError(f"horizon must be a whole number of periods in 1..{limit}, not {horizon!r}")
    return horizon


def check_confidence(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise InvalidValueError(f"confidence_level must be strictly between 0 and 1, not {level!r}")
    return float(level)


def series_id(value: object) -> str:
    """A series id as the portfolio keeps it: text, the id of a whole number written without a
    fraction (7, 7.0 and "7" are one series); InvalidValueError if it is empty or too long."""
    if isinstance(value, bool):
        raise InvalidValueError(f"a series id is text or a whole number, not {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text or len(text) > MAX_SERIES_ID or not text.isprintable():
        raise InvalidValueError(f"a series id is 1..{MAX_SERIES_ID} printable characters, not {value!r}")
    return text


def series_order(ids: Iterable[str]) -> list[str]:
    """Ids in the order people expect: whole numbers by value (2 before 10), then text."""
    return sorted(ids, key=lambda text: (0, int(text), "") if text.isdigit() else (1, 0, text))


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastPoint:
    """The forecast for one series and one period ahead, with its interval if one was asked for."""

    series_id: str
    step: int
    date: date
    prediction: float
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        check_horizon(self.step)
        if (self.lower is None) != (self.upper is None):
            raise InvalidValueError("an interval needs both a lower and an upper bound")
        if self.lower is not None and self.upper is not None and not self.lower <= self.prediction <= self.upper:
            raise InvalidValueError(
                f"interval [{self.lower}, {self.upper}] does not contain the prediction {self.prediction}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """A multi-step forecast of one model version for one or more series."""

    model_name: str
    model_version: int
    confidence_level: float | None
    points: tuple[ForecastPoint, ...]

    def __post_init__(self) -> None:
        if not self.points:
            raise InvalidValueError("a forecast has at least one point")
        if self.confidence_level is not None:
            check_confidence(self.confidence_level)

    @property
    def series_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.series_id for p in self.points))

    def for_series(self, series: str) -> tuple[ForecastPoint, ...]:
        return tuple(p for p in self.points if p.series_id == series)
