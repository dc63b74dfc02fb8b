"""The weekly sales table: validated once, then handed around as a SalesTable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import DataError
from domain.forecasts import MAX_STORE_ID
from domain.training import DatasetInfo

REQUIRED_COLUMNS = ("Store", "Date", "Weekly_Sales")
# Accepted and kept in the logged dataset, never used as features: their future values are
# unknown at a forecast origin.
OPTIONAL_COLUMNS = ("Holiday_Flag", "Temperature", "Fuel_Price", "CPI", "Unemployment")
DATE_FORMAT = "%d-%m-%Y"


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


def validate(raw: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check a raw Walmart-shaped table and return it typed; DataError names the first problem."""
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{source} is missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    if raw.empty:
        raise DataError(f"{source} has a header but no rows")
    frame = raw.copy()
    store = pd.to_numeric(raw["Store"], errors="coerce")
    _first_bad(raw["Store"], store.where(store == store.round()), "Store", "a whole number")
    _first_bad(raw["Store"], store.where(store.between(1, MAX_STORE_ID)), "Store",
               f"in 1..{MAX_STORE_ID:,} (the ids the API serves)")
    frame["Store"] = store.astype(np.int64)
    dates = pd.to_datetime(raw["Date"].astype("string").str.strip(), format=DATE_FORMAT, errors="coerce")
    _first_bad(raw["Date"], dates, "Date", "a dd-mm-yyyy date")
    frame["Date"] = dates
    sales = pd.to_numeric(raw["Weekly_Sales"], errors="coerce")
    _first_bad(raw["Weekly_Sales"], sales, "Weekly_Sales", "a number")
    _first_bad(raw["Weekly_Sales"], sales.where((sales > 0) & np.isfinite(sales)), "Weekly_Sales",
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
    return frame.sort_values(["Store", "Date"], kind="stable").reset_index(drop=True)


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


def sales_table(frame: pd.DataFrame, *, name: str, source: str, content: bytes) -> SalesTable:
    weeks = frame["Date"].drop_duplicates()
    info = DatasetInfo(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        source=source,
        stores=int(frame["Store"].nunique()),
        weeks=len(weeks),
        first_week=weeks.min().date(),
        last_week=weeks.max().date(),
    )
    return SalesTable(info=info, frame=frame)
