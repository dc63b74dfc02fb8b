"""Uploaded tables of actual vs predicted values, read with pandas."""

from __future__ import annotations

import csv
import io

import pandas as pd

from domain.errors import DataError
from domain.predictions import PredictionTable

MAX_ROWS = 1_000_000


class CsvPredictionsReader:
    """PredictionsReader for CSV bytes (comma, semicolon or tab separated, UTF-8)."""

    def read(self, content: bytes, name: str) -> PredictionTable:
        if not content.strip():
            raise DataError(f"{name} is empty")
        if b"\x00" in content[:4096]:
            raise DataError(f"{name} is not a CSV file: it holds binary data")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(f"{name} is not a UTF-8 CSV file (byte {exc.start} cannot be decoded)") from None
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
            separator = dialect.delimiter
        except csv.Error:
            separator = ","
        header = [name.strip() for name in next(csv.reader(io.StringIO(text), delimiter=separator), [])]
        if any(not name for name in header) or len(set(header)) != len(header):
            raise DataError(f"{name} needs one unique, non-empty name per column in its header line, not {header}")
        try:
            frame = pd.read_csv(io.StringIO(text), sep=separator, skipinitialspace=True, nrows=MAX_ROWS + 1)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise DataError(f"{name} is not a readable CSV file: {str(exc).strip().splitlines()[-1]}") from None
        if not isinstance(frame.index, pd.RangeIndex):  # pandas' reading of one field too many per row
            raise DataError(f"{name} is not a readable CSV file: its rows have more fields than its header line")
        if len(frame) > MAX_ROWS:
            raise DataError(f"{name} has more than {MAX_ROWS:,} rows")
        if frame.empty:
            raise DataError(f"{name} has a header but no rows")
        frame.columns = header
        columns: dict[str, tuple] = {}
        numeric: list[str] = []
        for column in frame.columns:
            values = frame[column]
            present = values.notna()
            as_numbers = _numbers(values)
            if present.any() and as_numbers is not None and as_numbers.notna().sum() == present.sum():
                numeric.append(column)  # NaN stands for an empty cell, as the domain reads it
                columns[column] = tuple(as_numbers.astype(float).tolist())
            else:
                columns[column] = tuple(values.astype(object).where(present, None).tolist())
        return PredictionTable(name=name, columns=columns, numeric=tuple(numeric))


def _numbers(values: pd.Series) -> pd.Series | None:
    """The column as numbers (NaN where a cell is not one); None at once when its first cells are
    text, so a million dates are not parsed as numbers only to be refused."""
    if pd.api.types.is_numeric_dtype(values):
        return values
    if pd.to_numeric(values.dropna().head(100), errors="coerce").isna().any():
        return None
    return pd.to_numeric(values, errors="coerce")
