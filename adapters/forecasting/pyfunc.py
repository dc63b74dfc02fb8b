"""The registered model: a member's forecast from the last period of its data, with its interval
calibration and the history it forecast from.

A registered version forecasts from one fixed origin, the last period it was trained on, so
everything it can answer is one forecast per series and step: the member computes it once, at
training, for every step up to the horizon limit, and the version carries that table. Every
member (machine learning, statistical, ensemble) is so the same kind of version, whatever
libraries it was fitted with, and it loads and answers without them. It is saved as an MLflow
pyfunc model whose code travels inside the pickle (see `self_contained_modules`), so
`mlflow.pyfunc.load_model` and `mlflow models serve` need only mlflow, pandas and numpy.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc.model import PythonModel

from domain.forecasts import DEFAULT_CONFIDENCE

INPUT_COLUMNS = ("series_id", "horizon", "confidence_level")  # store_id: the deprecated name of series_id
OUTPUT_COLUMNS = ("series_id", "step", "date", "prediction", "lower", "upper")


@dataclass(frozen=True)
class Calibration:
    """Split-conformal interval widths per step, from out-of-sample relative errors.

    The score of a forecast is |actual - prediction| / prediction. The scores for step h
    come from the most recent out-of-sample window that reached step h (models improve as
    history grows, so older windows overstate today's error), pooled over steps h-1..h+1
    for a steadier quantile. For confidence c the half-width is the ceil((n+1)c)-th smallest
    of those n scores; a step no window reached borrows the nearest step's scores.
    """

    scores: dict[int, np.ndarray]  # step -> sorted scores

    @classmethod
    def from_windows(cls, windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Calibration:
        """windows: (steps, actual, predicted) per forecast origin, oldest first."""
        scores: dict[int, np.ndarray] = {}
        for steps, actual, predicted in windows:  # newer windows overwrite older ones
            with np.errstate(invalid="ignore", divide="ignore"):
                relative = np.abs(actual - predicted) / np.abs(predicted)
            known = np.isfinite(relative)  # a series not started yet, or a zero forecast, says nothing
            for step in np.unique(steps[known]):
                scores[int(step)] = np.sort(relative[known & (np.abs(steps - step) <= 1)])
        if not scores:
            raise ValueError("interval calibration needs at least one out-of-sample window")
        return cls(dict(sorted(scores.items())))

    def half_width(self, step: int, confidence: float) -> float:
        nearest = min(self.scores, key=lambda s: (abs(s - step), -s))
        scores = self.scores[nearest]
        rank = min(len(scores), math.ceil((len(scores) + 1) * confidence))
        return float(scores[rank - 1])


def _invalid(message: str) -> MlflowException:
    # INVALID_PARAMETER_VALUE makes `mlflow models serve` answer 400 with this message.
    return MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


class PortfolioForecaster(PythonModel):
    """predictions[series, step - 1] from the last period; history[:, series] the periods before it."""

    def __init__(self, *, model_key: str, series: np.ndarray, periods: np.ndarray, dates: list[str],
                 predictions: np.ndarray, history: np.ndarray, calibration: Calibration, unit: str,
                 requirements: list[str]) -> None:
        self.model_key = model_key
        self.series = [str(s) for s in series]  # ids as the table has them
        self.periods = periods  # datetime64[D] of the history, ascending; the last is the origin
        self.dates = dates  # ISO dates of steps 1..max_horizon after the origin
        self.predictions = predictions  # series x steps
        self.history = history  # periods x series, NaN before a series started
        self.calibration = calibration
        self.unit = unit  # what a period is: day, week, month
        self.requirements = requirements
        self._rows = {name: row for row, name in enumerate(self.series)}

    @property
    def last_period(self) -> date:
        return self.periods[-1].item()

    @property
    def max_horizon(self) -> int:
        return self.predictions.shape[1]

    def row(self, series_id: str) -> int | None:
        return self._rows.get(series_id)

    def known(self) -> str:
        """The ids this version forecasts, as messages name them (here, not in the domain: a
        registered version loads without the project's packages)."""
        numbers = [int(s) for s in self.series if s.isdigit()]
        if len(numbers) == len(self.series) and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{self.series[0]}..{self.series[-1]}"
        return ", ".join(self.series[:3]) + (f" and {len(self.series) - 3:,} more" if len(self.series) > 3 else "")

    def half_widths(self, confidence: float) -> np.ndarray:
        return np.array([self.calibration.half_width(step, confidence) for step in range(1, self.max_horizon + 1)])

    def _check(self, series_ids: list[str], horizon: int, confidence: float | None) -> None:
        unknown = [s for s in dict.fromkeys(series_ids) if s not in self._rows]
        if unknown:
            raise _invalid(f"unknown series_id {', '.join(unknown[:5])}; this model knows {len(self.series):,} "
                           f"series: {self.known()}")
        if not 1 <= horizon <= self.max_horizon:
            raise _invalid(f"horizon must be in 1..{self.max_horizon} {self.unit}s, not {horizon}")
        if confidence is not None and not 0 < confidence < 1:
            raise _invalid(f"confidence_level must be strictly between 0 and 1, not {confidence}")

    def forecast(self, series_ids: list[str], horizon: int, confidence: float | None) -> pd.DataFrame:
        self._check(series_ids, horizon, confidence)
        rows = [self._rows[s] for s in series_ids]
        prediction = self.predictions[rows, :horizon]
        frame = pd.DataFrame({
            "series_id": np.repeat(np.asarray(series_ids, dtype=object), horizon),
            "step": np.tile(np.arange(1, horizon + 1), len(series_ids)),
            "date": np.tile(np.asarray(self.dates[:horizon], dtype=object), len(series_ids)),
            "prediction": prediction.ravel(),
        })
        if confidence is not None:
            width = np.tile(self.half_widths(confidence)[:horizon], len(series_ids)) * frame["prediction"].to_numpy()
            frame["lower"] = np.minimum(np.maximum(frame["prediction"] - width, 0.0), frame["prediction"])
            frame["upper"] = frame["prediction"] + width
        return frame

    def predict(self, context: object, model_input: pd.DataFrame,
                params: dict[str, object] | None = None) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        column = next((c for c in ("series_id", "store_id") if c in model_input.columns), None)
        if column is None or "horizon" not in model_input.columns:
            raise _invalid(f"input needs columns series_id and horizon; columns are {', '.join(INPUT_COLUMNS)} "
                           "(store_id is accepted for series_id)")
        frames = []
        for row in model_input.to_dict("records"):
            series, horizon = _series(row[column]), _whole(row["horizon"], "horizon")
            confidence = row.get("confidence_level")
            confidence = DEFAULT_CONFIDENCE if confidence is None or pd.isna(confidence) else float(confidence)
            frames.append(self.forecast([series], horizon, confidence))
        return pd.concat(frames, ignore_index=True)[list(OUTPUT_COLUMNS)]


def _series(value: Any) -> str:
    """A series id as the table keeps it: 7, 7.0 and "7" are one series."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (np.integer, np.floating)):
        return _series(value.item())
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    if not text:
        raise _invalid(f"series_id must be a series id, not {value!r}")
    return text


def _whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(f"{name} must be a whole number, not {value!r}") from None
    if not number.is_integer():
        raise _invalid(f"{name} must be a whole number, not {value!r}")
    return int(number)


def self_contained_modules() -> list[ModuleType]:
    """Modules whose code is pickled into the model instead of imported at load time."""
    return [sys.modules[__name__]]
