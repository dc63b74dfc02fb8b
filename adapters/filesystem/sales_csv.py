"""Reads a long sales table (CSV or Parquet), or makes the synthetic one when no file is given."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.table import SalesTable, sales_table, validate
from domain.columns import RECOGNISE, ColumnSpec
from domain.errors import DataError

SYNTHETIC_NAME = "synthetic_walmart"
PARQUET_SUFFIXES = (".parquet", ".pq")


class CsvSalesSource:
    """SalesSource over a CSV or Parquet file path; None means the built-in synthetic table."""

    def load(self, path: str | None, name: str | None = None, columns: ColumnSpec = RECOGNISE) -> SalesTable:
        if path is None:
            raw = synthetic_walmart()
            content = raw.to_csv(index=False).encode()
            frame, choice = validate(raw, source="the synthetic table", spec=columns)
            return sales_table(frame, name=name or SYNTHETIC_NAME, source="synthetic", content=content, columns=choice)
        file = Path(path)
        if not file.is_file():
            raise DataError(f"data file not found: {path}")
        parquet = file.suffix.lower() in PARQUET_SUFFIXES
        try:
            content = file.read_bytes()
            if parquet:
                raw = pd.read_parquet(io.BytesIO(content))
            else:
                raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:  # pandas' and pyarrow's parse errors are ValueErrors
            kind = "Parquet" if parquet else "CSV"
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DataError(f"cannot read {path} as a {kind} table: {reason}") from exc
        raw.columns = [str(c).strip() for c in raw.columns]
        frame, choice = validate(raw, source=str(path), spec=columns)
        return sales_table(frame, name=name or file.stem.lower(), source=str(file.resolve()), content=content,
                           columns=choice)
