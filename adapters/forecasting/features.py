"""The feature pipeline, shared by training, evaluation and the served pyfunc model.

Direct multi-step strategy: one row per (store, origin, step). Every feature of a row is
computed from sales at or before its origin, so a row can never see the week it predicts
or anything after the origin. Sales features are divided by the store's 13-week level at
the origin and the target is sales / level: one model serves stores of any size, and the
prediction is turned back into sales by multiplying by the level.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from domain.calendar import is_holiday_week
from domain.training import SEASON

FEATURES = (
    "step",
    "week_of_year",
    "holiday",
    "lag_52",  # same week last year
    "lag_53",
    "lag_51",  # only known for steps up to 51
    "last_1",
    "last_4",
    "level_52",
    "yoy_13",  # growth of the last 13 weeks over the same 13 weeks a year before
    "yoy_4",
)
LEVEL_WEEKS = 13
# Weeks of history a forecast needs behind its origin (for yoy_13: 13 weeks a season back).
HISTORY_WEEKS = SEASON + LEVEL_WEEKS
MIN_ORIGIN = LEVEL_WEEKS - 1


@dataclass(frozen=True, slots=True)
class Design:
    """Rows of the design matrix with where they come from."""

    X: np.ndarray  # rows x FEATURES
    level: np.ndarray  # the store's level at the origin, to scale predictions back
    origin: np.ndarray  # week index of the origin
    target: np.ndarray  # week index of the predicted week (may be beyond the data)
    store: np.ndarray  # column index of the store

    def where(self, mask: np.ndarray) -> Design:
        return Design(self.X[mask], self.level[mask], self.origin[mask], self.target[mask], self.store[mask])

    def ratio_target(self, sales: np.ndarray) -> np.ndarray:
        return sales[self.target, self.store] / self.level


def _mean(sales: np.ndarray, first: int, last: int) -> np.ndarray:
    """Mean of weeks first..last inclusive; NaN where the window starts before the data."""
    if first < 0:
        return np.full(sales.shape[1], np.nan)
    return sales[first : last + 1].mean(axis=0)


def calendar_features(week: date) -> tuple[int, int]:
    return week.isocalendar()[1], int(is_holiday_week(week))


def _history_features(sales: np.ndarray, origin: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The store's level at the origin and the features that do not depend on the step, per store."""
    level = _mean(sales, origin - LEVEL_WEEKS + 1, origin)
    return level, [
        sales[origin] / level,  # last_1
        _mean(sales, origin - 3, origin) / level,  # last_4
        _mean(sales, origin - SEASON + 1, origin) / level,  # level_52
        level / _mean(sales, origin - SEASON - LEVEL_WEEKS + 1, origin - SEASON),  # yoy_13
        _mean(sales, origin - 3, origin) / _mean(sales, origin - SEASON - 3, origin - SEASON),  # yoy_4
    ]


def origin_rows(sales: np.ndarray, origin: int, steps: int, origin_week: date) -> Design:
    """Feature rows for every store forecast from `origin` for steps 1..steps, step-major."""
    n_stores = sales.shape[1]
    level, history = _history_features(sales, origin)

    def lag(target: int, weeks: int) -> np.ndarray:
        week = target - weeks
        return sales[week] / level if 0 <= week <= origin else np.full(n_stores, np.nan)

    blocks = []
    for step in range(1, steps + 1):
        target = origin + step
        week_of_year, holiday = calendar_features(date.fromordinal(origin_week.toordinal() + 7 * step))
        steady = [np.full(n_stores, value) for value in (step, week_of_year, holiday)]
        lags = [lag(target, SEASON), lag(target, SEASON + 1), lag(target, SEASON - 1)]
        blocks.append(np.column_stack([*steady, *lags, *history]))
    return Design(
        X=np.vstack(blocks).astype(np.float64),
        level=np.tile(level, steps),
        origin=np.full(steps * n_stores, origin),
        target=np.repeat(origin + np.arange(1, steps + 1), n_stores),
        store=np.tile(np.arange(n_stores), steps),
    )


def training_design(sales: np.ndarray, weeks: np.ndarray, max_step: int) -> Design:
    """Every (origin, step) row whose target week is inside the data, for all origins."""
    designs = []
    for origin in range(MIN_ORIGIN, sales.shape[0] - 1):
        steps = min(max_step, sales.shape[0] - 1 - origin)
        designs.append(origin_rows(sales, origin, steps, weeks[origin].item()))
    return Design(*(np.concatenate([getattr(d, f.name) for d in designs]) for f in fields(Design)))
