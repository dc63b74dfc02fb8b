"""ParquetForecastWriter: a batch of forecasts as one Parquet file, written row group by row group.

Columns: series_id, step, date, prediction, lower, upper (null without intervals), origin (the
period it was forecast from), baseline (the baseline answered: too short for the member's
features), model_name, model_version. The file is written next to its path and moved over it when complete, so a
failed or interrupted batch leaves the previous file (or none) in place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from domain.errors import DataError
from domain.forecasts import ForecastPoint
from domain.models import ModelVersion

SCHEMA = pa.schema([("series_id", pa.string()), ("step", pa.int32()), ("date", pa.date32()),
                    ("prediction", pa.float64()), ("lower", pa.float64()), ("upper", pa.float64()),
                    ("origin", pa.date32()), ("baseline", pa.bool_()), ("model_name", pa.string()),
                    ("model_version", pa.int32())])


class _Sink:
    def __init__(self, writer: pq.ParquetWriter, version: ModelVersion) -> None:
        self._writer, self._version = writer, version

    def write(self, points: Sequence[ForecastPoint]) -> None:
        columns = {
            "series_id": [p.series_id for p in points], "step": [p.step for p in points],
            "date": [p.date for p in points], "prediction": [p.prediction for p in points],
            "lower": [p.lower for p in points], "upper": [p.upper for p in points],
            "origin": [p.origin for p in points], "baseline": [p.baseline for p in points],
            "model_name": [self._version.name] * len(points), "model_version": [self._version.version] * len(points),
        }
        try:
            self._writer.write_table(pa.table(columns, schema=SCHEMA))
        except OSError as exc:
            raise DataError(f"cannot write the forecasts: {exc.strerror or exc}") from exc


class ParquetForecastWriter:
    @contextmanager
    def open(self, path: str, version: ModelVersion) -> Iterator[_Sink]:
        target = Path(path)
        partial = target.with_name(f".{target.name}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(partial, SCHEMA)
        except OSError as exc:
            raise DataError(f"cannot write {path}: {exc.strerror or exc}") from exc
        try:
            yield _Sink(writer, version)
            writer.close()
            os.replace(partial, target)
        finally:
            writer.close()
            partial.unlink(missing_ok=True)
