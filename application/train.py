"""TrainModels: train, evaluate, record and register every requested model."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.monitoring import TrainingLedger
from application.ports import ExperimentTracker, ModelTrainer, Progress, SalesDataset, SalesSource
from domain.columns import ColumnSpec, PanelSpec
from domain.errors import TrainingError
from domain.models import ModelVersion
from domain.training import DEFAULT_EXPERIMENT, MODEL_TYPES, DatasetInfo, EvaluationProtocol


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRequest:
    models: tuple[str, ...] = tuple(MODEL_TYPES)
    data_path: str | None = None
    dataset_name: str | None = None
    columns: ColumnSpec = field(default_factory=ColumnSpec)
    panel: PanelSpec = field(default_factory=PanelSpec)
    experiment_name: str = DEFAULT_EXPERIMENT
    horizon: int | None = None  # None: the default of the panel's frequency
    folds: int = EvaluationProtocol().folds
    register: bool = True
    actuals: str | None = None  # train on this dataset's actuals to date (then data_path is not read)

    def protocol(self, dataset: DatasetInfo) -> EvaluationProtocol:
        """The protocol for this dataset: its frequency's horizon unless one was asked for."""
        return EvaluationProtocol(frequency=dataset.frequency, horizon=self.horizon or 0, folds=self.folds)


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
    protocol: EvaluationProtocol
    outcomes: tuple[ModelOutcome, ...]
    actuals_revision: int = 0  # of the dataset in the actuals store, once the table was in it

    @property
    def failed(self) -> tuple[ModelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


def _prefixed(progress: Progress, prefix: str) -> Progress:
    return lambda message: progress(f"{prefix}: {message}")


def _folds(protocol: EvaluationProtocol, asked: EvaluationProtocol, info: DatasetInfo) -> str:
    """The backtest folds trained with, and why when the history holds fewer than were asked for."""
    if protocol.folds == asked.folds:
        return str(protocol.folds)
    unit = info.frequency.unit
    return (f"{protocol.folds} backtest fold(s), not {asked.folds}: {info.periods} {unit}s hold no more "
            f"({asked.min_periods()} needed for {asked.folds})")


def _run_name(model: str, now: datetime) -> str:
    return f"{model}-{now:%Y%m%dT%H%M%S}"


class TrainModels:
    """Rules: every model gets its own run named `<model>-<timestamp>`, tagged with its
    model_type, dataset, data hash, columns, frequency, holiday calendar, folds and the actuals
    revision it trained on; the protocol follows the panel's frequency, with as many of the folds
    asked for as the history holds (at least one, said when fewer); the table goes into the actuals
    store before any model trains (or comes from it); a model that fails to train leaves its run
    FAILED and the other models still train; only a model that trained is registered, and its
    forecast from the training origin is logged beside the actuals.
    """

    def __init__(self, sales: SalesSource, trainer: ModelTrainer, tracker: ExperimentTracker, ledger: TrainingLedger,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._sales, self._trainer, self._tracker, self._ledger, self._clock = sales, trainer, tracker, ledger, clock

    def _dataset(self, request: TrainRequest, progress: Progress) -> tuple[SalesDataset, int]:
        """The table to train on, kept in the actuals store, and the actuals revision it holds."""
        if request.actuals:
            history, revision = self._ledger.table(request.actuals)
            dataset = self._sales.from_history(history, request.actuals, request.panel)
        else:
            dataset = self._sales.load(request.data_path, request.dataset_name, request.columns, request.panel)
        receipt = self._ledger.keep_table(dataset)
        if receipt.batch is not None:
            progress(f"actuals store: {receipt.describe()}")
        return dataset, revision if request.actuals else receipt.revision

    def __call__(self, request: TrainRequest, progress: Progress = lambda message: None) -> TrainingReport:
        dataset, revision = self._dataset(request, progress)
        info = dataset.info
        asked = request.protocol(info)
        progress(f"{info.name}: {info.describe()}; {info.columns}; holidays: {info.holidays}")
        if info.filled:
            progress(f"{info.name}: {info.filled}")
        protocol = asked.fitted_to(info.periods)
        folds = _folds(protocol, asked, info)
        if protocol.folds < asked.folds:
            progress(f"{info.name}: {folds}")
        self._trainer.prepare(request.models, dataset, protocol, progress)
        count = len(request.models)
        tags = {"folds": folds, "actuals_revision": str(revision)}
        outcomes = tuple(self._train(model, dataset, protocol, request, _prefixed(progress, f"[{n}/{count}] {model}"),
                                     tags) for n, model in enumerate(request.models, start=1))
        self._ledger.trained(info.name, revision)
        return TrainingReport(dataset=info, experiment=request.experiment_name, protocol=protocol, outcomes=outcomes,
                              actuals_revision=revision)

    def _train(self, model: str, dataset: SalesDataset, protocol: EvaluationProtocol, request: TrainRequest,
               say: Progress, shared: Mapping[str, str]) -> ModelOutcome:
        say("training")
        started = time.perf_counter()
        info = dataset.info
        tags = {"model_type": MODEL_TYPES[model], "dataset": info.name, "data_sha256": info.sha256,
                "columns": info.columns, "frequency": info.frequency.code, "holidays": info.holidays, **shared,
                **({"filled": info.filled} if info.filled else {})}
        run_id, version, trained, error = "", None, None, None
        try:
            with self._tracker.start_run(request.experiment_name, _run_name(model, self._clock()), tags) as run:
                run_id = run.run_id
                run.log_dataset(dataset)
                trained = self._trainer.train(model, dataset, protocol, say)
                run.log_trained(trained)
                if request.register:
                    version = run.register(trained)
                    self._ledger.keep_forecast(version, info.name, trained.servable)
        except TrainingError as exc:
            error = str(exc)
        seconds = time.perf_counter() - started
        say(f"FAILED: {error}" if error
            else f"done in {seconds:.1f}s" + (f", registered as version {version.version}" if version else ""))
        return ModelOutcome(model=model, run_id=run_id, seconds=seconds, version=version, error=error,
                            metrics=trained.metrics if trained and not error else {})
