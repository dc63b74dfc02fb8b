"""The registered model: a fitted member that forecasts from the history it is given, or from the
last period it was trained on.

A version keeps its fitted member (fitted.py: estimators, the feature pipeline's seasonality and
calendar, statistical specifications, the ensemble's components and weights), its interval
calibration, the training table and the forecast from the training table's last period (the
stored origin, computed at training by the same member, for every step up to the horizon limit).
Two ways to ask, one model:

- stored origin: rows of `series_id, horizon, confidence_level`; the stored forecast, sliced;
- from a history: rows of `series_id, date, value` (the long format of a training table, ISO
  dates) with MLflow params `horizon` and `confidence_level`; each series is forecast from the
  last date of its own rows, and the rows given are the whole history used.

Estimators are saved in their library's own format beside the pickle (see `detached` and
`load_context`); the project's forecasting code travels inside the pickle (`self_contained_modules`),
so `mlflow.pyfunc.load_model` and `mlflow models serve` need the libraries in `requirements`, not
the project, and a version keeps answering as it was trained whatever the project becomes.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc.model import PythonModel

from adapters.forecasting import frames
from adapters.forecasting.calibration import Calibration
from adapters.forecasting.covariates import NO_COVARIATES, CovariateGrid, CovariateLayout
from adapters.forecasting.fitted import Fitted
from adapters.forecasting.history import Column, HistoryError, HistoryForecast, HistoryPanel, panels
from adapters.forecasting.requested import CovariateError, panel_grids, request_rows
from adapters.forecasting.seasonality import Seasonality
from domain.forecasts import ForecastPoint, is_number
from domain.frequency import Frequency


class PortfolioForecaster(PythonModel):
    """A fitted member with what it needs to forecast and to bound its forecasts.

    predictions[series, step - 1] is the forecast from the training table's last period;
    history[:, series] the training table (NaN before a series started)."""

    def __init__(self, *, model_key: str, dataset: str, member: Fitted, seasonality: Seasonality, series: np.ndarray,
                 periods: np.ndarray, predictions: np.ndarray, baseline: np.ndarray, history: np.ndarray,
                 calibration: Calibration, history_periods: int, requirements: list[str],
                 layout: CovariateLayout = NO_COVARIATES,
                 static: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.model_key = model_key
        self.dataset = dataset  # the name of the table it was trained on
        self.member = member
        self.seasonality = seasonality  # the frequency and holiday calendar its features were built on
        self.series = [str(s) for s in series]  # ids as the table has them
        self.periods = periods  # datetime64[D] of the training table, ascending; the last is the origin
        self.predictions = predictions  # series x steps, from the last period
        self.baseline = baseline  # which series the baseline forecast from the last period
        self.history = history  # periods x series
        self.calibration = calibration
        self.history_periods = history_periods  # periods of history for every feature of every part
        self.requirements = requirements
        self.layout = layout  # the covariates its member uses
        self.static = dict(static or {})  # static covariate -> {series it was trained on: its (coded) value}
        frequency = seasonality.frequency
        self.dates = [d.isoformat() for d in frequency.after(self.last_period, self.max_horizon)]
        self._rows = {name: row for row, name in enumerate(self.series)}
        self._widths: dict[float, np.ndarray] = {}  # half widths per confidence level

    @property
    def frequency(self) -> Frequency:
        return self.seasonality.frequency

    @property
    def unit(self) -> str:
        return self.frequency.unit

    @property
    def last_period(self) -> date:
        return self.periods[-1].item()

    @property
    def max_horizon(self) -> int:
        return self.predictions.shape[1]

    def row(self, series_id: str) -> int | None:
        return self._rows.get(series_id)

    def known(self) -> str:
        """The ids this version was trained on, as messages name them."""
        numbers = [int(s) for s in self.series if is_number(s)]
        if len(numbers) == len(self.series) and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{self.series[0]}..{self.series[-1]}"
        return ", ".join(self.series[:3]) + (f" and {len(self.series) - 3:,} more" if len(self.series) > 3 else "")

    def half_widths(self, confidence: float) -> np.ndarray:
        if confidence not in self._widths:  # a few confidence levels are asked for again and again
            self._widths[confidence] = np.array([self.calibration.half_width(step, confidence)
                                                 for step in range(1, self.max_horizon + 1)])
        return self._widths[confidence]

    def bounds(self, predictions: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """The interval of predictions (series x steps from 1), never below zero."""
        width = self.half_widths(confidence)[: predictions.shape[1]] * predictions
        return np.minimum(np.maximum(predictions - width, 0.0), predictions), predictions + width

    def check(self, horizon: int, confidence: float | None) -> None:
        if not 1 <= horizon <= self.max_horizon:
            raise frames.invalid(f"horizon must be in 1..{self.max_horizon} {self.unit}s, not {horizon}")
        if confidence is not None and not 0 < confidence < 1:
            raise frames.invalid(f"confidence_level must be strictly between 0 and 1, not {confidence}")

    def _check(self, series_ids: list[str], horizon: int, confidence: float | None) -> None:
        unknown = [s for s in dict.fromkeys(series_ids) if s not in self._rows]
        if unknown:
            raise frames.invalid(f"unknown series_id {', '.join(unknown[:5])}; this model knows {len(self.series):,} "
                           f"series: {self.known()}")
        self.check(horizon, confidence)

    def forecast(self, series_ids: list[str], horizon: int, confidence: float | None) -> pd.DataFrame:
        """The stored forecast of these series (from the training table's last period)."""
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
            lower, upper = self.bounds(prediction, confidence)
            frame["lower"], frame["upper"] = lower.ravel(), upper.ravel()
        return frame

    def training_forecast(self, confidence: float) -> tuple[ForecastPoint, ...]:
        """Every series' forecast for every step from the training origin, with its interval."""
        lower, upper = self.bounds(self.predictions, confidence)
        dates = [date.fromisoformat(d) for d in self.dates]
        origin = self.last_period
        return tuple(ForecastPoint(series_id=series, step=h + 1, date=dates[h], prediction=p, lower=lo, upper=up,
                                   origin=origin, baseline=flag)
                     for series, values, lows, ups, flag in zip(self.series, self.predictions.tolist(), lower.tolist(),
                                                                upper.tolist(), self.baseline.tolist())
                     for h, (p, lo, up) in enumerate(zip(values, lows, ups)))

    def forecast_history(self, ids: Column, dates: Column, values: Column, horizon: int, confidence: float | None,
                         wanted: Sequence[str] | None = None,
                         covariates: Mapping[str, Column] | None = None) -> HistoryForecast:
        """Every series of the history (or the `wanted` ones) forecast from the last date of its own
        rows; MlflowException (INVALID_PARAMETER_VALUE) names what is wrong with the request. With
        covariates, the rows carry their columns and rows with an empty value carry the future ones."""
        self.check(horizon, confidence)
        try:
            requested, (ids, dates, values) = request_rows(self.layout, self.frequency, ids, dates, values,
                                                           covariates or {})
            laid_out = panels(ids, dates, values, self.frequency, wanted)
            grids = panel_grids(requested, laid_out, horizon, self.layout, self.seasonality, self.static)
        except (HistoryError, CovariateError) as exc:
            raise frames.invalid(str(exc)) from None
        found = [self._panel_forecast(panel, horizon, grid) for panel, grid in zip(laid_out, grids)]
        by_series = {s: (panel, k, part) for panel, part in zip(laid_out, found) for k, s in enumerate(panel.series)}
        order = list(dict.fromkeys(wanted)) if wanted is not None else [s for p in laid_out for s in p.series]
        predictions = np.array([by_series[s][2][0][:, by_series[s][1]] for s in order]).reshape(len(order), horizon)
        baseline = np.array([bool(by_series[s][2][1][by_series[s][1]]) for s in order], dtype=bool)
        origins = [by_series[s][0].origin for s in order]
        after = {origin: list(self.frequency.after(origin, horizon)) for origin in set(origins)}
        lower, upper = self.bounds(predictions, confidence) if confidence is not None else (None, None)
        return HistoryForecast(order, origins, baseline, [after[o] for o in origins], predictions, lower, upper)

    def _panel_forecast(self, panel: HistoryPanel, horizon: int, grid: CovariateGrid) -> tuple[np.ndarray, np.ndarray]:
        return self.member.window(panel.values, self.seasonality.year_ago(panel.first), horizon, grid)

    def predict(self, context: object, model_input: pd.DataFrame,
                params: dict[str, object] | None = None) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if frames.is_history(frame):
            horizon, confidence = frames.history_params(params or {}, self.frequency.default_horizon)
            ids, days, values = frames.history_input(frame)
            columns = {name: frame[name].to_numpy(dtype=object) for name in self.layout.sent if name in frame.columns}
            return frames.history_output(self.forecast_history(ids, days, values, horizon, confidence,
                                                               covariates=columns))
        asked = frames.stored_input(frame)
        return pd.concat([self.forecast([series], horizon, confidence) for series, horizon, confidence in asked],
                         ignore_index=True)[list(frames.OUTPUT_COLUMNS)]

    @contextmanager
    def detached(self, folder: str) -> Iterator[dict[str, str]]:
        """Its estimators written in their libraries' own formats into `folder` ({name: path}, the
        artifacts of the saved model) and, while the block runs, held nowhere else, so a pickle of
        this model leaves them out; `load_context` reads them back."""
        natives = self.member.natives()
        paths = {name: f"{folder}/{name}{estimator.native}" for name, estimator in natives.items()}
        models = {}
        for name, estimator in natives.items():
            estimator.save(paths[name])
            models[name], estimator.model = estimator.model, None  # type: ignore[attr-defined]
        try:
            yield paths
        finally:
            for name, estimator in natives.items():
                estimator.model = models[name]  # type: ignore[attr-defined]

    def load_context(self, context: Any) -> None:
        natives = self.member.natives()
        for name, path in (context.artifacts or {}).items():
            if name in natives:
                natives[name].load(path)


SELF_CONTAINED = tuple(f"domain.{name}" for name in ("errors", "frequency", "calendar", "forecasts", "covariates")) + \
    tuple(f"adapters.forecasting.{name}" for name in (
        "calendars", "seasonality", "covariates", "requested", "features", "estimators", "statistical", "ensemble",
        "fitted", "history", "calibration", "frames", "pyfunc"))


def self_contained_modules() -> list[ModuleType]:
    """Modules whose code is pickled into the model instead of imported at load time: everything a
    version runs, down to the domain's frequency, calendar, forecasts and errors."""
    return [importlib.import_module(name) for name in SELF_CONTAINED]
