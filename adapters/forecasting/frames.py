"""What `mlflow.pyfunc` and `mlflow models serve` exchange with a registered version: DataFrames.

Stored origin: rows of `series_id, horizon, confidence_level` in, `series_id, step, date,
prediction, lower, upper` out. From a history: rows of `series_id, date, value` in, with params
`horizon` and `confidence_level`; the same columns out, plus `origin` and `baseline`. `store_id`
is the deprecated name of `series_id`. What cannot be read is an MlflowException with
INVALID_PARAMETER_VALUE, which `mlflow models serve` answers with 400 and the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from adapters.forecasting.history import HistoryForecast
from domain.forecasts import DEFAULT_CONFIDENCE, MAX_HISTORY_ROWS

INPUT_COLUMNS = ("series_id", "horizon", "confidence_level")
HISTORY_COLUMNS = ("series_id", "date", "value")
OUTPUT_COLUMNS = ("series_id", "step", "date", "prediction", "lower", "upper")
HISTORY_OUTPUT_COLUMNS = (*OUTPUT_COLUMNS, "origin", "baseline")


def invalid(message: str) -> MlflowException:
    return MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


def _id_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("series_id", "store_id") if c in frame.columns), None)


def is_history(frame: pd.DataFrame) -> bool:
    return _id_column(frame) is not None and {"date", "value"} <= set(frame.columns)


def series(value: Any) -> str:
    """A series id as the table keeps it: 7, 7.0 and "7" are one series."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (np.integer, np.floating)):
        return series(value.item())
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    if not text:
        raise invalid(f"series_id must be a series id, not {value!r}")
    return text


def whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be a whole number, not {value!r}") from None
    if not number.is_integer():
        raise invalid(f"{name} must be a whole number, not {value!r}")
    return int(number)


def stored_input(frame: pd.DataFrame) -> list[tuple[str, int, float]]:
    """(series, horizon, confidence) of each row of a stored-origin request."""
    column = _id_column(frame)
    if column is None or "horizon" not in frame.columns:
        raise invalid(f"input needs columns {', '.join(INPUT_COLUMNS)} (a forecast from the training origin) or "
                      f"{', '.join(HISTORY_COLUMNS)} (a forecast from that history, with params horizon and "
                      "confidence_level); store_id is accepted for series_id")
    asked = []
    for row in frame.to_dict("records"):
        confidence = row.get("confidence_level")
        confidence = DEFAULT_CONFIDENCE if confidence is None or pd.isna(confidence) else float(confidence)
        asked.append((series(row[column]), whole(row["horizon"], "horizon"), confidence))
    return asked


def history_params(params: Mapping[str, object], default_horizon: int) -> tuple[int, float]:
    horizon = whole(params.get("horizon", default_horizon), "horizon")
    confidence = params.get("confidence_level")
    try:
        return horizon, DEFAULT_CONFIDENCE if confidence is None else float(confidence)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise invalid(f"confidence_level must be a number, not {confidence!r}") from None


def history_input(frame: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The ids, dates (datetime64[D]) and values of a history request; its size is checked first."""
    if len(frame) > MAX_HISTORY_ROWS:
        raise invalid(f"history: a history has 1..{MAX_HISTORY_ROWS:,} rows, not {len(frame):,}")
    ids = [series(value) for value in frame[_id_column(frame)].tolist()]
    days = pd.to_datetime(frame["date"], format="ISO8601", errors="coerce")
    if days.isna().any():
        row = int(np.argmax(days.isna().to_numpy()))
        raise invalid(f"history: series {ids[row]}: date {frame['date'].iloc[row]!r} is not an ISO date such as "
                      "2012-02-03")
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(np.float64)
    return ids, days.to_numpy().astype("datetime64[D]"), values


def history_output(found: HistoryForecast) -> pd.DataFrame:
    steps = found.predictions.shape[1]
    frame = pd.DataFrame({
        "series_id": np.repeat(np.asarray(found.series, dtype=object), steps),
        "step": np.tile(np.arange(1, steps + 1), len(found.series)),
        "date": [d.isoformat() for dates in found.dates for d in dates],
        "prediction": found.predictions.ravel(),
        "lower": found.lower.ravel() if found.lower is not None else np.nan,
        "upper": found.upper.ravel() if found.upper is not None else np.nan,
        "origin": np.repeat([o.isoformat() for o in found.origins], steps),
        "baseline": np.repeat(found.baseline, steps),
    })
    return frame[list(HISTORY_OUTPUT_COLUMNS)]
