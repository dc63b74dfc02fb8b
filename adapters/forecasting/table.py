"""A long table of series: validated once, then handed around as a SalesTable with its Panel.

Rules: ids are text (whole numbers are written without a fraction, so 7, 7.0 and "7" are one
series); every date fits the panel's frequency; a series may start late but must run to the
panel's last date (the origin every registered version forecasts from) without a missing period
inside it, unless `--fill` says what fills one; values are finite and not negative. Every
problem is one DataError naming it by the user's own column names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from adapters.forecasting.calendars import YearAgoCalendar, holiday_calendar
from adapters.forecasting.columns import (
    ID,
    TARGET,
    TIME,
    covariate_values,
    dates_of,
    first_bad,
    future_rows,
    line,
    period_index,
    read_covariates,
    series_ids,
)
from adapters.forecasting.covariates import NO_COVARIATES, CovariateGrid, CovariateLayout
from domain.columns import INFER, RECOGNISE, ColumnChoice, ColumnSpec, PanelSpec, choose_columns
from domain.covariates import NONE, Covariates
from domain.errors import DataError
from domain.forecasts import series_order
from domain.frequency import Frequency, infer_frequency
from domain.training import DatasetInfo

# Accepted and kept in the logged dataset; used as features only when named as covariates
# (--future-cols, --past-cols, --static-cols).
OPTIONAL_COLUMNS = ("Holiday_Flag", "Temperature", "Fuel_Price", "CPI", "Unemployment")


@dataclass(frozen=True, slots=True, kw_only=True)
class Panel:
    """The series as a periods x series matrix, the shape the feature pipeline works on."""

    periods: np.ndarray  # datetime64[D], ascending, one period apart
    series: np.ndarray  # ids (str), in series_order
    sales: np.ndarray  # float64, len(periods) x len(series); NaN before a series starts
    frequency: Frequency

    def period_list(self) -> list[date]:
        return [day.item() for day in self.periods]


@dataclass(frozen=True, slots=True)
class HistoryRows:
    """A table's rows as the History a registered version forecasts from: each series from its own
    last date (the version checks the dates against its frequency)."""

    ids: np.ndarray  # str
    dates: np.ndarray  # datetime64[D]
    values: np.ndarray  # float64; NaN on a row of future covariate values past its series' last value
    covariates: dict[str, np.ndarray] = field(default_factory=dict)  # every other column: a version takes its own

    @property
    def series(self) -> tuple[str, ...]:
        return tuple(pd.unique(self.ids))

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.ids, self.dates.astype(object), self.values  # dates as datetime.date, as the port has them

    def columns(self) -> dict[str, np.ndarray]:
        return self.covariates

    def select(self, series: Sequence[str]) -> HistoryRows:
        keep = np.isin(self.ids, np.asarray(series, dtype=object))
        return HistoryRows(self.ids[keep], self.dates[keep], self.values[keep],
                           {name: column[keep] for name, column in self.covariates.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesTable:
    """A validated long table (one row per series and period), its panel and its identity."""

    info: DatasetInfo
    frame: pd.DataFrame
    panel: Panel
    calendar: YearAgoCalendar
    layout: CovariateLayout = NO_COVARIATES
    covariates: CovariateGrid | None = None  # None: no covariates

    def history(self) -> HistoryRows:
        """Its rows as the actuals store keeps them: the panel trained on, with what `--fill` filled, and
        its covariates with the rows of future values (an empty value)."""
        sales = self.panel.sales.T  # series x periods, so the rows come series by series, oldest first
        kept = ~np.isnan(sales)
        column, row = np.nonzero(kept)
        found = HistoryRows(self.panel.series[column], self.panel.periods[row], sales[kept])
        names = [name for name in self.frame.columns if name in self.layout.names]
        if not names:
            return found
        ahead = self.frame[self.frame[TARGET].isna()]
        ids = np.concatenate([found.ids, ahead[ID].to_numpy(dtype=object)])
        days = np.concatenate([found.dates, ahead[TIME].to_numpy().astype("datetime64[D]")])
        values = self.frame.set_index([ID, TIME])[names].reindex(pd.MultiIndex.from_arrays([ids, pd.to_datetime(days)]))
        return HistoryRows(ids, days, np.concatenate([found.values, np.full(len(ahead), np.nan)]),
                           {name: values[name].to_numpy(dtype=object) for name in names})


def _typed(raw: pd.DataFrame, choice: ColumnChoice, covariates: Covariates = NONE,
           carriers: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The three roles under the pipeline's names, typed and checked, the optional columns and the
    covariates. With future covariates, a trailing row of a series may have an empty target: it
    carries the future values (`future_rows`)."""
    roles = (choice.id, choice.time, choice.target)
    kept = [c for c in OPTIONAL_COLUMNS if c in raw.columns and c not in roles and c not in covariates.names]
    frame = pd.DataFrame({ID: series_ids(raw[choice.id], choice.id), TIME: dates_of(raw[choice.time], choice)})
    for name in covariates.names:
        frame[name] = covariate_values(raw[name], name, covariates.kind(name))
    values = pd.to_numeric(raw[choice.target], errors="coerce")
    empty = raw[choice.target].isna() | (raw[choice.target].astype("string").str.strip() == "")
    carriers = covariates.future if carriers is None else carriers
    future = future_rows(frame, empty, choice.target, carriers) if carriers else empty & False
    checked = values.where(~future, 0.0)
    first_bad(raw[choice.target], checked, choice.target, "a number")
    first_bad(raw[choice.target], checked.where((checked >= 0) & np.isfinite(checked)), choice.target,
               "a finite number >= 0")
    frame[TARGET] = values.astype(np.float64)
    if "Holiday_Flag" in kept:
        flag = pd.to_numeric(raw["Holiday_Flag"], errors="coerce")
        first_bad(raw["Holiday_Flag"], flag.where(flag.isin([0, 1])), "Holiday_Flag", "0 or 1")
        frame["Holiday_Flag"] = flag.astype(np.int64)
    for column in kept:
        if column != "Holiday_Flag":
            frame[column] = pd.to_numeric(raw[column], errors="coerce")
    duplicated = frame.duplicated([ID, TIME], keep=False)
    if duplicated.any():
        rows = frame.index[duplicated][:2]
        first = frame.loc[rows[0]]
        raise DataError(f"series {first[ID]} has more than one row for {first[TIME]:%Y-%m-%d} "
                        f"(lines {', '.join(str(line(i)) for i in rows)})")
    return frame


def _grid(frame: pd.DataFrame, frequency: Frequency) -> tuple[list[date], np.ndarray]:
    """Every period from the first date to the last, and each row's index among them."""
    first, last = frame[TIME].min().date(), frame[TIME].max().date()
    periods = [first, *frequency.after(first, frequency.between(first, last))]
    return periods, period_index(frame[TIME], first, frequency)


def _shown(days: list[date]) -> str:
    return ", ".join(f"{d}" for d in days[:3]) + (" ..." if len(days) > 3 else "")


def _complete(sales: np.ndarray, ids: list[str], periods: list[date], frequency: Frequency, fill: str) -> str:
    """Check that every series runs to the last period without a missing one inside it, or fill
    the missing ones as `fill` says (in place); what was filled, in words."""
    seen = np.isfinite(sales)
    ended = np.flatnonzero(~seen[-1])
    if len(ended):
        column = ended[0]
        last = periods[len(periods) - 1 - int(np.argmax(seen[::-1, column]))]
        raise DataError(f"series {ids[column]} ends on {last}, before the panel's last date {periods[-1]}: every "
                        f"series must run to the last date, the origin its forecasts start from "
                        f"({len(ended)} such series)")
    started = np.maximum.accumulate(seen, axis=0)
    gaps = started & ~seen
    if not gaps.any():
        return ""
    holed = np.flatnonzero(gaps.any(axis=0))
    if fill == "none":
        column = holed[0]
        missing = [periods[i] for i in np.flatnonzero(gaps[:, column])]
        raise DataError(
            f"series {ids[column]} has a gap: no row for {len(missing)} {frequency.unit}(s) ({_shown(missing)}) "
            f"between its first date {periods[int(np.argmax(seen[:, column]))]} and {periods[-1]}"
            + (f", and {len(holed) - 1} more series have gaps" if len(holed) > 1 else "")
            + "; say what fills them with --fill zero or --fill interpolate")
    if fill == "zero":
        sales[gaps] = 0.0
    else:
        sales[:] = pd.DataFrame(sales).interpolate(method="linear", axis=0, limit_area="inside").to_numpy()
    return f"filled {int(gaps.sum())} missing {frequency.unit}(s) in {len(holed)} series with " + (
        "zeros" if fill == "zero" else "values interpolated between their neighbours")


def read_history(raw: pd.DataFrame, *, source: str, columns: ColumnSpec = RECOGNISE) -> HistoryRows:
    """A raw long table's series, ids, dates and values checked as `read_table` checks them; the
    series may end on different dates. DataError names the first problem."""
    choice = choose_columns([str(c) for c in raw.columns], columns)
    if raw.empty:
        raise DataError(f"{source} has a header but no rows")
    others = tuple(str(c) for c in raw.columns if c not in (choice.id, choice.time, choice.target))
    frame = _typed(raw.reset_index(drop=True), choice, Covariates(static=others), carriers=others)
    return HistoryRows(frame[ID].to_numpy(dtype=object), frame[TIME].to_numpy().astype("datetime64[D]"),
                       frame[TARGET].to_numpy(dtype=np.float64),
                       {name: frame[name].to_numpy() for name in others})


def read_table(raw: pd.DataFrame, *, source: str, name: str, content: bytes, columns: ColumnSpec = RECOGNISE,
               panel: PanelSpec = INFER) -> SalesTable:
    """Check a raw long table, its columns found by `choose_columns`, and make its SalesTable;
    DataError names the first problem."""
    choice = choose_columns([str(c) for c in raw.columns], columns)
    if raw.empty:
        raise DataError(f"{source} has a header but no rows")
    everything = _typed(raw.reset_index(drop=True), choice, columns.covariates)
    frequency = infer_frequency(everything[TIME].dt.date.unique(), panel.frequency)
    ahead = everything[TARGET].isna()
    frame = everything.loc[~ahead]
    periods, index = _grid(frame, frequency)
    ids = series_order(frame[ID].unique())
    codes = pd.Categorical(frame[ID], categories=ids).codes
    sales = np.full((len(periods), len(ids)), np.nan)
    sales[index, codes] = frame[TARGET].to_numpy()
    filled = _complete(sales, ids, periods, frequency, panel.fill)
    holidays = panel.calendar_for(frequency)
    calendar = holiday_calendar(holidays, range(periods[0].year, periods[-1].year + 1))
    info = DatasetInfo(name=name, sha256=hashlib.sha256(content).hexdigest(), source=source, series=len(ids),
                       periods=len(periods), first_period=periods[0], last_period=periods[-1], frequency=frequency,
                       columns=choice.describe(), filled=filled, holidays=calendar.name)
    order = pd.Categorical(everything[ID], categories=ids).codes  # rows of future values after their series' others
    ordered = everything.assign(_order=order).sort_values(["_order", TIME], kind="stable").drop(columns="_order")
    table = Panel(periods=np.array(periods, dtype="datetime64[D]"), series=np.array(ids, dtype=object), sales=sales,
                  frequency=frequency)
    layout, grid = read_covariates(everything, ahead, columns.covariates, table.periods,
                                   table.series, frequency, calendar) if columns.covariates \
        else (NO_COVARIATES, None)
    return SalesTable(info=info, frame=ordered.reset_index(drop=True), calendar=calendar, panel=table,
                      layout=layout, covariates=grid)
