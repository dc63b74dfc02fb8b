"""Retail calendar: weeks end on a Friday; four holidays mark a week as a holiday week.

Holiday weeks are calendar knowledge, known years ahead, so forecasts may use them.
The rule reproduces the Holiday_Flag of the Walmart table (Super Bowl, Labor Day,
Thanksgiving, Christmas).
"""

from __future__ import annotations

from datetime import date, timedelta


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (Monday 0) of the month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def thanksgiving(year: int) -> date:
    return nth_weekday(year, 11, 3, 4)  # fourth Thursday of November


def christmas(year: int) -> date:
    return date(year, 12, 25)


def holidays(year: int) -> tuple[date, ...]:
    super_bowl = nth_weekday(year, 2, 6, 1 if year < 2022 else 2)  # Sunday; moved a week in 2022
    labor_day = nth_weekday(year, 9, 0, 1)  # first Monday of September
    return (super_bowl, labor_day, thanksgiving(year), christmas(year))


def is_holiday_week(week_ending: date) -> bool:
    """True if a holiday falls in the seven days that end on `week_ending`."""
    start = week_ending - timedelta(days=6)
    return any(start <= day <= week_ending for year in {start.year, week_ending.year} for day in holidays(year))
