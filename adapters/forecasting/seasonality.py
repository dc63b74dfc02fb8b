"""A panel's seasonality and its calendar-aligned year-ago values, which the features are built on.

`year_ago(t)` is the series' own value one season before t, aligned on the holiday calendar:
each day of period t is mapped to its comparable day a year ago and the periods holding those
days are mixed by how many days each holds (for the week before Christmas 2011 that is six
sevenths of the week 52 weeks back and one seventh of the week 53 back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from adapters.forecasting.calendars import WALMART, YearAgoCalendar
from domain.frequency import Frequency

KEPT_PANELS = 64  # first periods whose year-ago lags a Seasonality keeps


@dataclass(frozen=True, slots=True)
class Seasonality:
    frequency: Frequency  # its season is the periods per season (weekly 52, daily 7, monthly 12)
    calendar: YearAgoCalendar = WALMART
    # The year-ago lags of a period depend only on its dates, so every panel of this seasonality (a
    # training table, each history a registered version is sent) shares them: period label -> lags.
    lags: dict[date, dict[int, float]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    panels: dict[date, YearAgo] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def year_ago(self, first_period: date) -> YearAgo:
        """The year-ago values of a panel that starts on `first_period`, kept for the next panel that
        does (a served version is sent histories of the same span again and again); a few are kept."""
        found = self.panels.get(first_period)
        if found is None:
            if len(self.panels) >= KEPT_PANELS:
                self.panels.clear()  # one atomic step: requests on other threads may be reading it
            found = self.panels[first_period] = YearAgo(first_period, self)
        return found

    @property
    def season(self) -> int:
        return self.frequency.season

    @property
    def level_periods(self) -> int:
        """The window of the level and growth at an origin: a quarter of a season, at least a week of days."""
        return max(1, round(self.season / 4), min(self.season, 7) if self.frequency.name == "daily" else 1)

    @property
    def shown_history(self) -> int:
        """Periods of history drawn behind a registered version's forecast: a season and a quarter of
        one (65 weeks, 15 months), and at least a quarter of a year (91 days)."""
        return max(self.season + self.level_periods, self.frequency.quarter)


class YearAgo:
    """The calendar-aligned year-ago value of every period of one panel. Period t is labelled with
    the last day it covers (a week's label is its last day, a month's every day of the month)."""

    def __init__(self, first_period: date, seasonality: Seasonality) -> None:
        self._first, self._seasonality = first_period, seasonality
        self._weights: dict[int, dict[int, float]] = {}  # by period index, of this panel

    def _index(self, day: date) -> int:
        """The index of the period that holds `day` (negative before the first period)."""
        frequency = self._seasonality.frequency
        if frequency.months:  # a start-dated period holds the months from its label on, an end-dated one up to it
            months = day.year * 12 + day.month - frequency.month
            number = months // frequency.months if frequency.anchor == "start" else -(-months // frequency.months)
            return number - frequency.month_number(self._first)
        return -((self._first - day).days // frequency.period_days)  # ceil of the periods from the first

    def _days(self, t: int) -> list[date]:
        frequency = self._seasonality.frequency
        label = frequency.next(self._first, t)
        if frequency.months:  # every day of the months the period covers
            last = label if frequency.anchor == "end" else frequency.next(label, 1) - timedelta(days=1)
            first = (frequency.next(last, -1) + timedelta(days=1)) if frequency.anchor == "end" else label
            return [first + timedelta(days=k) for k in range((last - first).days + 1)]
        return [label - timedelta(days=back) for back in range(frequency.period_days)]

    def holiday_flags(self, periods: int) -> np.ndarray:
        """1.0 for each of the first `periods` periods that holds a holiday of the calendar, else 0.0."""
        calendar = self._seasonality.calendar
        return np.array([float(any(calendar.is_holiday(day) for day in self._days(t))) for t in range(periods)])

    def weights(self, t: int) -> dict[int, float]:
        """{lag: share of days} of period t's year-ago value: the plain seasonal lag, except for the
        days an event of the calendar compares with its day a year ago."""
        if t not in self._weights:
            label = self._seasonality.frequency.next(self._first, t)
            shared = self._seasonality.lags
            if label not in shared:  # the lags are differences of period indexes: the same in any panel
                season, calendar = self._seasonality.season, self._seasonality.calendar
                days = self._days(t)
                found: dict[int, float] = {}
                for day in days:
                    mapped = calendar.event_day(day) if calendar.events else None
                    lag = season if mapped is None else t - self._index(mapped)
                    found[lag] = found.get(lag, 0.0) + 1.0 / len(days)
                shared[label] = found
            self._weights[t] = shared[label]
        return self._weights[t]

    def _sources(self, t: int, origin: int) -> list[tuple[int, float]]:
        """(period, share) of period t's aligned year-ago value seen from `origin`; none when it is not
        known then. An aligned period after the origin (a holiday that moved earlier, or a step more than
        a season ahead) or before the data falls back to the plain lag: the same period as many seasons
        back as it takes to reach the origin."""
        weights = self.weights(t)
        backs = [t - lag for lag in weights]
        if min(backs) < 0 or max(backs) > origin:
            season = self._seasonality.season
            plain = t - season * max(1, -(-(t - origin) // season))
            return [(plain, 1.0)] if 0 <= plain <= origin else []
        return list(zip(backs, weights.values(), strict=True))

    def _two_year_sources(self, t: int, origin: int) -> list[tuple[int, float]]:
        """(period, share) of the value two seasons back: the year-ago mapping applied twice."""
        found = []
        for lag, share in self.weights(t).items():
            for lag2, share2 in self.weights(t - lag).items():
                back = t - lag - lag2
                if not 0 <= back <= origin:
                    return []
                found.append((back, share * share2))
        return found

    def values(self, sales: np.ndarray, periods: Iterable[int], origin: int) -> np.ndarray:
        """The aligned year-ago value of each period (rows) of every series (columns) seen from
        `origin`; NaN where it is not known then."""
        return _gathered(sales, [self._sources(int(t), origin) for t in periods])

    def two_years(self, sales: np.ndarray, periods: Iterable[int], origin: int) -> np.ndarray:
        """The value two seasons back of each period (rows) of every series, seen from `origin`."""
        return _gathered(sales, [self._two_year_sources(int(t), origin) for t in periods])


def _gathered(sales: np.ndarray, sources: list[list[tuple[int, float]]]) -> np.ndarray:
    """Per row, the sum of share x sales[period] over its (period, share) sources, in their order; NaN for
    a row without any."""
    rows = [row for row, found in enumerate(sources) for _ in found]
    periods = [period for found in sources for period, _ in found]
    shares = np.array([share for found in sources for _, share in found])
    total = np.zeros((len(sources), sales.shape[1]))
    np.add.at(total, rows, shares[:, None] * sales[periods])
    total[[not found for found in sources]] = np.nan
    return total
