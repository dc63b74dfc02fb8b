"""How often a panel is observed, and what follows from it: the season, the horizons, the fold spacing.

A frequency is one of daily, weekly (on any weekday), monthly, quarterly or yearly (dated on the
first or on the last day of the month, the quarter's months falling wherever the table puts them:
a table dated 1 March, 1 June... is quarterly as much as one dated 1 January, 1 April...). It is
inferred from the dates unless the user names it. Everything the pipeline would otherwise
hard-code follows from it: the season length (the seasonal-naive lag), the default horizon, the
longest horizon a registered version answers, and the spacing of the backtest folds (a quarter of
a year, so the folds cover every season, or a horizon when that is longer).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import DataError, InvalidValueError

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """One regular frequency. `anchor` is the weekday of a weekly panel (MON..SUN), or `start` or
    `end` of the month for the kinds counted in months; `month` is where those fall in the year
    (1..12: the first month of the cycle, 1 for monthly; a quarterly table on March, June... has 3)."""

    name: str  # daily | weekly | monthly | quarterly | yearly
    unit: str  # day | week | month | quarter | year: what one period is called in messages
    season: int  # periods per season: the seasonal-naive lag and the year-ago features' lag
    per_year: int  # periods per year
    default_horizon: int
    max_horizon: int  # the steps a registered version carries, and the longest horizon asked for
    anchor: str = ""
    month: int = 1

    def __post_init__(self) -> None:
        if self.name not in KINDS:
            raise InvalidValueError(f"unknown frequency {self.name!r}; one of {', '.join(KINDS)}")
        if not 1 <= self.month <= max(self.months, 1):
            raise InvalidValueError(f"a {self.name} frequency starts its cycle in month 1..{max(self.months, 1)}, "
                                    f"not {self.month}")

    @property
    def months(self) -> int:
        """Months in one period: 1, 3 or 12 for the kinds counted in months, 0 for days and weeks."""
        return _MONTHS.get(self.name, 0)

    @property
    def code(self) -> str:
        """The short name: D, W-FRI, MS (month start), ME (month end), QS-MAR (quarters starting in March,
        June...), QE-DEC (quarters ending in March... December), YS-JAN, YE-DEC."""
        if self.name == "daily":
            return "D"
        if self.name == "weekly":
            return f"W-{self.anchor}"
        side = "S" if self.anchor == "start" else "E"
        if self.name == "monthly":
            return f"M{side}"
        # A start code names the first month of the cycle, an end code the last one of the year (as pandas does).
        month = self.month if side == "S" else self.month + 12 - self.months
        return f"{self.name[0].upper()}{side}-{MONTHS[month - 1]}"

    @property
    def quarter(self) -> int:
        """Periods in a quarter of a year (at least one): the default spacing of the backtest folds."""
        return max(1, round(self.per_year / 4))

    @property
    def period_days(self) -> int:
        """Days in one period of a kind counted in days (daily 1, weekly 7)."""
        return 7 if self.name == "weekly" else 1

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
        if self.months:
            on_day = day.day == 1 if self.anchor == "start" else day.day == _month_end(day)
            return on_day and (day.month - self.month) % self.months == 0
        return True

    def month_number(self, day: date) -> int:
        """The period number of a date of a kind counted in months (consecutive periods, consecutive numbers)."""
        return (day.year * 12 + day.month - self.month) // self.months

    def next(self, day: date, steps: int = 1) -> date:
        """The period `steps` after `day` (negative: before)."""
        if self.name == "daily":
            return day + timedelta(days=steps)
        if self.name == "weekly":
            return day + timedelta(weeks=steps)
        year, month = divmod(day.year * 12 + day.month - 1 + steps * self.months, 12)
        first = date(year, month + 1, 1)
        return first if self.anchor == "start" else first.replace(day=_month_end(first))

    def after(self, day: date, steps: int) -> tuple[date, ...]:
        """The `steps` periods after `day`."""
        return tuple(self.next(day, step) for step in range(1, steps + 1))

    def between(self, first: date, last: date) -> int:
        """How many periods `last` is after `first` (both on the grid)."""
        if self.months:
            return ((last.year - first.year) * 12 + last.month - first.month) // self.months
        return (last - first).days // self.period_days

    def describe_dates(self) -> str:
        """What every date of this frequency is, for messages: `a FRI`, `the first day of March, June...`."""
        if self.name == "daily":
            return "a day"
        if self.name == "weekly":
            return f"a {self.anchor}"
        side = "first" if self.anchor == "start" else "last"
        if self.name == "monthly":
            return f"the {side} day of a month"
        months = [MONTHS[(self.month - 1 + k) % 12].title() for k in range(0, 12, self.months)]
        return f"the {side} day of {', '.join(months)}" if len(months) > 1 else f"the {side} day of {months[0]}"


def _month_end(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


KINDS = ("daily", "weekly", "monthly", "quarterly", "yearly")
_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
_SHAPES = {  # name -> (unit, season, per_year, default_horizon, max_horizon)
    "daily": ("day", 7, 365, 14, 28),
    "weekly": ("week", 52, 52, 12, 52),
    "monthly": ("month", 12, 12, 6, 12),
    "quarterly": ("quarter", 4, 4, 8, 8),
    "yearly": ("year", 1, 1, 4, 6),
}
ALIASES = {"d": "daily", "day": "daily", "daily": "daily", "w": "weekly", "week": "weekly", "weekly": "weekly",
           "m": "monthly", "ms": "monthly", "me": "monthly", "month": "monthly", "monthly": "monthly",
           "q": "quarterly", "qs": "quarterly", "qe": "quarterly", "quarter": "quarterly", "quarterly": "quarterly",
           "y": "yearly", "ys": "yearly", "ye": "yearly", "a": "yearly", "year": "yearly", "yearly": "yearly",
           "annual": "yearly"}
MAX_HORIZON = max(shape[4] for shape in _SHAPES.values())  # the longest horizon of any frequency


def frequency(name: str, anchor: str = "", month: int = 1) -> Frequency:
    unit, season, per_year, default, longest = _SHAPES[name]
    return Frequency(name=name, unit=unit, season=season, per_year=per_year, default_horizon=default,
                     max_horizon=longest, anchor=anchor, month=month)


WEEKLY_FRIDAY = frequency("weekly", "FRI")  # the Walmart table's
CODES = "D, W-MON..W-SUN, MS, ME, QS-JAN..QS-MAR, QE-OCT..QE-DEC, YS-JAN..YS-DEC, YE-JAN..YE-DEC"


def frequency_of_code(code: str) -> Frequency:
    """The frequency a code names (as `Frequency.code` writes it)."""
    text = code.strip().upper()
    if text == "D":
        return frequency("daily")
    if text.startswith("W-") and text[2:] in WEEKDAYS:
        return frequency("weekly", text[2:])
    if text in ("MS", "ME"):
        return frequency("monthly", "start" if text == "MS" else "end")
    kind = {"Q": "quarterly", "Y": "yearly"}.get(text[:1])
    if kind and text[1:3] in ("S-", "E-") and text[3:] in MONTHS:
        months, named = _MONTHS[kind], MONTHS.index(text[3:]) + 1
        first = named if text[1] == "S" else named - 12 + months  # an end code names the cycle's last month
        return frequency(kind, "start" if text[1] == "S" else "end", (first - 1) % months + 1)
    raise InvalidValueError(f"unknown frequency code {code!r}; one of {CODES}")


def parse_frequency(text: str) -> str:
    """The frequency a user names (`--freq`): daily, weekly, monthly, quarterly or yearly, or D, W, M, Q, Y;
    its anchor comes from the data."""
    found = ALIASES.get(text.strip().lower().split("-")[0])
    if found is None:
        raise InvalidValueError(f"unknown frequency {text!r}; one of daily (D), weekly (W), monthly (M), "
                                "quarterly (Q), yearly (Y)")
    return found


def infer_frequency(dates: Iterable[date], named: str | None = None) -> Frequency:
    """The frequency of a panel's dates (every date of every series), or the one named, checked
    against them; DataError when they fit none, naming an example."""
    days = sorted(set(dates))
    if not days:
        raise DataError("the table has no dates")
    gaps = {(b - a).days for a, b in itertools.pairwise(days)}
    smallest = min(gaps) if gaps else 7
    name = named or _kind(days, smallest)
    if not name:
        raise DataError(f"cannot tell the frequency: dates are {smallest} days apart (e.g. {days[0]} and "
                        f"{days[0] + timedelta(days=smallest)}); name it with --freq "
                        "daily|weekly|monthly|quarterly|yearly")
    first = days[0]
    if name == "weekly":
        found = frequency("weekly", WEEKDAYS[first.weekday()])
    elif name in _MONTHS:
        found = frequency(name, "start" if first.day == 1 else "end", (first.month - 1) % _MONTHS[name] + 1)
    else:
        found = frequency("daily")
    odd = next((d for d in days if not found.fits(d)), None)
    if odd is not None:
        raise DataError(f"{odd} does not fit a {found.name} panel: every date must fall on "
                        f"{found.describe_dates()} like {first}")
    return found


def _kind(days: list[date], smallest: int) -> str:
    """The kind the dates are spaced by ('' when none): days, weeks, or months counted from month to month."""
    if smallest == 1:
        return "daily"
    starts, ends = all(d.day == 1 for d in days), all(d.day == _month_end(d) for d in days)
    if smallest >= 28 and (starts or ends):
        months = min(((b.year - a.year) * 12 + b.month - a.month for a, b in itertools.pairwise(days)), default=1)
        return {1: "monthly", 3: "quarterly", 12: "yearly"}.get(months, "")
    return "weekly" if smallest % 7 == 0 else ""
