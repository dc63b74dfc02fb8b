"""Forecasts with prediction intervals, for series named by their id, and the histories a
forecast can be asked from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.errors import InvalidValueError
from domain.frequency import MAX_HORIZON

DEFAULT_HORIZON = 12  # of a weekly panel; each frequency has its own (domain.frequency)
DEFAULT_CONFIDENCE = 0.9
MAX_SERIES_ID = 200  # characters of a series id
MAX_HISTORY_ROWS = 50_000  # rows of history one request may carry (a registered version checks it too)
Day = date  # what a ForecastPoint's `date` field hides inside its class


def check_horizon(horizon: int, limit: int = MAX_HORIZON) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= limit:
        raise InvalidValueError(f"horizon must be a whole number of periods in 1..{limit}, not {horizon!r}")
    return horizon


def check_confidence(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise InvalidValueError(f"confidence_level must be strictly between 0 and 1, not {level!r}")
    return float(level)


def is_number(text: str) -> bool:
    """Whether a series id is a whole number: ASCII digits only (`²` and `٣` are text ids)."""
    return text.isascii() and text.isdigit()


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
    return sorted(ids, key=lambda text: (0, int(text), "") if is_number(text) else (1, 0, text))


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesHistory:
    """Rows of (series id, date, value): the whole history each of its series is forecast from,
    from the last date of its own rows. Whether the dates fit a version's frequency without gaps
    is the version's to check; this holds the rows and their count limit."""

    series_ids: tuple[str, ...]
    dates: tuple[date, ...]
    values: tuple[float, ...]  # NaN on a row of future covariate values
    covariates: Mapping[str, tuple[object, ...]] = field(default_factory=dict)  # column -> a value per row

    def __post_init__(self) -> None:
        if not len(self.series_ids) == len(self.dates) == len(self.values):
            raise InvalidValueError("a history has one series id, date and value per row")
        if any(len(column) != len(self.values) for column in self.covariates.values()):
            raise InvalidValueError("a history's covariate columns have a value per row")
        if not 1 <= len(self.series_ids) <= MAX_HISTORY_ROWS:
            raise InvalidValueError(f"a history has 1..{MAX_HISTORY_ROWS:,} rows, not {len(self.series_ids):,}")
        checked = {raw: series_id(raw) for raw in set(self.series_ids)}  # each id once, however many rows it has
        object.__setattr__(self, "series_ids", tuple(map(checked.__getitem__, self.series_ids)))

    @property
    def series(self) -> tuple[str, ...]:
        """Its series, in the order they first appear."""
        return tuple(dict.fromkeys(self.series_ids))

    def rows(self) -> tuple[Sequence[str], Sequence[date], Sequence[float]]:
        return self.series_ids, self.dates, self.values

    def columns(self) -> Mapping[str, Sequence[object]]:
        return self.covariates

    def select(self, series: Sequence[str]) -> SeriesHistory:
        wanted = set(series)
        kept = [i for i, s in enumerate(self.series_ids) if s in wanted]
        return SeriesHistory(series_ids=tuple(self.series_ids[i] for i in kept),
                             dates=tuple(self.dates[i] for i in kept), values=tuple(self.values[i] for i in kept),
                             covariates={name: tuple(column[i] for i in kept)
                                         for name, column in self.covariates.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastPoint:
    """The forecast for one series and one period ahead, with its interval if one was asked for."""

    series_id: str
    step: int
    date: date
    prediction: float
    lower: float | None = None
    upper: float | None = None
    origin: Day | None = None  # the last period it was forecast from
    baseline: bool = False  # the baseline answered: the series was too short for the member's features

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
