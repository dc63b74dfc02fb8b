"""Which day a year ago is "the same day", for year-over-year comparisons.

Two kinds of holidays shape retail sales: weekday-anchored ones (Thanksgiving, the fourth
Thursday of November) fall on the same weekday 52 weeks back in most years but not all
(Thanksgiving 2013 is 53 weeks after Thanksgiving 2012); fixed-date ones (Christmas) fall one
weekday earlier each year, so the week holding the last shopping days before Christmas moves.
An `Event` maps a day near its holiday to the same offset from the previous year's holiday;
every other day maps to the same weekday one season back (the plain seasonal lag).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import christmas, thanksgiving


@dataclass(frozen=True, slots=True)
class Event:
    """A yearly holiday: anchor(year) is its day; the days from `before` days ahead of it to
    `after` days past it are compared with the same days around last year's anchor."""

    name: str
    anchor: Callable[[int], date]
    before: int
    after: int

    def year_ago(self, day: date) -> date | None:
        """The comparable day a year before `day`, or None when `day` is outside the window."""
        for year in (day.year - 1, day.year, day.year + 1):
            offset = (day - self.anchor(year)).days
            if -self.before <= offset <= self.after:
                return self.anchor(year - 1) + timedelta(days=offset)
        return None


@dataclass(frozen=True, slots=True)
class YearAgoCalendar:
    """The events that move between years; every other day is one season back."""

    name: str
    events: tuple[Event, ...] = ()

    def year_ago_day(self, day: date, season_days: int) -> date:
        for event in self.events:
            mapped = event.year_ago(day)
            if mapped is not None:
                return mapped
        return day - timedelta(days=season_days)


THANKSGIVING = Event("Thanksgiving", thanksgiving, before=3, after=3)
CHRISTMAS = Event("Christmas", christmas, before=14, after=6)

# The Walmart calendar: Thanksgiving and the Christmas weeks are aligned on their holidays; the
# Super Bowl and Labor Day keep the plain 52-week lag, which holds them aligned in these years.
WALMART = YearAgoCalendar("walmart", (THANKSGIVING, CHRISTMAS))
PLAIN = YearAgoCalendar("none")
