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
from domain.errors import InvalidValueError, UnknownModelError, UnknownSeriesError
from domain.forecasts import ForecastPoint
from domain.models import ModelVersion

_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


class PyfuncForecastModel:
    """A registered PortfolioForecaster, ready to answer any request from its table.

    A version forecasts from one fixed origin (its last training period), so its whole answer
    space is one forecast per series and step, carried by the version for every step up to the
    horizon limit of its frequency. A request slices that table and scales the interval widths
    of its confidence level.
    """

    def __init__(self, forecaster: PortfolioForecaster) -> None:
        self._forecaster = forecaster
        self.series_ids = tuple(forecaster.series)
        self.last_period: date = forecaster.last_period
        self.max_horizon, self.unit = forecaster.max_horizon, forecaster.unit
        self._dates = [date.fromisoformat(d) for d in forecaster.dates]
        self._widths: dict[float, np.ndarray] = {}

    def _half_widths(self, confidence: float) -> np.ndarray:
        if confidence not in self._widths:
            self._widths[confidence] = self._forecaster.half_widths(confidence)
        return self._widths[confidence]

    def _rows(self, series_ids: Sequence[str]) -> list[int]:
        rows = [self._forecaster.row(s) for s in series_ids]
        unknown = [s for s, row in zip(series_ids, rows) if row is None]
        if unknown:
            raise UnknownSeriesError(f"unknown series_id {', '.join(unknown[:5])}; this model knows "
                                     f"{len(self.series_ids):,} series: {self._forecaster.known()}")
        return [row for row in rows if row is not None]

    def history(self, series_id: str) -> tuple[tuple[date, float], ...]:
        (row,) = self._rows([series_id])
        carried = self._forecaster
        values = carried.history[:, row]
        periods = carried.periods.astype(object)  # datetime64[D] -> datetime.date
        return tuple((day, float(v)) for day, v in zip(periods, values) if np.isfinite(v))  # from its first period

    def forecast(self, series_ids: Sequence[str], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        rows = self._rows(series_ids)
        if not 1 <= horizon <= self.max_horizon:
            raise InvalidValueError(f"horizon must be in 1..{self.max_horizon} {self.unit}s for this model, "
                                    f"not {horizon}")
        table = self._forecaster.predictions
        dates = self._dates[:horizon]
        widths = self._half_widths(confidence)[:horizon] if confidence is not None else None
        points = []
        for series, row in zip(series_ids, rows):
            predictions = table[row, :horizon]
            if widths is None:
                points += [ForecastPoint(series_id=series, step=h + 1, date=dates[h], prediction=float(p))
                           for h, p in enumerate(predictions.tolist())]
                continue
            spread = widths * predictions
            lower = np.minimum(np.maximum(predictions - spread, 0.0), predictions)  # as the pyfunc model bounds it
            upper = predictions + spread
            points += [ForecastPoint(series_id=series, step=h + 1, date=dates[h], prediction=p, lower=lo, upper=up)
                       for h, (p, lo, up) in enumerate(zip(predictions.tolist(), lower.tolist(), upper.tolist()))]
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
