"""Reads the Walmart-shaped sales CSV, or makes the synthetic one when no file is given."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.table import SalesTable, sales_table, validate
from domain.errors import DataError

SYNTHETIC_NAME = "synthetic_walmart"


class CsvSalesSource:
    """SalesSource over a CSV file path; None means the built-in synthetic table."""

    def load(self, path: str | None, name: str | None = None) -> SalesTable:
        if path is None:
            raw = synthetic_walmart()
            content = raw.to_csv(index=False).encode()
            frame = validate(raw, source="the synthetic table")
            return sales_table(frame, name=name or SYNTHETIC_NAME, source="synthetic", content=content)
        file = Path(path)
        if not file.is_file():
            raise DataError(f"data file not found: {path}")
        try:
            content = file.read_bytes()
            raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"cannot read {path} as a CSV table: {str(exc).strip() or type(exc).__name__}") from exc
        raw.columns = [str(c).strip() for c in raw.columns]
        frame = validate(raw, source=str(path))
        return sales_table(frame, name=name or file.stem.lower(), source=str(file.resolve()), content=content)
