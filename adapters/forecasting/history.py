"""A history sent to a registered version, checked against its frequency and laid out as panels.

A history is rows of (series id, date, value) in any order: the whole history each series is
forecast from, from the last date of its own rows. Rules: at most MAX_HISTORY_ROWS rows; every
value present, finite and not negative; every date one of the version's periods (a Friday of a
W-FRI version, the first of a month of an MS one); within a series no date twice and no period
missing between its first and last. The first broken rule is one HistoryError naming the series
and the date. Series that end on the same date make one panel (periods x series, NaN before a
series starts), the shape the members forecast from.

Part of a registered version's code (pickled with it): numpy, pandas and the domain's frequency only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from domain.forecasts import MAX_HISTORY_ROWS
from domain.frequency import WEEKDAYS, Frequency

_THURSDAY = 3  # 1970-01-01, day 0 of datetime64[D], was a Thursday
Column = Sequence[Any] | np.ndarray  # a history's column, as a request or a table holds it


class HistoryError(ValueError):
    """The history breaks a rule; the message names the series and the date."""


@dataclass(frozen=True, slots=True)
class HistoryPanel:
    """The series of a history that end on one date, as the members forecast them."""

    series: list[str]  # in the order they first appear in the history
    first: date  # the first period of the earliest series
    origin: date  # the last period of every series: what they are forecast from
    values: np.ndarray  # periods x series, NaN before a series starts; the last row is the origin


class Periods:
    """A frequency's periods as whole numbers: consecutive periods are consecutive numbers."""

    def __init__(self, frequency: Frequency) -> None:
        self.frequency = frequency

    def fits(self, days: np.ndarray) -> np.ndarray:
        """Which dates (datetime64[D]) label one of the frequency's periods."""
        frequency = self.frequency
        if frequency.name == "weekly":
            return (days.astype(np.int64) + _THURSDAY) % 7 == WEEKDAYS.index(frequency.anchor)
        if frequency.months:
            month = days.astype("datetime64[M]")
            on_day = (days == month.astype("datetime64[D]") if frequency.anchor == "start"
                      else (days + 1).astype("datetime64[M]") != month)
            return on_day & ((month.astype(np.int64) + 1 - frequency.month) % frequency.months == 0)
        return np.ones(len(days), dtype=bool)

    def number(self, days: np.ndarray) -> np.ndarray:
        """The period number of each date (dates that fit)."""
        frequency = self.frequency
        if frequency.months:
            return (days.astype("datetime64[M]").astype(np.int64) + 1 - frequency.month) // frequency.months
        return days.astype(np.int64) // frequency.period_days

    def date(self, number: int) -> date:
        frequency = self.frequency
        if frequency.months:
            month = np.datetime64(int(number) * frequency.months + frequency.month - 1, "M")
            start = frequency.anchor == "start"
            day = month.astype("datetime64[D]") if start else (month + 1).astype("datetime64[D]") - 1
            return day.item()
        if frequency.name == "weekly":
            return np.datetime64(int(number) * 7 + (WEEKDAYS.index(frequency.anchor) - _THURSDAY) % 7, "D").item()
        return np.datetime64(int(number), "D").item()


_EPOCH = date(1970, 1, 1).toordinal()


def days_of(dates: Column) -> np.ndarray:
    """The dates as datetime64[D]; datetime.date objects by their ordinals (numpy converts them one by one,
    twenty times slower)."""
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        return dates.astype("datetime64[D]")
    if len(dates) and isinstance(dates[0], date):
        return (np.fromiter((d.toordinal() for d in dates), np.int64, count=len(dates)) - _EPOCH).astype(
            "datetime64[D]")
    return np.asarray(dates, dtype="datetime64[D]")


def _fail(message: str) -> HistoryError:
    return HistoryError(f"history: {message}")


def check_values(ids: np.ndarray, days: np.ndarray, values: np.ndarray) -> None:
    """Every value present, finite and not negative; HistoryError naming the first row that is not."""
    for broken, why in ((np.isnan(values), "the value is missing"),
                        (np.isinf(values), "the value {} is not finite"),
                        (values < 0, "the value {} is negative")):
        if broken.any():
            row = int(np.argmax(broken))
            raise _fail(f"series {ids[row]}, {days[row]}: {why.format(values[row])} "
                        f"({int(broken.sum())} such row(s)); values are finite numbers >= 0")


def _check_dates(ids: np.ndarray, days: np.ndarray, periods: Periods) -> None:
    off = ~periods.fits(days)
    if off.any():
        row = int(np.argmax(off))
        frequency = periods.frequency
        raise _fail(f"series {ids[row]}, {days[row]} is not a date of this version's {frequency.name} "
                    f"({frequency.code}) periods: every date must be {frequency.describe_dates()}")


def _check_runs(ids: np.ndarray, codes: np.ndarray, numbers: np.ndarray, periods: Periods) -> None:
    """No date twice within a series, no period missing inside one (rows sorted by series, then date)."""
    same = codes[1:] == codes[:-1]
    steps = np.diff(numbers)
    twice = same & (steps == 0)
    if twice.any():
        row = int(np.argmax(twice))
        raise _fail(f"series {ids[row]} has more than one row for {periods.date(numbers[row])}")
    gaps = same & (steps > 1)
    if gaps.any():
        row = int(np.argmax(gaps))
        missing = [periods.date(n) for n in range(numbers[row] + 1, numbers[row + 1])]
        shown = ", ".join(map(str, missing[:3])) + (" ..." if len(missing) > 3 else "")
        raise _fail(f"series {ids[row]} has a gap: no row for {len(missing)} {periods.frequency.unit}(s) ({shown}) "
                    f"between {periods.date(numbers[row])} and {periods.date(numbers[row + 1])}; a history is "
                    f"every period of a series from its first date to its last")


def panels(ids: Column, dates: Column, values: Column, frequency: Frequency,
           wanted: Sequence[str] | None = None) -> list[HistoryPanel]:
    """The history's series as panels, one per last date; only the `wanted` series (all if None)."""
    if not 1 <= len(ids) <= MAX_HISTORY_ROWS:
        raise _fail(f"a history has 1..{MAX_HISTORY_ROWS:,} rows, not {len(ids):,}")
    series = np.asarray(ids, dtype=object)
    days = days_of(dates)
    numbers_of = np.asarray(values, dtype=np.float64)
    check_values(series, days, numbers_of)
    periods = Periods(frequency)
    _check_dates(series, days, periods)
    codes, names = pd.factorize(series)
    numbers = periods.number(days)
    order = np.lexsort((numbers, codes))
    codes, numbers, series, amounts = codes[order], numbers[order], series[order], numbers_of[order]
    _check_runs(series, codes, numbers, periods)
    if wanted is not None:
        absent = [s for s in dict.fromkeys(wanted) if s not in set(names)]
        if absent:
            raise _fail(f"no rows for series {', '.join(map(str, absent[:5]))}: a series is forecast from the "
                        f"rows of its own that the history holds")
        keep = np.isin(names[codes], list(wanted))
        codes, numbers, amounts = codes[keep], numbers[keep], amounts[keep]
    return _laid_out(codes, numbers, amounts, np.asarray(names, dtype=object), periods)


def _laid_out(codes: np.ndarray, numbers: np.ndarray, amounts: np.ndarray, names: np.ndarray,
              periods: Periods) -> list[HistoryPanel]:
    present = np.unique(codes)  # codes are in first-appearance order
    first = np.full(len(names), np.iinfo(np.int64).max)
    last = np.full(len(names), np.iinfo(np.int64).min)
    np.minimum.at(first, codes, numbers)
    np.maximum.at(last, codes, numbers)
    found = []
    for end in sorted(set(last[present].tolist())):
        group = present[last[present] == end]
        start = int(first[group].min())
        column = np.full(len(names), -1)
        column[group] = np.arange(len(group))
        rows = np.isin(codes, group)
        grid = np.full((end - start + 1, len(group)), np.nan)
        grid[numbers[rows] - start, column[codes[rows]]] = amounts[rows]
        found.append(HistoryPanel([str(s) for s in names[group]], periods.date(start), periods.date(end), grid))
    return found


@dataclass(frozen=True, slots=True)
class HistoryForecast:
    """A forecast from a history: per series (in the order asked) its origin, whether the baseline
    answered, and per step its date and prediction (and interval bounds, when asked for)."""

    series: list[str]
    origins: list[date]
    baseline: np.ndarray  # bool per series
    dates: list[list[date]]  # per series, per step
    predictions: np.ndarray  # series x steps
    lower: np.ndarray | None
    upper: np.ndarray | None
