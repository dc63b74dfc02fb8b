"""Forecasts with prediction intervals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidValueError

MAX_HORIZON = 52
DEFAULT_HORIZON = 12
DEFAULT_CONFIDENCE = 0.9
MAX_STORE_ID = 1_000_000  # store ids are 1..this: a table with others is refused at training, not at serving


def check_horizon(horizon: int) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise InvalidValueError(f"horizon must be a whole number of weeks in 1..{MAX_HORIZON}, not {horizon!r}")
    return horizon


def check_confidence(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise InvalidValueError(f"confidence_level must be strictly between 0 and 1, not {level!r}")
    return float(level)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastPoint:
    """The forecast for one store and one week ahead, with its interval if one was asked for."""

    store_id: int
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
    """A multi-step forecast of one model version for one or more stores."""

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
    def store_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(p.store_id for p in self.points))

    def for_store(self, store_id: int) -> tuple[ForecastPoint, ...]:
        return tuple(p for p in self.points if p.store_id == store_id)
