"""A table's columns read: the roles under the pipeline's names, ids, dates, line numbers, and the
covariate columns read and laid out.

Rules: a future or past covariate is numeric (empty allowed); a static one is numeric or text and
takes one value per series; a row with an empty target is the future when it comes after its
series' last value and carries a future covariate's value (with no future covariate, an empty
target is an error); rows of future values reach at most the longest horizon past the last
date; past values are never read from them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from adapters.forecasting.calendars import YearAgoCalendar
from adapters.forecasting.covariates import CovariateGrid, CovariateLayout, laid_out
from adapters.forecasting.seasonality import Seasonality, YearAgo
from domain.columns import ISO, ColumnChoice
from domain.covariates import Covariates
from domain.errors import DataError
from domain.forecasts import MAX_SERIES_ID
from domain.frequency import Frequency

ID, TIME, TARGET = "series_id", "date", "value"  # the pipeline's names of the three roles


def line(index: int) -> int:
    """Line number in the CSV file of a data row (the header is line 1)."""
    return int(index) + 2


def first_bad(raw: pd.Series, parsed: pd.Series, column: str, what: str) -> None:
    bad = parsed.isna()
    if bad.any():
        index = bad.idxmax()
        value = raw.loc[index]
        shown = "empty" if pd.isna(value) or str(value).strip() == "" else repr(str(value))
        raise DataError(f"line {line(index)}: {column} {shown} is not {what} ({int(bad.sum())} such row(s))")


def series_ids(raw: pd.Series, column: str) -> pd.Series:
    """Series ids as text; a number that is whole is written without its fraction."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        numbers = pd.to_numeric(raw, errors="coerce")
        whole = numbers.notna() & (numbers == numbers.round())
        text = numbers.astype("string").where(~whole, numbers.where(whole).astype("Int64").astype("string"))
    else:
        text = raw.astype("string").str.strip()
    first_bad(raw, text.where(text.str.len().between(1, MAX_SERIES_ID)), column,
               f"a series id (1..{MAX_SERIES_ID} characters)")
    return text.astype(object)


def dates_of(raw: pd.Series, choice: ColumnChoice) -> pd.Series:
    """The time column as dates: as they are when the file typed them (Parquet), else parsed."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = pd.to_datetime(raw)
        dates = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
        first_bad(raw, dates, choice.time, "a date")
        return dates.dt.normalize()
    text = raw.astype("string").str.strip()
    if choice.date_format == ISO:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        first_bad(raw, dates, choice.time, f"an {choice.date_kind} (another format: --date-format)")
    else:
        dates = pd.to_datetime(text, format=choice.date_format, errors="coerce")
        first_bad(raw, dates, choice.time, f"a {choice.date_kind}")
    return dates


def period_index(dates: pd.Series, first: date, frequency: Frequency) -> np.ndarray:
    """Each date's period index counted from the panel's first period."""
    if frequency.months:
        return (((dates.dt.year - first.year) * 12 + dates.dt.month - first.month) // frequency.months).to_numpy(
            np.int64)
    return ((dates - pd.Timestamp(first)).dt.days // frequency.period_days).to_numpy(np.int64)


def future_rows(frame: pd.DataFrame, empty: pd.Series, target: str, future: tuple[str, ...]) -> pd.Series:
    """Which rows with an empty target are the future: after their series' last value, carrying a future
    covariate's value. Any other empty target is a DataError naming its line."""
    last = frame.loc[~empty].groupby(ID)[TIME].max()
    after = frame[TIME] > frame[ID].map(last)  # a series with no value has no row of future values either
    carries = frame[list(future)].notna().any(axis=1) if future else pd.Series(False, index=frame.index)
    bad = empty & ~(after & carries)
    if bad.any():
        index = bad.idxmax()
        why = ("a row of future values comes after its series' last value and carries a value of a "
               f"--future-cols column ({', '.join(future)})") if future else "values are finite numbers >= 0"
        raise DataError(f"line {line(index)}: {target} empty is not a number ({int(bad.sum())} such row(s)); {why}")
    return empty


def covariate_values(raw: pd.Series, name: str, kind: str) -> pd.Series:
    """A covariate's values: numbers (empty allowed), or for a static column text when it is not numeric."""
    numbers = pd.to_numeric(raw, errors="coerce")
    text = raw.astype("string").str.strip()
    written = raw.notna() & (text != "")
    if kind == "static" and (numbers.isna() & written).any():
        return text.astype(object).where(written, None)
    bad = numbers.isna() & written | np.isinf(numbers)
    if bad.any():
        index = bad.idxmax()
        raise DataError(f"line {line(index)}: {name} {str(raw.loc[index])!r} is not a finite number "
                        f"({int(bad.sum())} such row(s)); a {kind} covariate is numeric"
                        + ("" if kind == "future" else " (a static one may be text)"))
    return numbers.astype(np.float64)


def read_covariates(frame: pd.DataFrame, ahead: pd.Series, covariates: Covariates, periods: np.ndarray,
                    series: np.ndarray, frequency: Frequency, calendar: YearAgoCalendar
                    ) -> tuple[CovariateLayout, CovariateGrid]:
    """The layout of the table's covariates and their grid: future values up to the longest horizon
    past the last period (from the rows of future values), past values up to it, a static value per
    series (the same on every row of the series, else a DataError)."""
    ids, steps, first = list(series), frequency.max_horizon, periods[0].item()
    if ahead.any():
        index = period_index(frame.loc[ahead, TIME], first, frequency)
        beyond = index >= len(periods) + steps
        if beyond.any():
            row = frame.loc[ahead].index[int(np.argmax(beyond))]
            raise DataError(f"line {line(row)}: a row of future values on {frame.loc[row, TIME]:%Y-%m-%d} is more "
                            f"than the longest horizon ({steps} {frequency.unit}s) after the last date "
                            f"{periods[-1]}")
    for name in covariates.static:
        varies = frame.groupby(ID)[name].nunique(dropna=True) > 1
        if varies.any():
            raise DataError(f"--static-cols {name!r} takes more than one value in series {varies.idxmax()}: a static "
                            "covariate has one value per series")
    flags = YearAgo(first, Seasonality(frequency, calendar)).holiday_flags(len(periods) + steps)
    observed = frame.loc[~ahead]
    index = period_index(observed[TIME], first, frequency)
    calendar_cols = tuple(name for name in covariates.future if calendar.name != "none"
                          and observed[name].notna().all() and np.array_equal(observed[name].to_numpy(), flags[index]))
    categories = {name: tuple(sorted(map(str, frame[name].dropna().unique()))) for name in covariates.static
                  if frame[name].dtype == object}
    layout = CovariateLayout(future=tuple(c for c in covariates.future if c not in calendar_cols),
                             calendar=calendar_cols, past=covariates.past, static=covariates.static,
                             categories=categories)
    codes = pd.Categorical(frame[ID], categories=ids).codes
    values = {name: layout.code(name, frame[name].tolist()) if name in categories
              else frame[name].to_numpy(np.float64) for name in layout.sent}
    past = frame[TARGET].notna().to_numpy()
    for name in layout.past:  # a past value is never read after the origin; none is kept from a row of the future
        values[name] = np.where(past, values[name], np.nan)
    grid = laid_out(layout, codes, period_index(frame[TIME], first, frequency), values,
                    (len(periods), steps, len(ids)), flags)
    return layout, grid
