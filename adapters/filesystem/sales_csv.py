"""Reads a long table of series (CSV or Parquet), or makes the synthetic one when no file is given."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.table import HistoryRows, SalesTable, read_history, read_table
from application.ports import History
from domain.columns import INFER, RECOGNISE, ColumnSpec, PanelSpec
from domain.covariates import NONE, Covariates
from domain.errors import DataError

SYNTHETIC_NAME = "synthetic_walmart"
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_file(path: str) -> tuple[pd.DataFrame, bytes]:
    """The raw table of a CSV (every cell as text) or Parquet file, and its bytes; DataError if unreadable."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_file(content, path), content


def parse_file(content: bytes, name: str) -> pd.DataFrame:
    """The raw table of a CSV file's bytes (every cell as text), or a Parquet file's when `name` ends in
    .parquet or .pq; DataError if unreadable."""
    parquet = Path(name).suffix.lower() in PARQUET_SUFFIXES
    try:
        if parquet:
            raw = pd.read_parquet(io.BytesIO(content))
        else:
            raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:  # pandas' and pyarrow's parse errors are ValueErrors
        kind = "Parquet" if parquet else "CSV"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"cannot read {name} as a {kind} table: {reason}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def write_file(frame: pd.DataFrame, path: str) -> None:
    """A table as CSV, or as Parquet when the path ends in .parquet or .pq."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True)
    if target.suffix.lower() in PARQUET_SUFFIXES:
        frame.to_parquet(target, index=False)
    else:
        frame.to_csv(target, index=False)


class CsvSalesSource:
    """SalesSource over a CSV or Parquet file path; None means the built-in synthetic table."""

    def load(self, path: str | None, name: str | None = None, columns: ColumnSpec = RECOGNISE,
             panel: PanelSpec = INFER) -> SalesTable:
        if path is None:
            raw = synthetic_walmart()
            return read_table(raw, source="synthetic", name=name or SYNTHETIC_NAME,
                              content=raw.to_csv(index=False).encode(), columns=columns, panel=panel)
        raw, content = read_file(path)
        return read_table(raw, source=str(Path(path).resolve()), name=name or Path(path).stem.lower(),
                          content=content, columns=columns, panel=panel)

    def from_history(self, history: History, name: str, panel: PanelSpec = INFER,
                     covariates: Covariates = NONE) -> SalesTable:
        ids, dates, values = history.rows()
        raw = pd.DataFrame({"series_id": np.asarray(ids, dtype=object), "date": pd.to_datetime(np.asarray(dates)),
                            "value": np.asarray(values, dtype=np.float64)})
        kept = history.columns()
        for column in covariates.names:
            raw[column] = np.asarray(kept[column], dtype=object) if column in kept else None
        if not covariates.future:  # rows of future values train nothing without future covariates
            raw = raw[raw["value"].notna()]
        content = pd.util.hash_pandas_object(raw.astype(str) if covariates else raw, index=False).to_numpy().tobytes()
        return read_table(raw, source=f"actuals of {name}", name=name, content=content,
                          columns=ColumnSpec(id="series_id", time="date", target="value", covariates=covariates),
                          panel=panel)


class CsvHistorySource:
    """HistorySource over a CSV or Parquet file path: the series to forecast, each from its own last date."""

    def read(self, path: str, columns: ColumnSpec = RECOGNISE) -> HistoryRows:
        raw, _ = read_file(path)
        return read_history(raw, source=path, columns=columns)

    def parse(self, content: bytes, name: str) -> HistoryRows:
        return read_history(parse_file(content, name), source=name)
