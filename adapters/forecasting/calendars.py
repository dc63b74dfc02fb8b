"""Which day a year ago is "the same day", for year-over-year comparisons.

Two kinds of holidays shape retail sales: weekday-anchored ones (Thanksgiving, the fourth
Thursday of November) fall on the same weekday 52 weeks back in most years but not all
(Thanksgiving 2013 is 53 weeks after Thanksgiving 2012); fixed-date ones (Christmas) fall one
weekday earlier each year, so the week holding the last shopping days before Christmas moves.
An `Event` maps a day near its holiday to the same offset from the previous year's holiday;
every other day is compared with the same period one season back (the plain seasonal lag).

Calendars: `walmart` (Thanksgiving and the Christmas weeks, the retail calendar of the Walmart
table), `none`, or a country's public holidays from the `holidays` package (`US`, `DE`, ...),
each of them an event of a few days either side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import christmas, thanksgiving
from domain.calendar import holidays as retail_holidays
from domain.errors import InvalidValueError

COUNTRY_DAYS = 3  # days either side of a country holiday that are compared with last year's


@dataclass(frozen=True, slots=True)
class Event:
    """A yearly holiday: anchor(year) is its day (None in a year without it); the days from
    `before` days ahead of it to `after` days past it are compared with the same days around last
    year's anchor."""

    name: str
    anchor: Callable[[int], date | None]
    before: int
    after: int

    def year_ago(self, day: date) -> date | None:
        """The comparable day a year before `day`, or None when `day` is outside the window."""
        for year in (day.year - 1, day.year, day.year + 1):
            this, last = self.anchor(year), self.anchor(year - 1)
            if this is None or last is None:
                continue
            offset = (day - this).days
            if -self.before <= offset <= self.after:
                return last + timedelta(days=offset)
        return None


@dataclass(frozen=True, slots=True)
class YearAgoCalendar:
    """The events that move between years; every other day keeps the plain seasonal lag."""

    name: str
    events: tuple[Event, ...] = ()

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is one of its holidays: the four retail holidays of Walmart's Holiday_Flag for
        the Walmart calendar, the country's public holidays for a country's."""
        if self.name == "walmart":
            return day in retail_holidays(day.year)
        return any(event.anchor(day.year) == day for event in self.events)

    def event_day(self, day: date) -> date | None:
        """The day a year ago that an event compares `day` with, or None (the plain lag)."""
        for event in self.events:
            mapped = event.year_ago(day)
            if mapped is not None:
                return mapped
        return None


THANKSGIVING = Event("Thanksgiving", thanksgiving, before=3, after=3)
CHRISTMAS = Event("Christmas", christmas, before=14, after=6)

# The Walmart calendar: Thanksgiving and the Christmas weeks are aligned on their holidays; the
# Super Bowl and Labor Day keep the plain 52-week lag, which holds them aligned in these years.
WALMART = YearAgoCalendar("walmart", (THANKSGIVING, CHRISTMAS))
PLAIN = YearAgoCalendar("none")


def _dated(days: Mapping[int, date]) -> Callable[[int], date | None]:
    return days.get


def country_calendar(code: str, years: range) -> YearAgoCalendar:
    """The public holidays of a country (python-holidays), each an event; InvalidValueError for an
    unknown code."""
    import holidays

    try:
        found = holidays.country_holidays(code, years=range(years.start - 1, years.stop + 1), observed=False)
    except NotImplementedError:
        raise InvalidValueError(
            f"unknown holiday calendar {code!r}: use walmart, none or a country code such as US, GB or DE "
            f"(the `holidays` package knows {len(holidays.list_supported_countries())} countries)"
        ) from None
    by_name: dict[str, dict[int, date]] = {}
    for day, names in sorted(found.items()):
        for name in str(names).split("; "):
            by_name.setdefault(name, {}).setdefault(day.year, day)  # a holiday of several days: its first
    events = tuple(Event(name, _dated(days), COUNTRY_DAYS, COUNTRY_DAYS) for name, days in by_name.items())
    return YearAgoCalendar(code.upper(), events)


def holiday_calendar(name: str, years: range) -> YearAgoCalendar:
    """The calendar `--holidays` names: walmart, none, or a country code."""
    key = name.strip()
    if key.lower() == "walmart":
        return WALMART
    if key.lower() == "none":
        return PLAIN
    return country_calendar(key, years)
