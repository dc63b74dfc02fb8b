"""The covariates the actuals store keeps beside the values: each column's value per series and period.

Table `covariates` (dataset, series_id, period, name, number, text, batch): a value is a number or
a text; the latest batch of a series, period and column holds the value in force, as for the
actuals. A row of a batch with no value (a row of future values: a period after the series'
last actual) keeps its covariates only. Nothing is updated or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from adapters.actuals.database import Unit
from application.ports import History

SCHEMA = ("CREATE TABLE IF NOT EXISTS covariates (dataset TEXT NOT NULL, series_id TEXT NOT NULL, period DATE NOT "
          "NULL, name TEXT NOT NULL, number DOUBLE PRECISION, text TEXT, batch BIGINT NOT NULL)",
          "CREATE INDEX IF NOT EXISTS covariates_series ON covariates (dataset, series_id, period)")
LATEST = ("SELECT series_id, period, name, number, text FROM (SELECT series_id, period, name, number, text, "
          "row_number() OVER (PARTITION BY series_id, period, name ORDER BY batch DESC) AS newest FROM covariates "
          "WHERE dataset = ?{also}) AS c WHERE newest = 1")


def long_rows(ids: Sequence[object], dates: Sequence[object], columns: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """A batch's covariates as rows of (series_id, period, name, number, text); empty cells left out."""
    parts = []
    for name, column in columns.items():
        values = pd.Series(list(column), dtype=object)
        numbers = pd.to_numeric(values, errors="coerce")
        written = values.notna() & (values.astype(str).str.strip() != "")
        text = values.where(written & numbers.isna()).astype(object)
        parts.append(pd.DataFrame({"series_id": np.asarray(ids, dtype=object),
                                   "period": np.asarray(dates, dtype="datetime64[D]"), "name": name,
                                   "number": numbers.to_numpy(np.float64), "text": text.where(text.notna(), None)
                                   })[written.to_numpy()])
    if not parts:
        return pd.DataFrame(columns=["series_id", "period", "name", "number", "text"])
    return pd.concat(parts, ignore_index=True)


def split(history: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A batch's values (series_id, period, value), without its rows of future values (no value, covariates
    only), and its covariates as `long_rows`."""
    ids, dates, values = history.rows()
    rows = long_rows(ids, dates, history.columns())
    frame = pd.DataFrame({"series_id": np.asarray(ids, dtype=object),
                          "period": np.asarray(dates, dtype="datetime64[D]"),
                          "value": np.asarray(values, dtype=np.float64)})
    ahead = frame["value"].isna() & frame.set_index(["series_id", "period"]).index.isin(
        rows.set_index(["series_id", "period"]).index)
    return frame[~ahead], rows


def store(unit: Unit, dataset: str, rows: pd.DataFrame, batch: int) -> int:
    """Keep the rows that change the value in force; how many that was."""
    unit.stage("incoming_covariates", rows)
    current = unit.frame(LATEST.format(also=" AND series_id IN (SELECT DISTINCT series_id FROM incoming_covariates)"),
                         [dataset]).assign(period=lambda f: pd.to_datetime(f["period"]))
    merged = rows.assign(period=pd.to_datetime(rows["period"])).merge(
        current, on=["series_id", "period", "name"], how="left", suffixes=("", "_before"))
    had = merged["number_before"].notna() | merged["text_before"].notna()
    equal = had & ((merged["number"] == merged["number_before"]) | merged["number"].isna() & merged[
        "number_before"].isna()) & (merged["text"].fillna("") == merged["text_before"].fillna(""))
    new = merged[~equal]
    if len(new):
        unit.append("covariates", new.assign(dataset=dataset, batch=batch)[
            ["dataset", "series_id", "period", "name", "number", "text", "batch"]])
    return len(new)


def wide(unit: Unit, dataset: str, also: str = "") -> pd.DataFrame:
    """The covariates in force as one column each, indexed by (series_id, period); numbers where a column
    holds numbers, else its texts."""
    exists = unit.rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'covariates'")[0][0]
    found = unit.frame(LATEST.format(also=also), [dataset]) if exists else pd.DataFrame()
    if found.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["series_id", "period"]))
    found = found.assign(period=pd.to_datetime(found["period"]),
                         value=found["number"].astype(object).where(found["number"].notna(), found["text"]))
    return found.pivot_table(index=["series_id", "period"], columns="name", values="value", aggfunc="first")
