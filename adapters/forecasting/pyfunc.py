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
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc.model import PythonModel

from domain.forecasts import DEFAULT_CONFIDENCE

INPUT_COLUMNS = ("store_id", "horizon", "confidence_level")
OUTPUT_COLUMNS = ("store_id", "step", "date", "prediction", "lower", "upper")


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
            relative = np.abs(actual - predicted) / np.abs(predicted)
            for step in np.unique(steps):
                scores[int(step)] = np.sort(relative[np.abs(steps - step) <= 1])
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
    """predictions[series, step - 1] from the last period; history[series] the periods before it."""

    def __init__(self, *, model_key: str, series: np.ndarray, periods: np.ndarray, predictions: np.ndarray,
                 history: np.ndarray, calibration: Calibration, requirements: list[str]) -> None:
        self.model_key = model_key
        self.series = series  # ids, ascending
        self.periods = periods  # datetime64[D] of the history, ascending; the last is the origin
        self.predictions = predictions  # series x steps
        self.history = history  # periods x series
        self.calibration = calibration
        self.requirements = requirements

    @property
    def last_period(self) -> date:
        return self.periods[-1].item()

    @property
    def period(self) -> timedelta:
        return (self.periods[-1] - self.periods[-2]).item()

    @property
    def max_horizon(self) -> int:
        return self.predictions.shape[1]

    @property
    def store_ids(self) -> list[int]:
        return [int(s) for s in self.series]

    def half_widths(self, confidence: float) -> np.ndarray:
        return np.array([self.calibration.half_width(step, confidence) for step in range(1, self.max_horizon + 1)])

    def _check(self, store_ids: list[int], horizon: int, confidence: float | None) -> None:
        unknown = sorted(set(store_ids) - set(self.store_ids))
        if unknown:
            raise _invalid(f"unknown store_id {', '.join(map(str, unknown))}; this model knows stores "
                           f"{min(self.store_ids)}..{max(self.store_ids)}")
        if not 1 <= horizon <= self.max_horizon:
            raise _invalid(f"horizon must be in 1..{self.max_horizon} weeks, not {horizon}")
        if confidence is not None and not 0 < confidence < 1:
            raise _invalid(f"confidence_level must be strictly between 0 and 1, not {confidence}")

    def forecast(self, store_ids: list[int], horizon: int, confidence: float | None) -> pd.DataFrame:
        self._check(store_ids, horizon, confidence)
        rows = np.searchsorted(self.series, store_ids)
        prediction = self.predictions[rows, :horizon]
        steps = np.tile(np.arange(1, horizon + 1), len(store_ids))
        frame = pd.DataFrame({
            "store_id": np.repeat(np.asarray(store_ids), horizon), "step": steps,
            "date": [(self.last_period + self.period * int(s)).isoformat() for s in steps],
            "prediction": prediction.ravel(),
        })
        if confidence is not None:
            width = np.tile(self.half_widths(confidence)[:horizon], len(store_ids)) * frame["prediction"].to_numpy()
            frame["lower"] = np.minimum(np.maximum(frame["prediction"] - width, 0.0), frame["prediction"])
            frame["upper"] = frame["prediction"] + width
        return frame

    def predict(self, context: object, model_input: pd.DataFrame,
                params: dict[str, object] | None = None) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        for column in ("store_id", "horizon"):
            if column not in model_input.columns:
                raise _invalid(f"input needs column {column!r}; columns are {', '.join(INPUT_COLUMNS)}")
        frames = []
        for row in model_input.itertuples(index=False):
            store, horizon = _whole(row.store_id, "store_id"), _whole(row.horizon, "horizon")
            confidence = getattr(row, "confidence_level", None)
            confidence = DEFAULT_CONFIDENCE if confidence is None or pd.isna(confidence) else float(confidence)
            frames.append(self.forecast([store], horizon, confidence))
        return pd.concat(frames, ignore_index=True)[list(OUTPUT_COLUMNS)]


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
