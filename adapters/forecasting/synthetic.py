"""Deterministic synthetic panels: the Walmart-shaped weekly table of the offline default, and daily
and monthly panels with seasonality of their own."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.calendar import is_holiday_week

STORES = 45
WEEKS = 143
FIRST_WEEK = "2010-02-05"
SEED = 20100205
PERIODS = {"weekly": WEEKS, "daily": 730, "monthly": 96}  # the default length of each kind


def synthetic_walmart(stores: int = STORES, weeks: int = WEEKS, seed: int = SEED) -> pd.DataFrame:
    """Store-specific level and trend, yearly seasonality, holiday spikes, Nov-Dec ramp, noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(FIRST_WEEK, periods=weeks, freq="7D")
    day_of_year = dates.day_of_year.to_numpy()
    angle = 2 * np.pi * day_of_year / 365.25
    holiday = np.array([is_holiday_week(d.date()) for d in dates], dtype=np.int64)
    month, day = dates.month.to_numpy(), dates.day.to_numpy()
    christmas_ramp = np.where((month == 12) & (day >= 10) & (day <= 24), 0.25, 0.0)
    thanksgiving_pop = np.where(holiday & (month == 11), 0.35, 0.0)
    season = 0.06 * np.sin(angle - 1.2) + 0.03 * np.cos(2 * angle) + christmas_ramp + thanksgiving_pop
    season += np.where(holiday & (month != 11), 0.04, 0.0)

    level = np.exp(rng.normal(np.log(1.0e6), 0.55, size=stores))
    trend = rng.normal(0.0, 0.0012, size=stores)  # per week
    amplitude = rng.uniform(0.7, 1.3, size=stores)
    t = np.arange(weeks)[:, None]
    noise = rng.normal(0.0, 0.025, size=(weeks, stores))
    sales = level * (1 + trend * t) * (1 + amplitude * season[:, None]) * (1 + noise)

    temperature = 60 + 20 * np.sin(angle - 1.9)[:, None] + rng.normal(0, 5, size=(weeks, stores))
    fuel = 2.6 + np.cumsum(rng.normal(0.008, 0.04, size=weeks))[:, None] + rng.normal(0, 0.05, size=stores)
    cpi = rng.uniform(126, 225, size=stores) * (1 + 0.0004 * t)
    unemployment = rng.uniform(4, 14, size=stores) - 0.004 * t
    frame = pd.DataFrame(
        {
            "Store": np.repeat(np.arange(1, stores + 1), weeks),
            "Date": np.tile(dates.strftime("%d-%m-%Y").to_numpy(), stores),
            "Weekly_Sales": sales.T.ravel().round(2),
            "Holiday_Flag": np.tile(holiday, stores),
            "Temperature": temperature.T.ravel().round(2),
            "Fuel_Price": np.broadcast_to(fuel, (weeks, stores)).T.ravel().round(3),
            "CPI": cpi.T.ravel().round(7),
            "Unemployment": np.broadcast_to(unemployment, (weeks, stores)).T.ravel().round(3),
        }
    )
    return frame


def _long(values: np.ndarray, dates: pd.DatetimeIndex, prefix: str) -> pd.DataFrame:
    periods, series = values.shape
    width = len(str(series))
    ids = np.array([f"{prefix}_{i:0{width}d}" for i in range(1, series + 1)], dtype=object)
    return pd.DataFrame({"unique_id": np.repeat(ids, periods), "ds": np.tile(dates.strftime("%Y-%m-%d"), series),
                         "y": values.T.ravel().round(2)})


def synthetic_daily(series: int = STORES, days: int = PERIODS["daily"], seed: int = SEED) -> pd.DataFrame:
    """Nixtla-style columns (unique_id, ds, y): each series' level and trend, a weekly pattern of its
    own strength (weekends sell more), yearly seasonality and noise; ids are text (`D_01`)."""
    rng = np.random.default_rng(seed + 1)
    dates = pd.date_range("2011-01-01", periods=days, freq="D")
    weekday = dates.day_of_week.to_numpy()
    week_shape = np.array([-0.10, -0.12, -0.08, -0.02, 0.08, 0.18, 0.06])  # Monday..Sunday
    yearly = 0.08 * np.sin(2 * np.pi * dates.day_of_year.to_numpy() / 365.25 - 1.0)
    level = np.exp(rng.normal(np.log(5.0e4), 0.6, size=series))
    trend = rng.normal(0.0, 0.0003, size=series)  # per day
    strength = rng.uniform(0.6, 1.4, size=series)
    t = np.arange(days)[:, None]
    noise = rng.normal(0.0, 0.04, size=(days, series))
    values = level * (1 + trend * t) * (1 + strength * week_shape[weekday][:, None] + yearly[:, None]) * (1 + noise)
    return _long(values, dates, "D")


def synthetic_monthly(series: int = STORES, months: int = PERIODS["monthly"], seed: int = SEED) -> pd.DataFrame:
    """Nixtla-style columns dated on the first of each month: each series' level and trend, a
    yearly pattern of its own amplitude (a December peak, a February trough) and noise; ids `M_01`."""
    rng = np.random.default_rng(seed + 2)
    dates = pd.date_range("2015-01-01", periods=months, freq="MS")
    month = dates.month.to_numpy()
    year_shape = np.array([-0.06, -0.12, -0.02, 0.0, 0.02, 0.04, 0.03, 0.02, -0.01, 0.01, 0.06, 0.22])
    level = np.exp(rng.normal(np.log(2.0e6), 0.5, size=series))
    trend = rng.normal(0.002, 0.004, size=series)  # per month
    amplitude = rng.uniform(0.6, 1.4, size=series)
    t = np.arange(months)[:, None]
    noise = rng.normal(0.0, 0.03, size=(months, series))
    values = level * (1 + trend * t) * (1 + amplitude * year_shape[month - 1][:, None]) * (1 + noise)
    return _long(values, dates, "M")


def synthetic_panel(frequency: str, series: int = STORES, periods: int | None = None) -> pd.DataFrame:
    """The synthetic panel of a frequency (weekly is the Walmart-shaped table)."""
    length = periods or PERIODS[frequency]
    make = {"weekly": synthetic_walmart, "daily": synthetic_daily, "monthly": synthetic_monthly}[frequency]
    return make(series, length)
