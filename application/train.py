"""TrainModels: train, evaluate, record and register every requested model."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.monitoring import TrainingLedger
from application.ports import ExperimentTracker, ModelTrainer, Progress, SalesDataset, SalesSource
from domain.columns import ColumnSpec, PanelSpec
from domain.errors import InvalidValueError, TrainingError
from domain.models import ModelVersion
from domain.training import MODEL_TYPES, DatasetInfo, EvaluationProtocol, skipped_because


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRequest:
    models: tuple[str, ...] = tuple(MODEL_TYPES)
    data_path: str | None = None
    dataset_name: str | None = None
    columns: ColumnSpec = field(default_factory=ColumnSpec)
    panel: PanelSpec = field(default_factory=PanelSpec)
    experiment_name: str | None = None  # None: the experiment named after the dataset
    horizon: int | None = None  # None: the default of the panel's frequency
    folds: int | None = None  # None: as many as the panel's series call for (EvaluationProtocol.for_panel)
    register: bool = True
    actuals: str | None = None  # train on this dataset's actuals to date (then data_path is not read)

    def protocol(self, dataset: DatasetInfo) -> EvaluationProtocol:
        """The protocol for this dataset: its frequency's horizon and the folds its series call for,
        unless they were asked for."""
        return EvaluationProtocol.for_panel(dataset.frequency, dataset.series, self.horizon or 0, self.folds)


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
    skipped: Mapping[str, str] = field(default_factory=dict)  # model -> why it was not trained on this table

    @property
    def failed(self) -> tuple[ModelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


def _prefixed(progress: Progress, prefix: str) -> Progress:
    return lambda message: progress(f"{prefix}: {message}")


def _folds(protocol: EvaluationProtocol, asked: EvaluationProtocol, info: DatasetInfo) -> str:
    """The backtest folds trained with, and why when the history holds fewer than were asked for."""
    if protocol == asked:
        return str(protocol.folds)
    unit = info.frequency.unit
    if protocol.fold_stride < asked.fold_stride:
        return (f"1 backtest fold {protocol.fold_stride} {unit}s before the test window, not {asked.folds} "
                f"{asked.fold_stride} {unit}s apart: {info.periods} {unit}s hold no more ({asked.min_periods(1)} "
                "needed for one a full stride back)")
    return (f"{protocol.folds} backtest fold(s), not {asked.folds}: {info.periods} {unit}s hold no more "
            f"({asked.min_periods()} needed for {asked.folds})")


def _skips(skipped: Mapping[str, str]) -> str:
    return "; ".join(f"{model} ({why})" for model, why in skipped.items())


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

    def _dataset(self, request: TrainRequest) -> tuple[SalesDataset, int | None]:
        """The table to train on, and the actuals revision it holds when it comes from the actuals store."""
        if request.actuals:
            history, revision = self._ledger.table(request.actuals)
            return self._sales.from_history(history, request.actuals, request.panel,
                                            request.columns.covariates), revision
        return self._sales.load(request.data_path, request.dataset_name, request.columns, request.panel), None

    def _kept(self, dataset: SalesDataset, progress: Progress) -> int:
        """Keep the table in the actuals store; the revision of its dataset there."""
        receipt = self._ledger.keep_table(dataset)
        if receipt.batch is not None:
            progress(f"actuals store: {receipt.describe()}")
        return receipt.revision

    def __call__(self, request: TrainRequest, progress: Progress = lambda message: None) -> TrainingReport:
        dataset, stored = self._dataset(request)
        info = dataset.info
        asked = request.protocol(info)
        protocol = asked.fitted_to(info.periods)  # a table too short is refused before anything is kept
        skipped = {model: why for model in request.models if (why := skipped_because(model, info.frequency))}
        models = [model for model in request.models if model not in skipped]
        if not models:
            raise InvalidValueError(f"no model to train on {info.name}: " + _skips(skipped))
        progress(f"{info.name}: {info.describe()}; {info.columns}; holidays: {info.holidays}")
        if info.filled:
            progress(f"{info.name}: {info.filled}")
        folds = _folds(protocol, asked, info)
        if protocol != asked:
            progress(f"{info.name}: {folds}")
        kept = self._kept(dataset, progress)
        revision = kept if stored is None else stored
        for model, why in skipped.items():
            progress(f"{model}: skipped: {why}")
        self._trainer.prepare(models, dataset, protocol, progress)
        experiment = request.experiment_name or info.name
        tags = {"folds": folds, "actuals_revision": str(revision), **({"skipped": _skips(skipped)} if skipped else {})}
        outcomes = tuple(self._train(model, dataset, protocol, experiment, request.register,
                                     _prefixed(progress, f"[{n}/{len(models)}] {model}"), tags)
                         for n, model in enumerate(models, start=1))
        self._ledger.trained(info.name, revision)
        return TrainingReport(dataset=info, experiment=experiment, protocol=protocol, outcomes=outcomes,
                              actuals_revision=revision, skipped=skipped)

    def _train(self, model: str, dataset: SalesDataset, protocol: EvaluationProtocol, experiment: str,
               register: bool, say: Progress, shared: Mapping[str, str]) -> ModelOutcome:
        say("training")
        started = time.perf_counter()
        info = dataset.info
        tags = {"model_type": MODEL_TYPES[model], "dataset": info.name, "data_sha256": info.sha256,
                "columns": info.columns, "frequency": info.frequency.code, "holidays": info.holidays, **shared,
                **({"filled": info.filled} if info.filled else {})}
        run_id, version, trained, error = "", None, None, None
        try:
            with self._tracker.start_run(experiment, _run_name(model, self._clock()), tags) as run:
                run_id = run.run_id
                run.log_dataset(dataset)
                trained = self._trainer.train(model, dataset, protocol, say)
                run.log_trained(trained)
                if register:
                    version = run.register(trained)
                    self._ledger.keep_forecast(version, info.name, trained.servable)
        except TrainingError as exc:
            error = str(exc)
        seconds = time.perf_counter() - started
        say(f"FAILED: {error}" if error
            else f"done in {seconds:.1f}s" + (f", registered as version {version.version}" if version else ""))
        return ModelOutcome(model=model, run_id=run_id, seconds=seconds, version=version, error=error,
                            metrics=trained.metrics if trained and not error else {})
