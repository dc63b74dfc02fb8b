"""The covariates of a request to a registered version: read from its rows, checked, laid out per panel.

A request's rows carry the version's covariate columns; with future covariates, a row with an
empty value is a row of future values. Rules: every future and past column the version uses is
there; a row of future values is for a series the request forecasts, after its last value and
within the horizon; every forecast period has each future value; a series the version was not
trained on carries its static values. The first broken rule is a CovariateError naming the
column, the series and the dates.

Part of a registered version's code (pickled with it): numpy, pandas and the domain only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from adapters.forecasting.covariates import CovariateGrid, CovariateLayout, laid_out
from adapters.forecasting.history import Column, HistoryPanel, Periods, days_of
from adapters.forecasting.seasonality import Seasonality
from domain.frequency import Frequency


class CovariateError(ValueError):
    """A request's covariates break a rule; the message names the column, the series and the dates."""


def _shown(days: Sequence[object]) -> str:
    return ", ".join(map(str, days[:3])) + (f" and {len(days) - 3} more" if len(days) > 3 else "")


@dataclass(frozen=True)
class RequestRows:
    """A request's rows as a version reads its covariates: each row's series, its period number
    counted from the first period of that series' panel, whether it is a row of future values
    (an empty value), and every column sent beside the value."""

    series: np.ndarray  # str
    days: np.ndarray  # datetime64[D]: the row's date, as sent
    number: np.ndarray  # int: period number of the row's date, in the version's frequency (-1: not one of them)
    future: np.ndarray  # bool
    columns: Mapping[str, np.ndarray]

    def check_columns(self, layout: CovariateLayout) -> None:
        absent = [name for name in layout.future + layout.past if name not in self.columns]
        if absent:
            kinds = ", ".join(f"{name} ({'future' if name in layout.future else 'past'})" for name in absent)
            raise CovariateError(f"this version uses covariates the history does not carry: {kinds}; send them as "
                                 "columns of the history" + (" and, for the forecast periods, as future rows"
                                                             if any(n in layout.future for n in absent) else ""))

    def check_future(self, panels: Mapping[str, tuple[int, int]], horizon: int,
                     date_of: Callable[[int], object]) -> None:
        """Every row of future values is for a series of the request, after its last value and within the horizon."""
        for row in np.flatnonzero(self.future):
            series, number = str(self.series[row]), int(self.number[row])
            if series not in panels:
                if (self.series[~self.future] == series).any():
                    continue  # a series of the history that was not asked for
                raise CovariateError(f"future values for series {series}, which the request does not forecast "
                                     "(it has no row with a value)")
            origin = panels[series][1]
            if 0 <= number <= origin:
                raise CovariateError(f"history: series {series}, {self.days[row]}: the value is missing; a row with an "
                                     "empty value is a row of future values, after its series' last value")
            if not origin < number <= origin + horizon:
                raise CovariateError(f"future values for series {series} on {self.days[row]}, outside the forecast "
                                     f"periods ({date_of(origin + 1)} to {date_of(origin + horizon)})")

    def grid(self, layout: CovariateLayout, names: Sequence[str], first: int, origin: int, horizon: int,
             flags: np.ndarray, static: Mapping[str, Mapping[str, float]], date_of: Callable[[int], object]
             ) -> CovariateGrid:
        """The grid of one panel (its series `names`, periods first..origin, `horizon` ahead);
        CovariateError naming the future column, series and dates a forecast period lacks, or the static
        value of a series the version was not trained on that the request does not carry."""
        column = {name: k for k, name in enumerate(names)}
        mine = np.isin(self.series, list(names))
        series = np.array([column[s] for s in self.series[mine]], dtype=np.int64)
        values = {name: (layout.code(name, self.columns[name][mine].tolist()) if name in layout.categories
                         else _numbers(self.columns[name][mine])) for name in layout.sent if name in self.columns}
        for name in layout.static:
            if name not in values:
                values[name] = np.full(len(series), np.nan)
        periods = origin - first + 1
        grid = laid_out(layout, series, self.number[mine] - first, values, (periods, horizon, len(names)), flags)
        for k, name in enumerate(layout.future):
            missing = ~np.isfinite(grid.future[periods:, :, k])
            if missing.any():
                where = np.flatnonzero(missing.any(axis=1))
                lacking = [names[int(s)] for s in np.flatnonzero(missing.any(axis=0))]
                raise CovariateError(
                    f"this version needs the future values of {name} for every forecast period: missing for series "
                    f"{_shown(lacking)} on {_shown([date_of(origin + 1 + int(t)) for t in where])}; send them as "
                    f"future rows (the series, the date and {name}, with an empty value)")
        for k, name in enumerate(layout.static):
            unknown = ~np.isfinite(grid.static[:, k])
            for s in map(int, np.flatnonzero(unknown)):
                known = static.get(name, {}).get(names[s])
                if known is None:
                    raise CovariateError(f"series {names[s]} has no {name}: this version was not trained on it, so "
                                         f"the history must carry its {name} (a static covariate)")
                grid.static[s, k] = known
        return grid


def _numbers(values: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        import pandas as pd

        found = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
        bad = np.isnan(found) & pd.notna(pd.Series(values)).to_numpy()
        raise CovariateError(f"a covariate value {values[int(np.argmax(bad))]!r} is not a number") from None


def request_rows(layout: CovariateLayout, frequency: Frequency, ids: Column, dates: Column, values: Column,
                 columns: Mapping[str, Column]) -> tuple[RequestRows | None, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The request's covariate rows (None for a version without covariates) and its rows with a value."""
    series, days = np.asarray([str(s) for s in ids], dtype=object), days_of(dates)
    amounts = np.asarray(values, dtype=np.float64)
    if not layout:
        return None, (series, days, amounts)
    future = np.isnan(amounts) if layout.future else np.zeros(len(amounts), dtype=bool)
    periods = Periods(frequency)
    rows = RequestRows(series, days, np.where(periods.fits(days), periods.number(days), -1), future,
                       {name: np.asarray(column, dtype=object) for name, column in columns.items()})
    rows.check_columns(layout)
    if future.all():
        raise CovariateError("every row has an empty value: a history needs each series' values up to its origin")
    return rows, (series[~future], days[~future], amounts[~future])


def panel_grids(requested: RequestRows | None, laid: list[HistoryPanel], horizon: int, layout: CovariateLayout,
                seasonality: Seasonality, static: Mapping[str, Mapping[str, float]]) -> list[CovariateGrid]:
    """Each panel's covariate grid, from its first period to `horizon` past its origin."""
    if requested is None:
        return [CovariateGrid.empty(len(p.values) + horizon, len(p.series)) for p in laid]
    periods = Periods(seasonality.frequency)
    spans = {s: (int(periods.number(days_of([p.first]))[0]), int(periods.number(days_of([p.origin]))[0]))
             for p in laid for s in p.series}
    requested.check_future(spans, horizon, periods.date)
    grids = []
    for panel in laid:
        first, origin = spans[panel.series[0]]
        flags = (seasonality.year_ago(panel.first).holiday_flags(origin - first + 1 + horizon) if layout.calendar
                 else np.zeros(0))  # only a calendar column reads them: no day-by-day work per request without one
        grids.append(requested.grid(layout, panel.series, first, origin, horizon, flags, static, periods.date))
    return grids
