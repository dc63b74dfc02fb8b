"""ExperimentTracker over MLflow: runs, metrics, artifacts, dataset inputs, registered models."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import cloudpickle
import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.types import ColSpec, Schema

from adapters.forecasting.pyfunc import PortfolioForecaster, self_contained_modules
from adapters.forecasting.table import SalesTable
from adapters.mlflow.errors import tracking_errors
from application.ports import TrainedModel
from domain.models import ModelVersion
from domain.training import MODEL_TYPES

MODEL_ARTIFACT = "model"
SIGNATURE = ModelSignature(
    inputs=Schema(
        [ColSpec("long", "store_id"), ColSpec("long", "horizon"), ColSpec("double", "confidence_level", required=False)]
    ),
    outputs=Schema(
        [ColSpec("long", "store_id"), ColSpec("long", "step"), ColSpec("string", "date"),
         ColSpec("double", "prediction"), ColSpec("double", "lower"), ColSpec("double", "upper")]
    ),
)
INPUT_EXAMPLE = pd.DataFrame({"store_id": [1], "horizon": [12], "confidence_level": [0.9]})


class MlflowTrackedRun:
    def __init__(self, run_id: str, tracking_uri: str) -> None:
        self.run_id = run_id
        self._uri = tracking_uri
        self._model_id: str | None = None

    def log_dataset(self, dataset: SalesTable) -> None:
        with tracking_errors(self._uri, "logging the dataset"), warnings.catch_warnings():
            # MLflow registers its local-file source class twice and warns that the choice is ambiguous.
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            logged = mlflow.data.from_pandas(dataset.frame, source=dataset.info.source, name=dataset.info.name,
                                             digest=dataset.info.sha256[:20])
            mlflow.log_input(logged, context="training")

    def log_trained(self, trained: TrainedModel) -> None:
        servable: PortfolioForecaster = trained.servable
        with tracking_errors(self._uri, "logging the run"), tempfile.TemporaryDirectory() as folder:
            mlflow.log_params(dict(trained.params))
            mlflow.set_tags(dict(trained.tags))
            mlflow.log_metrics(dict(trained.metrics))
            for name, content in trained.artifacts.items():
                (Path(folder) / name).write_bytes(content)
            mlflow.log_artifacts(folder)
            modules = self_contained_modules()
            for module in modules:
                cloudpickle.register_pickle_by_value(module)
            try:
                info = mlflow.pyfunc.log_model(
                    name=MODEL_ARTIFACT, python_model=servable, signature=SIGNATURE,
                    input_example=INPUT_EXAMPLE, pip_requirements=servable.requirements,
                )
            finally:
                for module in modules:
                    cloudpickle.unregister_pickle_by_value(module)
        self._model_id = info.model_id

    def register(self, trained: TrainedModel) -> ModelVersion:
        if self._model_id is None:
            raise RuntimeError("register() needs log_trained() first")
        client = MlflowClient(self._uri, self._uri)
        with tracking_errors(self._uri, f"registering {trained.model_key}"):
            try:
                client.create_registered_model(trained.model_key)
            except MlflowException as exc:
                if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                    raise
            created = client.create_model_version(
                trained.model_key, source=f"models:/{self._model_id}", run_id=self.run_id,
                tags={"model_type": MODEL_TYPES[trained.model_key]}, model_id=self._model_id,
            )
        return ModelVersion(
            name=created.name, version=int(created.version), run_id=created.run_id,
            created_at=datetime.fromtimestamp(created.creation_timestamp / 1000, tz=timezone.utc),
            aliases=tuple(created.aliases or ()),
        )


class MlflowExperimentTracker:
    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri

    @contextmanager
    def start_run(self, experiment: str, run_name: str, tags: Mapping[str, str]) -> Iterator[MlflowTrackedRun]:
        with tracking_errors(self._uri, f"opening experiment {experiment!r}"):
            mlflow.set_tracking_uri(self._uri)
            mlflow.set_registry_uri(self._uri)
            found = mlflow.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found else mlflow.create_experiment(experiment)
            active = mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(tags))
        try:
            yield MlflowTrackedRun(active.info.run_id, self._uri)
        except BaseException:
            with tracking_errors(self._uri, "marking the run FAILED"):
                mlflow.end_run(status="FAILED")
            raise
        with tracking_errors(self._uri, "finishing the run"):
            mlflow.end_run(status="FINISHED")
