"""ModelLoader over the MLflow Model Registry: a registered version, downloaded and ready to answer."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.mlflow.errors import tracking_errors
from application.ports import History
from domain.covariates import Covariate
from domain.errors import InvalidValueError, UnknownModelError, UnknownSeriesError
from domain.forecasts import ForecastPoint
from domain.models import ModelVersion

_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
_INVALID = "INVALID_PARAMETER_VALUE"


class PyfuncForecastModel:
    """A registered PortfolioForecaster, ready to answer from its stored origin or from a history.

    The stored origin's forecast was computed at training for every step up to the horizon limit;
    a request slices it and scales the interval widths of its confidence level. A history is
    forecast by the version's fitted member, as `mlflow.pyfunc` forecasts it; what is wrong with one
    is an InvalidValueError naming the series and the date.
    """

    def __init__(self, forecaster: PortfolioForecaster) -> None:
        self._forecaster = forecaster
        self.series_ids = tuple(forecaster.series)
        self.dataset: str = getattr(forecaster, "dataset", "")  # versions from before the actuals store: none
        self.last_period: date = forecaster.last_period
        self.max_horizon, self.unit = forecaster.max_horizon, forecaster.unit
        frequency = getattr(forecaster, "frequency", None)  # versions from before histories have none
        self.frequency = frequency.code if frequency is not None else ""
        self.default_horizon = frequency.default_horizon if frequency is not None else min(12, self.max_horizon)
        self.history_periods: int | None = getattr(forecaster, "history_periods", None)
        layout = getattr(forecaster, "layout", None)  # versions from before covariates have none
        self.covariates: tuple[Covariate, ...] = layout.covariates() if layout is not None else ()
        self._baseline = np.asarray(getattr(forecaster, "baseline", np.zeros(len(self.series_ids), dtype=bool)))
        self._dates = [date.fromisoformat(d) for d in forecaster.dates]
        self._widths: dict[float, np.ndarray] = {}

    def _half_widths(self, confidence: float) -> np.ndarray:
        if confidence not in self._widths:  # once per level, whatever the version caches itself
            self._widths[confidence] = self._forecaster.half_widths(confidence)
        return self._widths[confidence]

    def half_widths(self, confidence: float) -> list[float]:
        return self._half_widths(confidence).tolist()

    def _rows(self, series_ids: Sequence[str]) -> list[int]:
        rows = [self._forecaster.row(s) for s in series_ids]
        unknown = [s for s, row in zip(series_ids, rows) if row is None]
        if unknown:
            raise UnknownSeriesError(f"unknown series_id {', '.join(unknown[:5])}; this model knows "
                                     f"{len(self.series_ids):,} series: {self._forecaster.known()}; send its "
                                     "history to forecast any other series")
        return [row for row in rows if row is not None]

    def history(self, series_id: str) -> tuple[tuple[date, float], ...]:
        (row,) = self._rows([series_id])
        carried = self._forecaster
        seasonality = getattr(carried, "seasonality", None)  # versions from before histories carry only the tail
        shown = -(seasonality.shown_history if seasonality is not None else len(carried.periods))
        values = carried.history[shown:, row]
        periods = carried.periods[shown:].astype(object)  # datetime64[D] -> datetime.date
        return tuple((day, float(v)) for day, v in zip(periods, values) if np.isfinite(v))  # from its first period

    def _check_horizon(self, horizon: int) -> None:
        if not 1 <= horizon <= self.max_horizon:
            raise InvalidValueError(f"horizon must be in 1..{self.max_horizon} {self.unit}s for this model, "
                                    f"not {horizon}")

    def forecast(self, series_ids: Sequence[str], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        rows = self._rows(series_ids)
        self._check_horizon(horizon)
        table = self._forecaster.predictions
        dates = [self._dates[:horizon]] * len(rows)
        predictions = table[rows, :horizon]
        return _points(series_ids, [self.last_period] * len(rows), self._baseline[rows], dates, predictions,
                       self._bounds(predictions, confidence))

    def forecast_history(self, history: History, series_ids: Sequence[str] | None, horizon: int,
                         confidence: float | None) -> tuple[ForecastPoint, ...]:
        self._check_horizon(horizon)
        if not hasattr(self._forecaster, "forecast_history"):
            raise InvalidValueError("this version was registered before versions forecast from a history: it "
                                    "answers from its training origin only; retrain to get one that does")
        ids, dates, values = history.rows()
        uses = getattr(self._forecaster, "layout", None)  # a version registered before covariates has none
        try:
            found = self._forecaster.forecast_history(ids, dates, values, horizon, None, series_ids,
                                                      **({"covariates": history.columns()} if uses else {}))
        except MlflowException as exc:
            if exc.error_code == _INVALID:
                raise InvalidValueError(exc.message) from None
            raise
        return _points(found.series, found.origins, found.baseline, found.dates, found.predictions,
                       self._bounds(found.predictions, confidence))

    def _bounds(self, predictions: np.ndarray, confidence: float | None) -> tuple[np.ndarray, np.ndarray] | None:
        if confidence is None:
            return None
        spread = self._half_widths(confidence)[: predictions.shape[1]] * predictions
        return np.minimum(np.maximum(predictions - spread, 0.0), predictions), predictions + spread  # as the pyfunc


def _points(series: Sequence[str], origins: Sequence[date], baseline: np.ndarray, dates: Sequence[Sequence[date]],
            predictions: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> tuple[ForecastPoint, ...]:
    points = []
    flags = baseline.tolist()
    for k, name in enumerate(series):
        steps, origin, flag = dates[k], origins[k], flags[k]
        values = predictions[k].tolist()
        if bounds is None:
            points += [ForecastPoint(series_id=name, step=h + 1, date=steps[h], prediction=p, origin=origin,
                                     baseline=flag) for h, p in enumerate(values)]
            continue
        lower, upper = bounds[0][k].tolist(), bounds[1][k].tolist()
        points += [ForecastPoint(series_id=name, step=h + 1, date=steps[h], prediction=p, lower=lo, upper=up,
                                 origin=origin, baseline=flag)
                   for h, (p, lo, up) in enumerate(zip(values, lower, upper))]
    return tuple(points)


class MlflowModelLoader:
    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri
        self._client = MlflowClient(tracking_uri, tracking_uri)

    def load(self, version: ModelVersion) -> PyfuncForecastModel:
        # Ask this registry where the version's files are, download them with this tracking URI
        # and load from disk: no process-wide MLflow setting is read or changed.
        with tracking_errors(self._uri, f"loading {version.uri}"), tempfile.TemporaryDirectory() as folder:
            try:
                location = self._client.get_model_version_download_uri(version.name, str(version.version))
            except MlflowException as exc:
                if exc.error_code in _NOT_FOUND:
                    raise UnknownModelError(f"model {version.name!r} has no version {version.version}") from None
                raise
            local = mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=folder, tracking_uri=self._uri)
            loaded = mlflow.pyfunc.load_model(local)
        return PyfuncForecastModel(loaded.unwrap_python_model())
