"""A panel's covariates laid out like its sales, and the feature columns the design members make of them.

`CovariateLayout` is what a version keeps: the names of each kind, which future columns are the
holiday calendar (computed for any date, never sent), and the categories of text static columns
(coded by their position). `CovariateGrid` holds one panel's values: future values for the
panel's periods and the forecast periods after it, past values up to the last period, static
values per series. Features, per row forecasting period t from origin o:

- a future column: its value at t and at t minus a season (the target is a ratio to the value a
  season back, so the change between the two is what moves it);
- a past column: its value at o and its change over the level window before o (never after o);
- a static column: its value (a text one by its category's code).

Part of a registered version's code (pickled with it): numpy and the domain only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.covariates import CALENDAR, Covariate


@dataclass(frozen=True)
class CovariateLayout:
    """The covariates a version uses, by kind, in the order of their feature columns."""

    future: tuple[str, ...] = ()  # sent with every request for the forecast periods
    calendar: tuple[str, ...] = ()  # future columns that are the holiday calendar's flag: computed
    past: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # text static column -> its values

    def __bool__(self) -> bool:
        return bool(self.future or self.calendar or self.past or self.static)

    @property
    def names(self) -> tuple[str, ...]:
        """Every column it uses, the calendar's too."""
        return self.future + self.calendar + self.past + self.static

    @property
    def sent(self) -> tuple[str, ...]:
        """The columns a request carries."""
        return self.future + self.past + self.static

    def covariates(self) -> tuple[Covariate, ...]:
        kinds = (("future", self.future), (CALENDAR, self.calendar), ("past", self.past), ("static", self.static))
        return tuple(Covariate(name=name, kind=kind, type="text" if name in self.categories else "number")
                     for kind, names in kinds for name in names)

    def feature_names(self) -> tuple[str, ...]:
        return (tuple(f"{name}{suffix}" for name in self.future + self.calendar for suffix in ("", "_season_ago"))
                + tuple(f"{name}{suffix}" for name in self.past for suffix in ("_at_origin", "_change"))
                + self.static)

    def code(self, name: str, values: Sequence[object]) -> np.ndarray:
        """A static column's values as numbers: a text column's by its category (NaN for one not seen
        in training, which the trees treat as missing)."""
        if name not in self.categories:
            return np.asarray(values, dtype=np.float64)
        index = {category: float(k) for k, category in enumerate(self.categories[name])}
        return np.array([index.get(str(v), np.nan) for v in values])


NO_COVARIATES = CovariateLayout()


@dataclass(frozen=True)
class CovariateGrid:
    """One panel's covariate values: `future` has a row per period of the panel and per forecast
    period after it (NaN where not known), `past` a row per period of the panel."""

    future: np.ndarray  # periods (+ ahead) x series x (future + calendar columns)
    past: np.ndarray  # periods x series x past columns
    static: np.ndarray  # series x static columns

    @classmethod
    def empty(cls, periods: int, series: int) -> CovariateGrid:
        return cls(np.zeros((periods, series, 0)), np.zeros((periods, series, 0)), np.zeros((series, 0)))

    def series(self, first: int, last: int) -> CovariateGrid:
        """The values of series first..last-1."""
        return CovariateGrid(self.future[:, first:last], self.past[:, first:last], self.static[first:last])

    def upto(self, origin: int, steps: int) -> CovariateGrid:
        """What a forecast from `origin` may see: past values up to it, future ones up to its last step."""
        return CovariateGrid(self.future[: origin + 1 + steps], self.past[: origin + 1], self.static)


def calendar_flags(flags: np.ndarray, calendar_columns: int, series: int) -> np.ndarray:
    """A period's holiday flag (periods) as the calendar columns of every series."""
    return np.broadcast_to(flags[:, None, None], (len(flags), series, calendar_columns)).astype(np.float64)


def feature_columns(grid: CovariateGrid, origin: int, targets: np.ndarray, season: int,
                    level_periods: int) -> list[np.ndarray]:
    """The covariates' feature columns (each steps x series) of the rows forecasting `targets` from `origin`."""
    steps, series = len(targets), grid.static.shape[0]
    columns: list[np.ndarray] = []

    def future_at(periods: np.ndarray, k: int) -> np.ndarray:
        found = np.full((len(periods), series), np.nan)
        inside = (periods >= 0) & (periods < len(grid.future))
        found[inside] = grid.future[periods[inside], :, k]
        return found

    for k in range(grid.future.shape[2]):
        columns += [future_at(targets, k), future_at(targets - season, k)]
    window = slice(max(0, origin - level_periods + 1), origin + 1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series with no past value in the window: NaN
        for k in range(grid.past.shape[2]):
            now = grid.past[origin, :, k]
            recent = grid.past[window, :, k]
            change = now - np.nanmean(recent, axis=0)
            columns += [np.broadcast_to(now, (steps, series)), np.broadcast_to(change, (steps, series))]
    for k in range(grid.static.shape[1]):
        columns.append(np.broadcast_to(grid.static[:, k], (steps, series)))
    return columns


def laid_out(layout: CovariateLayout, series: np.ndarray, period: np.ndarray, values: Mapping[str, np.ndarray],
             shape: tuple[int, int, int], flags: np.ndarray) -> CovariateGrid:
    """The grid of rows given as (series column, period index, each sent column's numbers): `shape` is
    (periods, periods ahead, series); `flags` the calendar's holiday flag of every period and period
    ahead. A period or series without a row is NaN; a static value is its series' first one given."""
    periods, ahead, count = shape
    future = np.full((periods + ahead, count, len(layout.future) + len(layout.calendar)), np.nan)
    inside = (period >= 0) & (period < periods + ahead)
    for k, name in enumerate(layout.future):
        future[period[inside], series[inside], k] = values[name][inside]
    if layout.calendar:
        future[:, :, len(layout.future):] = calendar_flags(flags[: periods + ahead], len(layout.calendar), count)
    past = np.full((periods, count, len(layout.past)), np.nan)
    before = (period >= 0) & (period < periods)
    for k, name in enumerate(layout.past):
        past[period[before], series[before], k] = values[name][before]
    static = np.full((count, len(layout.static)), np.nan)
    for k, name in enumerate(layout.static):
        given = np.isfinite(values[name])
        found, first = np.unique(series[given], return_index=True)  # each series' first value given
        static[found, k] = values[name][given][first]
    return CovariateGrid(future, past, static)
