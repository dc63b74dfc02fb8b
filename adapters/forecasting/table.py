"""The weekly sales table: validated once, then handed around as a SalesTable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.columns import ISO, RECOGNISE, ColumnChoice, ColumnSpec, choose_columns
from domain.errors import DataError
from domain.forecasts import MAX_STORE_ID
from domain.training import DatasetInfo

# Accepted and kept in the logged dataset, never used as features: their future values are
# unknown at a forecast origin.
OPTIONAL_COLUMNS = ("Holiday_Flag", "Temperature", "Fuel_Price", "CPI", "Unemployment")


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesTable:
    """A validated long table (one row per store and week) with its identity."""

    info: DatasetInfo
    frame: pd.DataFrame


@dataclass(frozen=True, slots=True, kw_only=True)
class Panel:
    """The same sales as a weeks x stores matrix, the shape the feature pipeline works on."""

    weeks: np.ndarray  # datetime64[D], ascending, one week apart
    stores: np.ndarray  # int64 store ids, ascending
    sales: np.ndarray  # float64, len(weeks) x len(stores)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Panel:
        wide = frame.pivot(index="Date", columns="Store", values="Weekly_Sales").sort_index()
        return cls(
            weeks=wide.index.to_numpy().astype("datetime64[D]"),
            stores=wide.columns.to_numpy().astype(np.int64),
            sales=wide.to_numpy(dtype=np.float64),
        )


def _row(index: int) -> int:
    """Line number in the CSV file of a data row (the header is line 1)."""
    return int(index) + 2


def _first_bad(raw: pd.Series, parsed: pd.Series, column: str, what: str) -> None:
    bad = parsed.isna()
    if bad.any():
        index = bad.idxmax()
        value = raw.loc[index]
        shown = "empty" if pd.isna(value) or str(value).strip() == "" else repr(str(value))
        raise DataError(f"line {_row(index)}: {column} {shown} is not {what} ({int(bad.sum())} such row(s))")


def validate(raw: pd.DataFrame, *, source: str, spec: ColumnSpec = RECOGNISE) -> tuple[pd.DataFrame, ColumnChoice]:
    """Check a raw long table, its columns found by `choose_columns`, and return it typed under the
    pipeline's names (Store, Date, Weekly_Sales) with the columns taken; DataError names the first
    problem, by the user's column names."""
    choice = choose_columns([str(c) for c in raw.columns], spec)
    if raw.empty:
        raise DataError(f"{source} has a header but no rows")
    chosen = {choice.id: "Store", choice.time: "Date", choice.target: "Weekly_Sales"}
    kept = [c for c in OPTIONAL_COLUMNS if c in raw.columns and c not in chosen]
    raw = raw[[*chosen, *kept]].rename(columns=chosen)
    frame = raw.copy()
    store = pd.to_numeric(raw["Store"], errors="coerce")
    _first_bad(raw["Store"], store.where(store == store.round()), choice.id, "a whole number")
    _first_bad(raw["Store"], store.where(store.between(1, MAX_STORE_ID)), choice.id,
               f"in 1..{MAX_STORE_ID:,} (the ids the API serves)")
    frame["Store"] = store.astype(np.int64)
    frame["Date"] = _dates(raw["Date"], choice)
    sales = pd.to_numeric(raw["Weekly_Sales"], errors="coerce")
    _first_bad(raw["Weekly_Sales"], sales, choice.target, "a number")
    _first_bad(raw["Weekly_Sales"], sales.where((sales > 0) & np.isfinite(sales)), choice.target,
               "a positive finite number")
    frame["Weekly_Sales"] = sales.astype(np.float64)
    if "Holiday_Flag" in raw.columns:
        flag = pd.to_numeric(raw["Holiday_Flag"], errors="coerce")
        _first_bad(raw["Holiday_Flag"], flag.where(flag.isin([0, 1])), "Holiday_Flag", "0 or 1")
        frame["Holiday_Flag"] = flag.astype(np.int64)
    for column in OPTIONAL_COLUMNS[1:]:
        if column in raw.columns:
            frame[column] = pd.to_numeric(raw[column], errors="coerce")
    _check_weeks(frame)
    return frame.sort_values(["Store", "Date"], kind="stable").reset_index(drop=True), choice


def _dates(raw: pd.Series, choice: ColumnChoice) -> pd.Series:
    """The time column as dates: as they are when the file typed them (Parquet), else parsed."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = pd.to_datetime(raw)
        dates = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
        _first_bad(raw, dates, choice.time, "a date")
        return dates
    text = raw.astype("string").str.strip()
    if choice.date_format == ISO:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        _first_bad(raw, dates, choice.time, f"an {choice.date_kind} (another format: --date-format)")
    else:
        dates = pd.to_datetime(text, format=choice.date_format, errors="coerce")
        _first_bad(raw, dates, choice.time, f"a {choice.date_kind}")
    return dates


def _check_weeks(frame: pd.DataFrame) -> None:
    duplicated = frame.duplicated(["Store", "Date"], keep=False)
    if duplicated.any():
        rows = frame.index[duplicated][:2]
        first = frame.loc[rows[0]]
        raise DataError(
            f"store {first.Store} has more than one row for week {first.Date:%d-%m-%Y} "
            f"(lines {', '.join(str(_row(i)) for i in rows)})"
        )
    if frame["Date"].dt.day_of_week.nunique() != 1:
        raise DataError("dates fall on different weekdays: every row must be the same day of a week")
    all_weeks = pd.date_range(frame["Date"].min(), frame["Date"].max(), freq="7D")
    for store, dates in frame.groupby("Store", sort=True)["Date"]:
        have = pd.DatetimeIndex(dates)
        absent = all_weeks.difference(have)
        if len(absent):
            shown = ", ".join(f"{d:%d-%m-%Y}" for d in absent[:3]) + (" ..." if len(absent) > 3 else "")
            raise DataError(
                f"store {store} has a gap: no row for {len(absent)} week(s) ({shown}) between "
                f"{all_weeks[0]:%d-%m-%Y} and {all_weeks[-1]:%d-%m-%Y}; every store needs every week"
            )


def sales_table(frame: pd.DataFrame, *, name: str, source: str, content: bytes, columns: ColumnChoice) -> SalesTable:
    weeks = frame["Date"].drop_duplicates()
    info = DatasetInfo(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        source=source,
        stores=int(frame["Store"].nunique()),
        weeks=len(weeks),
        first_week=weeks.min().date(),
        last_week=weeks.max().date(),
        columns=columns.describe(),
    )
    return SalesTable(info=info, frame=frame)
