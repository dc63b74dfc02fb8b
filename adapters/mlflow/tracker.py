"""ExperimentTracker over MLflow: runs, metrics, artifacts, dataset inputs, registered models.

Everything goes through an `MlflowClient` for the tracker's own URI, as the registry and the
run source do: nothing reads or changes MLflow's process-wide tracking URI or active run.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import cloudpickle
import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

from adapters.forecasting.pyfunc import PortfolioForecaster, self_contained_modules
from adapters.forecasting.table import SalesTable
from adapters.mlflow.errors import tracking_errors
from application.ports import TrainedModel
from domain.covariates import describe
from domain.errors import TrainingError
from domain.forecasts import DEFAULT_CONFIDENCE
from domain.models import ModelVersion
from domain.runs import RunStatus, from_epoch_ms
from domain.training import MODEL_TYPES

MODEL_ARTIFACT = "model"
INPUTS = Schema([
    # a stored-origin forecast: series_id (store_id, deprecated), horizon, confidence_level
    ColSpec("string", "series_id", required=False), ColSpec("long", "store_id", required=False),
    ColSpec("long", "horizon", required=False), ColSpec("double", "confidence_level", required=False),
    # a forecast from a history: series_id, date (ISO), value; horizon and confidence_level as params
    ColSpec("string", "date", required=False), ColSpec("double", "value", required=False),
])
OUTPUTS = Schema([
    ColSpec("string", "series_id"), ColSpec("long", "step"), ColSpec("string", "date"), ColSpec("double", "prediction"),
    ColSpec("double", "lower", required=False), ColSpec("double", "upper", required=False),
    ColSpec("string", "origin", required=False), ColSpec("boolean", "baseline", required=False),
])
INPUT_EXAMPLE = pd.DataFrame({"series_id": ["1"], "horizon": [12], "confidence_level": [0.9]})


def signature(servable: PortfolioForecaster) -> ModelSignature:
    """Both ways to ask; a history's horizon (default: the frequency's) and confidence level are params.
    A version with covariates lists them: a column each that a history carries (text or double), and
    their kinds in the `covariates` param's default (future ones also on rows with an empty value)."""
    covariates = servable.layout.covariates()
    sent = [ColSpec("string" if c.type == "text" else "double", c.name, required=False) for c in covariates if c.sent]
    params = ParamSchema([ParamSpec("horizon", "long", servable.frequency.default_horizon),
                          ParamSpec("confidence_level", "double", DEFAULT_CONFIDENCE),
                          *([ParamSpec("covariates", "string", describe(covariates))] if covariates else [])])
    return ModelSignature(inputs=Schema([*INPUTS.inputs, *sent]), outputs=OUTPUTS, params=params)


def _save_model(servable: PortfolioForecaster, requirements: list[str], folder: Path) -> None:
    """The pyfunc model on disk: its estimators in their libraries' own formats as artifacts, the rest
    pickled with the project's own modules inside it by value."""
    modules = self_contained_modules()
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        with tempfile.TemporaryDirectory() as natives, servable.detached(natives) as artifacts:
            mlflow.pyfunc.save_model(str(folder), python_model=servable, artifacts=artifacts,
                                     signature=signature(servable), input_example=INPUT_EXAMPLE,
                                     pip_requirements=requirements)
    except Exception as exc:  # saving is local: the model cannot be saved, which is this model's failure
        raise TrainingError(f"cannot save the {type(servable).__name__} model: {exc}") from exc
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)


def _dataset_entity(dataset: SalesTable) -> Dataset:
    """The table as MLflow's dataset input: its schema and profile (seconds for a big table)."""
    with warnings.catch_warnings():
        # MLflow registers its local-file source class twice and warns that the choice is ambiguous.
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
        logged = from_pandas(dataset.frame, source=dataset.info.source, name=dataset.info.name,
                             digest=dataset.info.sha256[:20])
        return logged._to_mlflow_entity()


class MlflowTrackedRun:
    def __init__(self, client: MlflowClient, uri: str, run_id: str, experiment_id: str,
                 datasets: dict[tuple[str, str, str], Dataset]) -> None:
        self.run_id = run_id
        self._client, self._uri, self._experiment_id = client, uri, experiment_id
        self._datasets = datasets  # the tracker's: one entity per table, whichever run logs it first
        self._model: tuple[str, str] | None = None  # the logged model's id and artifact location

    def log_dataset(self, dataset: SalesTable) -> None:
        with tracking_errors(self._uri, "logging the dataset"):
            key = (dataset.info.sha256, dataset.info.name, dataset.info.source)
            if key not in self._datasets:
                self._datasets.clear()  # only the table being trained is held
                self._datasets[key] = _dataset_entity(dataset)
            self._client.log_inputs(self.run_id, [DatasetInput(
                self._datasets[key], tags=[InputTag(key="mlflow.data.context", value="training")])])

    def log_trained(self, trained: TrainedModel) -> None:
        servable = trained.servable
        if not isinstance(servable, PortfolioForecaster):
            raise TrainingError(f"{trained.model_key} produced a {type(servable).__name__}, not a PortfolioForecaster")
        now = int(time.time() * 1000)
        with tracking_errors(self._uri, "logging the run"), tempfile.TemporaryDirectory() as folder:
            self._client.log_batch(
                self.run_id,
                metrics=[Metric(k, v, now, 0) for k, v in trained.metrics.items()],
                params=[Param(k, v) for k, v in trained.params.items()],
                tags=[RunTag(k, v) for k, v in trained.tags.items()],
            )
            artifacts, model = Path(folder) / "artifacts", Path(folder) / MODEL_ARTIFACT
            artifacts.mkdir()
            for name, content in trained.artifacts.items():
                (artifacts / name).write_bytes(content)
            self._client.log_artifacts(self.run_id, str(artifacts))
            _save_model(servable, list(servable.requirements), model)
            logged = self._client.create_logged_model(
                self._experiment_id, name=MODEL_ARTIFACT, source_run_id=self.run_id
            )
            self._client.log_model_artifacts(logged.model_id, str(model))
            self._client.finalize_logged_model(logged.model_id, "READY")
        self._model = logged.model_id, logged.artifact_location

    def register(self, trained: TrainedModel) -> ModelVersion:
        if self._model is None:
            raise RuntimeError("register() needs log_trained() first")
        model_id, location = self._model
        with tracking_errors(self._uri, f"registering {trained.model_key}"):
            try:
                self._client.create_registered_model(trained.model_key)
            except MlflowException as exc:
                if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                    raise
            created = self._client.create_model_version(
                # The artifact location, not models:/<id>: a registry resolves that through
                # MLflow's process-wide tracking URI, which this adapter never sets.
                trained.model_key, source=location, run_id=self.run_id,
                tags={"model_type": MODEL_TYPES[trained.model_key]}, model_id=model_id,
            )
        return ModelVersion(name=created.name, version=int(created.version), run_id=created.run_id,
                            created_at=from_epoch_ms(created.creation_timestamp), aliases=tuple(created.aliases or ()))


class MlflowExperimentTracker:
    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri
        self._client = MlflowClient(tracking_uri, tracking_uri)
        self._datasets: dict[tuple[str, str, str], Dataset] = {}  # (sha256, name, source) -> its input, built once

    @contextmanager
    def start_run(self, experiment: str, run_name: str, tags: Mapping[str, str]) -> Iterator[MlflowTrackedRun]:
        with tracking_errors(self._uri, f"opening experiment {experiment!r}"):
            found = self._client.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found else self._client.create_experiment(experiment)
            run = self._client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
        run_id = run.info.run_id
        try:
            yield MlflowTrackedRun(self._client, self._uri, run_id, experiment_id, self._datasets)
        except BaseException as exc:
            # Ctrl-C or SIGTERM (KeyboardInterrupt) kills the run; anything else fails it.
            status = RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            with tracking_errors(self._uri, f"marking the run {status.value}"):
                self._client.set_terminated(run_id, status.value)
            raise
        with tracking_errors(self._uri, "finishing the run"):
            self._client.set_terminated(run_id, RunStatus.FINISHED.value)
