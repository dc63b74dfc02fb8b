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
from domain.errors import UnknownModelError, UnknownStoreError
from domain.forecasts import MAX_HORIZON, ForecastPoint
from domain.models import ModelVersion

_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


class PyfuncForecastModel:
    """A registered PortfolioForecaster, ready to answer any request from a table.

    A version forecasts from one fixed origin (its last training week), so its whole answer
    space is one forecast per store and step, carried by the version for every step up to the
    horizon limit. A request slices that table and scales the interval widths of its
    confidence level.
    """

    def __init__(self, forecaster: PortfolioForecaster) -> None:
        self._forecaster = forecaster
        self.store_ids = tuple(int(s) for s in forecaster.store_ids)
        self.last_week: date = forecaster.last_period
        table = forecaster.forecast(list(self.store_ids), MAX_HORIZON, None)
        self._row = {store: i for i, store in enumerate(self.store_ids)}
        self._predictions = table["prediction"].to_numpy().reshape(len(self.store_ids), MAX_HORIZON)
        self._dates = [date.fromisoformat(d) for d in table["date"][:MAX_HORIZON]]
        self._widths: dict[float, np.ndarray] = {}

    def _half_widths(self, confidence: float) -> np.ndarray:
        if confidence not in self._widths:
            self._widths[confidence] = self._forecaster.half_widths(confidence)
        return self._widths[confidence]

    def _check(self, store_ids: Sequence[int]) -> None:
        unknown = sorted(set(store_ids) - set(self._row))
        if unknown:
            raise UnknownStoreError(
                f"unknown store_id {', '.join(map(str, unknown))}; this model knows stores "
                f"{min(self.store_ids)}..{max(self.store_ids)}"
            )

    def history(self, store_id: int) -> tuple[tuple[date, float], ...]:
        self._check([store_id])
        carried = self._forecaster
        weeks = carried.periods.astype(object)  # datetime64[D] -> datetime.date
        return tuple(zip(weeks, (float(v) for v in carried.history[:, self._row[store_id]])))

    def forecast(self, store_ids: Sequence[int], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        self._check(store_ids)
        points = []
        widths = self._half_widths(confidence)[:horizon] if confidence is not None else None
        for store in store_ids:
            predictions = self._predictions[self._row[store], :horizon]
            if widths is None:
                points += [ForecastPoint(store_id=store, step=h + 1, date=self._dates[h], prediction=float(p))
                           for h, p in enumerate(predictions)]
                continue
            spread = widths * predictions
            lower = np.minimum(np.maximum(predictions - spread, 0.0), predictions)  # as the pyfunc model bounds it
            upper = predictions + spread
            points += [ForecastPoint(store_id=store, step=h + 1, date=self._dates[h], prediction=float(p),
                                     lower=float(lo), upper=float(up))
                       for h, (p, lo, up) in enumerate(zip(predictions, lower, upper))]
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
