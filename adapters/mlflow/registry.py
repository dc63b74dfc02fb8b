"""ModelRegistry and ModelLoader over the MLflow Model Registry.

Model names reach MLflow only as registry names inside `models:/` URIs, never as paths.
Promotions are recorded as model-version tags `promotion.<epoch ms>` holding JSON.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion
from mlflow.exceptions import MlflowException

from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.mlflow.errors import tracking_errors
from domain.errors import TrackingUnavailableError, UnknownModelError, UnknownStoreError
from domain.forecasts import MAX_HORIZON, ForecastPoint
from domain.models import LEGACY_STAGES, STAGE_ALIASES, ModelVersion, Promotion, RegisteredModel
from domain.runs import from_epoch_ms

PROMOTION_TAG = "promotion."
_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")


T = TypeVar("T")


def _version(found: MlflowModelVersion) -> ModelVersion:
    stage = found.current_stage if found.current_stage in LEGACY_STAGES else "None"
    return ModelVersion(name=found.name, version=int(found.version), run_id=found.run_id,
                        created_at=from_epoch_ms(found.creation_timestamp), aliases=tuple(found.aliases or ()),
                        stage=stage, tags=dict(found.tags or {}))


class MlflowModelRegistry:
    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri
        self._client = MlflowClient(tracking_uri, tracking_uri)

    def _call(self, doing: str, call: Callable[[], T], *, missing: str | None = None) -> T:
        try:
            with tracking_errors(self._uri, doing):
                return call()
        except TrackingUnavailableError as exc:
            cause = exc.__cause__
            if missing and isinstance(cause, MlflowException) and cause.error_code in _NOT_FOUND:
                raise UnknownModelError(missing) from None
            raise

    def _latest(self, name: str) -> MlflowModelVersion:
        found = self._call(f"reading {name}", lambda: self._client.search_model_versions(
            f"name = '{name}'", order_by=["version_number DESC"], max_results=1))
        if not found:
            raise UnknownModelError(f"no registered model {name!r}")
        return found[0]

    def models(self) -> list[RegisteredModel]:
        registered = self._call(
            "listing registered models", lambda: self._client.search_registered_models(max_results=1000)
        )
        listed = []
        for model in registered:
            latest = _version(self._latest(model.name))
            listed.append(RegisteredModel(name=model.name, latest=latest, metrics=self.test_metrics(latest),
                                          aliases={a: int(v) for a, v in (model.aliases or {}).items()}))
        return listed

    def resolve(self, name: str, ref: str) -> ModelVersion:
        if ref.isdigit():
            try:
                return _version(
                    self._call(
                        f"reading {name} version {ref}",
                        lambda: self._client.get_model_version(name, ref),
                        missing=f"model {name!r} has no version {ref}",
                    )
                )
            except UnknownModelError:
                self._latest(name)  # says "no registered model" when that is the reason
                raise
        if ref == "latest":
            return _version(self._latest(name))
        alias = STAGE_ALIASES.get(ref.lower(), ref)
        try:
            return _version(
                self._call(
                    f"reading {name}@{alias}",
                    lambda: self._client.get_model_version_by_alias(name, alias),
                    missing=f"model {name!r} has no alias {alias!r}",
                )
            )
        except UnknownModelError:
            staged = self._staged(name, ref)
            if staged is None:
                self._latest(name)  # says "no registered model" when that is the reason
                raise
            return staged

    def _staged(self, name: str, stage: str) -> ModelVersion | None:
        """A version still in a legacy registry stage (set before aliases existed)."""
        if stage.capitalize() not in LEGACY_STAGES:
            return None
        found = self._call(f"reading {name}", lambda: self._client.search_model_versions(f"name = '{name}'"))
        staged = [v for v in found if v.current_stage == stage.capitalize()]
        return _version(max(staged, key=lambda v: int(v.version))) if staged else None

    def test_metrics(self, version: ModelVersion) -> dict[str, float]:
        run_id = version.run_id
        if not run_id:
            return {}
        run = self._call(f"reading run {run_id}", lambda: self._client.get_run(run_id))
        return {k: v for k, v in run.data.metrics.items() if k.startswith("test_")}

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        found = self._call(f"reading the versions of run {run_id}",
                           lambda: self._client.search_model_versions(f"run_id = '{run_id}'"))
        return [_version(v) for v in found]

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._call(
            f"setting {name}@{alias}", lambda: self._client.set_registered_model_alias(name, alias, str(version))
        )

    def record_promotion(self, promotion: Promotion) -> None:
        record = {
            "model": promotion.model,
            "alias": promotion.alias,
            "to_version": promotion.to_version,
            "from_version": promotion.from_version,
            "who": promotion.who,
            "when": promotion.when.isoformat(),
            "metrics": dict(promotion.metrics),
            "previous_metrics": dict(promotion.previous_metrics),
            "stage": promotion.stage,
            "evidence": promotion.evidence,
        }
        key = f"{PROMOTION_TAG}{int(promotion.when.timestamp() * 1000)}"
        self._call("recording the promotion", lambda: self._client.set_model_version_tag(
            promotion.model, str(promotion.to_version), key, json.dumps(record)))

    def promotions(self, name: str) -> list[Promotion]:
        versions = self._call(f"reading {name}", lambda: self._client.search_model_versions(f"name = '{name}'"))
        found = []
        for version in versions:
            for key, value in (version.tags or {}).items():
                if key.startswith(PROMOTION_TAG):
                    record = json.loads(value)
                    found.append(Promotion(
                        model=record["model"], alias=record["alias"], to_version=record["to_version"],
                        from_version=record["from_version"], who=record["who"],
                        when=datetime.fromisoformat(record["when"]), metrics=record["metrics"],
                        previous_metrics=record["previous_metrics"], stage=record.get("stage"),
                        evidence=record.get("evidence"),
                    ))
        return sorted(found, key=lambda p: p.when)

    def reachable(self) -> bool:
        try:
            self._call("checking health", lambda: self._client.search_registered_models(max_results=1))
            return True
        except TrackingUnavailableError:
            return False


class PyfuncForecastModel:
    """A registered PortfolioForecaster, ready to answer any request from a table.

    A version forecasts from one fixed origin (its last training week), so its whole answer
    space is one forecast per store and step: computed once here, through the model's own
    pipeline, for 52 weeks. A request then slices that table and scales the interval widths
    of its confidence level.
    """

    def __init__(self, forecaster: PortfolioForecaster) -> None:
        self._forecaster = forecaster
        self.store_ids = tuple(int(s) for s in forecaster.store_ids)
        self.last_week: date = forecaster.last_week
        table = forecaster.forecast(list(self.store_ids), MAX_HORIZON, None)
        self._row = {store: i for i, store in enumerate(self.store_ids)}
        self._predictions = table["prediction"].to_numpy().reshape(len(self.store_ids), MAX_HORIZON)
        self._dates = [date.fromisoformat(d) for d in table["date"][:MAX_HORIZON]]
        self._widths: dict[float, np.ndarray] = {}

    def _half_widths(self, confidence: float) -> np.ndarray:
        if confidence not in self._widths:
            self._widths[confidence] = np.array(
                [self._forecaster.calibration.half_width(step, confidence) for step in range(1, MAX_HORIZON + 1)])
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
        carried = self._forecaster.history
        weeks = carried.weeks.astype(object)  # datetime64[D] -> datetime.date
        return tuple(zip(weeks, (float(v) for v in carried.sales[:, self._row[store_id]])))

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
            location = self._client.get_model_version_download_uri(version.name, str(version.version))
            local = mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=folder, tracking_uri=self._uri)
            loaded = mlflow.pyfunc.load_model(local)
        return PyfuncForecastModel(loaded.unwrap_python_model())
