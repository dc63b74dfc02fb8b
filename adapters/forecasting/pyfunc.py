"""The registered model: estimator + feature pipeline + history tail + interval calibration.

It is saved as an MLflow pyfunc model whose code travels inside the pickle (see
`self_contained_modules`), so `mlflow.pyfunc.load_model` and `mlflow models serve` need
only the libraries in its requirements, not this project.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc.model import PythonModel

from adapters.forecasting.estimators import Estimator
from adapters.forecasting.features import HISTORY_WEEKS, origin_rows
from adapters.forecasting.table import Panel
from domain.forecasts import DEFAULT_CONFIDENCE, MAX_HORIZON

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

    def counts(self) -> dict[int, int]:
        return {step: len(s) for step, s in self.scores.items()}


def _invalid(message: str) -> MlflowException:
    # INVALID_PARAMETER_VALUE makes `mlflow models serve` answer 400 with this message.
    return MlflowException(message, error_code=INVALID_PARAMETER_VALUE)


class PortfolioForecaster(PythonModel):
    def __init__(self, *, model_key: str, estimator: Estimator, history: Panel, calibration: Calibration,
                 requirements: list[str]) -> None:
        self.model_key = model_key
        self.estimator = estimator
        self.history = history.tail(HISTORY_WEEKS)
        self.calibration = calibration
        self.requirements = requirements

    @property
    def last_week(self) -> date:
        return self.history.weeks[-1].item()

    @property
    def store_ids(self) -> list[int]:
        return [int(s) for s in self.history.stores]

    def forecast(self, store_ids: list[int], horizon: int, confidence: float | None) -> pd.DataFrame:
        unknown = sorted(set(store_ids) - set(self.store_ids))
        if unknown:
            raise _invalid(
                f"unknown store_id {', '.join(map(str, unknown))}; this model knows stores "
                f"{min(self.store_ids)}..{max(self.store_ids)}"
            )
        if not 1 <= horizon <= MAX_HORIZON:
            raise _invalid(f"horizon must be in 1..{MAX_HORIZON} weeks, not {horizon}")
        if confidence is not None and not 0 < confidence < 1:
            raise _invalid(f"confidence_level must be strictly between 0 and 1, not {confidence}")
        sales = self.history.sales
        origin = len(sales) - 1
        rows = origin_rows(sales, origin, horizon, self.last_week)
        columns = np.searchsorted(self.history.stores, store_ids)
        wanted = np.isin(rows.store, columns)
        prediction = self.estimator.predict(rows.X[wanted]) * rows.level[wanted]
        steps = rows.target[wanted] - origin
        frame = pd.DataFrame(
            {
                "store_id": self.history.stores[rows.store[wanted]],
                "step": steps,
                "date": [(self.last_week + timedelta(weeks=int(s))).isoformat() for s in steps],
                "prediction": prediction,
            }
        )
        if confidence is not None:
            width = np.array([self.calibration.half_width(int(s), confidence) for s in steps]) * prediction
            frame["lower"] = np.minimum(np.maximum(prediction - width, 0.0), prediction)  # sales are never negative
            frame["upper"] = prediction + width
        order = {store: i for i, store in enumerate(store_ids)}
        frame["_order"] = frame["store_id"].map(order)
        return frame.sort_values(["_order", "step"], kind="stable").drop(columns="_order").reset_index(drop=True)

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
    import adapters.forecasting.estimators
    import adapters.forecasting.features
    import adapters.forecasting.table
    import domain.calendar
    import domain.training

    return [
        adapters.forecasting.estimators,
        adapters.forecasting.features,
        adapters.forecasting.table,
        domain.calendar,
        domain.training,
        __import__(__name__, fromlist=["_"]),
    ]
