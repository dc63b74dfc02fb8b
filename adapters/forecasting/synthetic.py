"""A deterministic synthetic table shaped like the Walmart one, for the offline default."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.calendar import is_holiday_week

STORES = 45
WEEKS = 143
FIRST_WEEK = "2010-02-05"
SEED = 20100205


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
