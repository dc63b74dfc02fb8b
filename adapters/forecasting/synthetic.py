"""Deterministic synthetic panels: the Walmart-shaped weekly table of the offline default, daily
and monthly panels with seasonality of their own, and a weekly panel with promotions and prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.calendar import is_holiday_week

STORES = 45
WEEKS = 143
FIRST_WEEK = "2010-02-05"
SEED = 20100205
PERIODS = {"weekly": WEEKS, "daily": 730, "monthly": 96, "promotions": 156}  # the default length of each kind
STORE_SIZES = ("small", "medium", "large")


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


def _promotion_runs(rng: np.random.Generator, weeks: int, share: float) -> np.ndarray:
    """The number (1, 2, ...) of the promotion each week belongs to, 0 outside one: runs of 1 or 2 weeks
    after gaps of random length, so the weeks promoted are irregular and about `share` of all."""
    mean_gap = 1.5 * (1 - share) / share  # a run averages 1.5 weeks
    runs = np.zeros(weeks, dtype=np.int64)
    week, number = int(rng.integers(0, round(mean_gap) + 1)), 0
    while week < weeks:
        number += 1
        length = int(rng.integers(1, 3))
        runs[week:week + length] = number
        # uniform rather than geometric gaps keep each series near its share; two weeks at least keep runs apart
        week += length + int(rng.integers(2, round(2 * mean_gap - 2) + 1))
    return runs


def synthetic_promotions(series: int = 20, weeks: int = PERIODS["promotions"], seed: int = SEED) -> pd.DataFrame:
    """Nixtla-style columns on Fridays plus `promo` (0/1) and `price`, both known in advance, and a static
    `store_size`; ids `P_01`. The level follows the store size (large ~3x small) with a modest yearly
    pattern and ~4% noise; a promotion cuts the drifting shelf price by 10-30% and lifts sales by
    1 + elasticity * discount, the elasticity per series in [2, 4]. Promotions are drawn at random per
    series (12-18% of weeks, runs of 1-2 weeks), so no seasonal lag predicts them."""
    rng = np.random.default_rng(seed + 3)
    dates = pd.date_range("2011-01-07", periods=weeks, freq="7D")
    angle = 2 * np.pi * dates.day_of_year.to_numpy() / 365.25
    size = rng.permutation(series) % len(STORE_SIZES)  # every size present once there are three series
    level = np.array([1.0, 2.0, 3.0])[size] * np.exp(rng.normal(np.log(2.0e4), 0.1, size=series))
    amplitude = rng.uniform(0.05, 0.10, size=series)
    elasticity = rng.uniform(2.0, 4.0, size=series)
    base_price = rng.uniform(2.0, 12.0, size=series)

    discount = np.zeros((weeks, series))
    for s in range(series):
        runs = _promotion_runs(rng, weeks, rng.uniform(0.12, 0.18))
        per_run = np.concatenate([[0.0], rng.uniform(0.10, 0.30, size=runs.max())])
        discount[:, s] = per_run[runs]
    promo = (discount > 0).astype(np.int64)
    drift = np.cumsum(rng.normal(0.0, 0.004, size=(weeks, series)), axis=0)
    price = base_price * np.exp(drift) * (1 - discount)

    season = 1 + amplitude * np.sin(angle - 1.0)[:, None]
    noise = rng.normal(0.0, 0.04, size=(weeks, series))
    values = level * season * (1 + elasticity * discount) * (1 + noise)
    frame = _long(values, dates, "P")
    frame["promo"] = promo.T.ravel()
    frame["price"] = price.T.ravel().round(2)
    frame["store_size"] = np.repeat(np.array(STORE_SIZES, dtype=object)[size], weeks)
    return frame


def synthetic_panel(frequency: str, series: int = STORES, periods: int | None = None) -> pd.DataFrame:
    """The synthetic panel of a kind: a frequency (weekly is the Walmart-shaped table) or `promotions`."""
    length = periods or PERIODS[frequency]
    make = {"weekly": synthetic_walmart, "daily": synthetic_daily, "monthly": synthetic_monthly,
            "promotions": synthetic_promotions}[frequency]
    return make(series, length)
