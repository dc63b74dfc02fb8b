"""ModelRegistry and ModelLoader over the MLflow Model Registry.

Model names reach MLflow only as registry names inside `models:/` URIs, never as paths.
Promotions are recorded as model-version tags `promotion.<epoch ms>` holding JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion
from mlflow.exceptions import MlflowException

from adapters.mlflow.errors import tracking_errors
from domain.errors import TrackingUnavailableError, UnknownModelError
from domain.metrics import SUMMARY_PREFIXES, WINDOW_PREFIXES
from domain.models import LEGACY_STAGES, STAGE_ALIASES, ModelVersion, Promotion, RegisteredModel, version_number
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
            aliases = {a: int(v) for a, v in (model.aliases or {}).items()}
            latest = self._latest_version(model.name, aliases)
            summary = {k: v for k, v in self.evaluation_metrics(latest).items() if k.startswith(SUMMARY_PREFIXES)}
            listed.append(RegisteredModel(name=model.name, latest=latest, metrics=summary, aliases=aliases))
        return listed

    def _latest_version(self, name: str, aliases: dict[str, int]) -> ModelVersion:
        """The newest version with its aliases: one found by search carries none; the registered
        model's `aliases` know them."""
        latest = _version(self._latest(name))
        return replace(latest, aliases=tuple(sorted(a for a, v in aliases.items() if v == latest.version)))

    def resolve(self, name: str, ref: str) -> ModelVersion:
        if ref == "latest":
            model = self._call(f"reading {name}", lambda: self._client.get_registered_model(name),
                               missing=f"no registered model {name!r}")
            return self._latest_version(name, {a: int(v) for a, v in (model.aliases or {}).items()})
        if version_number(ref) is not None:
            missing = f"model {name!r} has no version {ref}"
            found = self._found(f"reading {name} version {ref}", lambda: self._client.get_model_version(name, ref))
        else:
            alias = STAGE_ALIASES.get(ref.lower(), ref)
            missing = f"model {name!r} has no alias {alias!r}"
            found = self._found(f"reading {name}@{alias}", lambda: self._client.get_model_version_by_alias(name, alias))
            found = found or self._staged(name, ref)
        if found is None:
            self._latest(name)  # says "no registered model" when that is the reason
            raise UnknownModelError(missing)
        return found

    def _found(self, doing: str, call: Callable[[], MlflowModelVersion]) -> ModelVersion | None:
        """The version the call finds, None if the registry says there is none."""
        try:
            return _version(self._call(doing, call, missing="not found"))
        except UnknownModelError:
            return None

    def _staged(self, name: str, stage: str) -> ModelVersion | None:
        """A version still in a legacy registry stage (set before aliases existed)."""
        if stage.capitalize() not in LEGACY_STAGES:
            return None
        found = self._call(f"reading {name}", lambda: self._client.search_model_versions(f"name = '{name}'"))
        staged = [v for v in found if v.current_stage == stage.capitalize()]
        return _version(max(staged, key=lambda v: int(v.version))) if staged else None

    def evaluation_metrics(self, version: ModelVersion) -> dict[str, float]:
        run_id = version.run_id
        if not run_id:
            return {}
        run = self._call(f"reading run {run_id}", lambda: self._client.get_run(run_id))
        return {k: v for k, v in run.data.metrics.items() if k.startswith(WINDOW_PREFIXES)}

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
