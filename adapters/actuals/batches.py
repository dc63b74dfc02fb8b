"""A batch of actuals against the store: its values, its dates and how it extends each series."""

from __future__ import annotations

import pandas as pd

from adapters.forecasting import history
from adapters.forecasting.history import HistoryError, Periods
from domain.actuals import check_extension
from domain.errors import DataError
from domain.frequency import Frequency


def check_values(frame: pd.DataFrame) -> None:
    if frame.empty:
        raise DataError("no actuals to add: the batch has no rows")
    try:
        history.check_values(frame["series_id"].to_numpy(), frame["period"].to_numpy().astype("datetime64[D]"),
                             frame["value"].to_numpy())
    except HistoryError as exc:
        raise DataError(f"{exc}; nothing was added") from None
    twice = frame.duplicated(["series_id", "period"])
    if twice.any():
        row = frame[twice].iloc[0]
        raise DataError(f"series {row['series_id']} has more than one actual for {row['period'].date()} in the batch")


def batch_frequency(frame: pd.DataFrame, known: Frequency | None, given: Frequency | None, dataset: str) -> Frequency:
    """The dataset's frequency: the stored one (a batch's dates must fit it), else the one given."""
    used = known or given
    if used is None:
        raise DataError(f"dataset {dataset!r} has no actuals yet and no frequency was given")
    days = frame["period"].to_numpy().astype("datetime64[D]")
    off = ~Periods(used).fits(days)
    if off.any():
        row = frame[off].iloc[0]
        raise DataError(f"series {row['series_id']}, {row['period'].date()} is not a period of dataset {dataset!r} "
                        f"({used.name}, {used.code}); nothing was added")
    return used


def checked(frame: pd.DataFrame, current: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """The batch with each row's value in force (`before`, NaN if none) and whether it changes it; DataError
    when a series would start before its first actual or have a gap."""
    frame = frame.assign(number=periods.number(frame["period"].to_numpy().astype("datetime64[D]")))
    current = current.assign(period=pd.to_datetime(current["period"]))
    stored = current.assign(number=periods.number(current["period"].to_numpy().astype("datetime64[D]")))
    bounds = stored.groupby("series_id")["number"].agg(["min", "max"])
    known = {s: (int(a), int(b)) for s, a, b in bounds.itertuples()}
    for series, numbers in frame.groupby("series_id", sort=False)["number"]:
        check_extension(str(series), known.get(series), numbers.tolist(), periods.date)
    merged = frame.merge(stored[["series_id", "period", "value"]].rename(columns={"value": "before"}),
                         on=["series_id", "period"], how="left")
    return merged.assign(changed=merged["before"].notna() & (merged["before"] != merged["value"]))
