"""How often a panel is observed, and what follows from it: the season, the horizons, the fold spacing.

A frequency is one of daily, weekly (on any weekday) or monthly (dated on the first or on the
last day of each month). It is inferred from the dates unless the user names it. Everything the
pipeline would otherwise hard-code follows from it: the season length (the seasonal-naive lag),
the default horizon, the longest horizon a registered version answers, and the spacing of the
backtest folds (a quarter of a year, so the folds cover every season).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import DataError, InvalidValueError

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """One regular frequency. `anchor` is the weekday of a weekly panel (MON..SUN) or `start` or
    `end` of a monthly one; a daily panel has none."""

    name: str  # daily | weekly | monthly
    unit: str  # day | week | month: what one period is called in messages
    season: int  # periods per season: the seasonal-naive lag and the year-ago features' lag
    per_year: int  # periods per year
    default_horizon: int
    max_horizon: int  # the steps a registered version carries, and the longest horizon asked for
    anchor: str = ""

    def __post_init__(self) -> None:
        if self.name not in KINDS:
            raise InvalidValueError(f"unknown frequency {self.name!r}; one of {', '.join(KINDS)}")

    @property
    def code(self) -> str:
        """The short name: D, W-FRI, MS (month start), ME (month end)."""
        if self.name == "daily":
            return "D"
        if self.name == "weekly":
            return f"W-{self.anchor}"
        return "MS" if self.anchor == "start" else "ME"

    @property
    def quarter(self) -> int:
        """Periods in a quarter of a year: the default spacing of the backtest folds."""
        return max(1, round(self.per_year / 4))

    @property
    def period_days(self) -> int:
        """Days in one period, for the day-by-day calendar alignment (a month counts as 30)."""
        return {"daily": 1, "weekly": 7, "monthly": 30}[self.name]

    def check_horizon(self, horizon: int) -> int:
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= self.max_horizon:
            raise InvalidValueError(
                f"horizon must be a whole number of {self.unit}s in 1..{self.max_horizon} for a {self.name} "
                f"panel, not {horizon!r}"
            )
        return horizon

    def fits(self, day: date) -> bool:
        """Whether `day` is a date this frequency's periods are labelled with."""
        if self.name == "weekly":
            return WEEKDAYS[day.weekday()] == self.anchor
        if self.name == "monthly":
            return day.day == 1 if self.anchor == "start" else day.day == _month_end(day)
        return True

    def next(self, day: date, steps: int = 1) -> date:
        """The period `steps` after `day` (negative: before)."""
        if self.name == "daily":
            return day + timedelta(days=steps)
        if self.name == "weekly":
            return day + timedelta(weeks=steps)
        months = day.year * 12 + day.month - 1 + steps
        year, month = divmod(months, 12)
        first = date(year, month + 1, 1)
        return first if self.anchor == "start" else first.replace(day=_month_end(first))

    def after(self, day: date, steps: int) -> tuple[date, ...]:
        """The `steps` periods after `day`."""
        return tuple(self.next(day, step) for step in range(1, steps + 1))

    def between(self, first: date, last: date) -> int:
        """How many periods `last` is after `first` (both on the grid)."""
        if self.name == "monthly":
            return (last.year - first.year) * 12 + last.month - first.month
        return (last - first).days // (7 if self.name == "weekly" else 1)


def _month_end(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


KINDS = ("daily", "weekly", "monthly")
_SHAPES = {  # name -> (unit, season, per_year, default_horizon, max_horizon)
    "daily": ("day", 7, 365, 14, 28),
    "weekly": ("week", 52, 52, 12, 52),
    "monthly": ("month", 12, 12, 6, 12),
}
ALIASES = {"d": "daily", "day": "daily", "daily": "daily", "w": "weekly", "week": "weekly", "weekly": "weekly",
           "m": "monthly", "ms": "monthly", "me": "monthly", "month": "monthly", "monthly": "monthly"}
MAX_HORIZON = max(shape[4] for shape in _SHAPES.values())  # the longest horizon of any frequency


def frequency(name: str, anchor: str = "") -> Frequency:
    unit, season, per_year, default, longest = _SHAPES[name]
    return Frequency(name=name, unit=unit, season=season, per_year=per_year, default_horizon=default,
                     max_horizon=longest, anchor=anchor)


WEEKLY_FRIDAY = frequency("weekly", "FRI")  # the Walmart table's


def frequency_of_code(code: str) -> Frequency:
    """The frequency a code names: D, W-MON..W-SUN, MS (month start) or ME (month end)."""
    text = code.strip().upper()
    if text == "D":
        return frequency("daily")
    if text.startswith("W-") and text[2:] in WEEKDAYS:
        return frequency("weekly", text[2:])
    if text in ("MS", "ME"):
        return frequency("monthly", "start" if text == "MS" else "end")
    raise InvalidValueError(f"unknown frequency code {code!r}; one of D, W-MON..W-SUN, MS, ME")


def parse_frequency(text: str) -> str:
    """The frequency a user names (`--freq`): daily, weekly or monthly, or D, W, M; its anchor comes from the data."""
    found = ALIASES.get(text.strip().lower().split("-")[0])
    if found is None:
        raise InvalidValueError(f"unknown frequency {text!r}; one of daily (D), weekly (W), monthly (M)")
    return found


def infer_frequency(dates: Iterable[date], named: str | None = None) -> Frequency:
    """The frequency of a panel's dates (every date of every series), or the one named, checked
    against them; DataError when they fit none, naming an example."""
    days = sorted(set(dates))
    if not days:
        raise DataError("the table has no dates")
    gaps = {(b - a).days for a, b in itertools.pairwise(days)}
    smallest = min(gaps) if gaps else 7
    monthly = smallest >= 28 and (all(d.day == 1 for d in days) or all(d.day == _month_end(d) for d in days))
    name = named or ("daily" if smallest == 1 else "monthly" if monthly else "weekly" if smallest % 7 == 0 else "")
    if not name:
        raise DataError(f"cannot tell the frequency: dates are {smallest} days apart (e.g. {days[0]} and "
                        f"{days[0] + timedelta(days=smallest)}); name it with --freq daily|weekly|monthly")
    if name == "weekly":
        found = frequency("weekly", WEEKDAYS[days[0].weekday()])
    elif name == "monthly":
        found = frequency("monthly", "start" if days[0].day == 1 else "end")
    else:
        found = frequency("daily")
    odd = next((d for d in days if not found.fits(d)), None)
    if odd is not None:
        rule = {"weekly": f"fall on a {found.anchor} like {days[0]}",
                "monthly": "fall on the first day of a month" if found.anchor == "start"
                else "fall on the last day of a month"}[found.name]
        raise DataError(f"{odd} does not fit a {found.name} panel: every date must {rule}")
    return found
