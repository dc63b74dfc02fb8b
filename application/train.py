"""TrainModels: train, evaluate, record and register every requested model."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.ports import ExperimentTracker, ModelTrainer, Progress, SalesSource
from domain.columns import ColumnSpec
from domain.errors import TrainingError
from domain.models import ModelVersion
from domain.training import DEFAULT_EXPERIMENT, MODEL_TYPES, DatasetInfo, EvaluationProtocol


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRequest:
    models: tuple[str, ...] = tuple(MODEL_TYPES)
    data_path: str | None = None
    dataset_name: str | None = None
    columns: ColumnSpec = field(default_factory=ColumnSpec)
    experiment_name: str = DEFAULT_EXPERIMENT
    protocol: EvaluationProtocol = field(default_factory=EvaluationProtocol)
    register: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOutcome:
    model: str
    run_id: str
    seconds: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    version: ModelVersion | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingReport:
    dataset: DatasetInfo
    experiment: str
    outcomes: tuple[ModelOutcome, ...]

    @property
    def failed(self) -> tuple[ModelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


def _run_name(model: str, now: datetime) -> str:
    return f"{model}-{now:%Y%m%dT%H%M%S}"


class TrainModels:
    """Rules: every model gets its own run named `<model>-<timestamp>`, tagged with its
    model_type, dataset and data hash; a model that fails to train leaves its run FAILED
    and the other models still train; only a model that trained is registered.
    """

    def __init__(self, sales: SalesSource, trainer: ModelTrainer, tracker: ExperimentTracker,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._sales, self._trainer, self._tracker, self._clock = sales, trainer, tracker, clock

    def __call__(self, request: TrainRequest, progress: Progress = lambda message: None) -> TrainingReport:
        dataset = self._sales.load(request.data_path, request.dataset_name, request.columns)
        progress(f"{dataset.info.name}: {dataset.info.columns}")
        request.protocol.check_length(dataset.info.weeks)
        outcomes = []
        for number, model in enumerate(request.models, start=1):
            prefix = f"[{number}/{len(request.models)}] {model}"

            def say(message: str, prefix: str = prefix) -> None:
                progress(f"{prefix}: {message}")

            say("training")
            started = time.perf_counter()
            tags = {"model_type": MODEL_TYPES[model], "dataset": dataset.info.name, "data_sha256": dataset.info.sha256,
                    "columns": dataset.info.columns}
            run_id, version, trained, error = "", None, None, None
            try:
                with self._tracker.start_run(request.experiment_name, _run_name(model, self._clock()), tags) as run:
                    run_id = run.run_id
                    run.log_dataset(dataset)
                    trained = self._trainer.train(model, dataset, request.protocol, say)
                    run.log_trained(trained)
                    if request.register:
                        version = run.register(trained)
            except TrainingError as exc:
                error = str(exc)
            seconds = time.perf_counter() - started
            outcomes.append(ModelOutcome(model=model, run_id=run_id, seconds=seconds, version=version, error=error,
                                         metrics=trained.metrics if trained and not error else {}))
            say(
                f"FAILED: {error}"
                if error
                else f"done in {seconds:.1f}s" + (f", registered as version {version.version}" if version else "")
            )
        return TrainingReport(dataset=dataset.info, experiment=request.experiment_name, outcomes=tuple(outcomes))
