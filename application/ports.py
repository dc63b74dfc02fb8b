"""The ports the use cases need; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from domain.actuals import ActualRecord, ActualsReceipt, DatasetActuals
from domain.benchmarks import BenchmarkReport
from domain.columns import INFER, RECOGNISE, ColumnSpec, PanelSpec
from domain.covariates import NONE, Covariate, Covariates
from domain.forecasts import ForecastPoint
from domain.frequency import Frequency
from domain.models import ModelVersion, Promotion, RegisteredModel
from domain.monitoring import SettledPoint
from domain.predictions import PredictionTable
from domain.runs import Experiment, Run, SeriesErrors
from domain.training import DatasetInfo, EvaluationProtocol

Progress = Callable[[str], None]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class SalesDataset(Protocol):
    """A validated panel of series: its identity, and its rows as the actuals store keeps them."""

    info: DatasetInfo

    def history(self) -> History:
        """Its rows: series id, date, value."""


class ServableModel(Protocol):
    """A trained model in the form the tracker saves as a self-contained, registrable version."""

    @property
    def requirements(self) -> Sequence[str]:
        """The pip requirements it needs to load and forecast."""

    def training_forecast(self, confidence: float) -> tuple[ForecastPoint, ...]:
        """Its forecast of every series and step from its training origin, with intervals at `confidence`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedModel:
    """What training one model produced, ready to be recorded and registered."""

    model_key: str
    params: Mapping[str, str]
    metrics: Mapping[str, float]
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    servable: ServableModel
    tags: Mapping[str, str] = field(default_factory=dict)


class SalesSource(Protocol):
    def load(self, path: str | None, name: str | None = None, columns: ColumnSpec = RECOGNISE,
             panel: PanelSpec = INFER) -> SalesDataset:
        """Load and validate a long table of series (None: the built-in synthetic one), its id, time
        and target columns as `columns` names them or recognised by name, its frequency, filling and
        holidays as `panel` says; DataError if unusable."""

    def from_history(self, history: History, name: str, panel: PanelSpec = INFER,
                     covariates: Covariates = NONE) -> SalesDataset:
        """The same checks and table of rows already read (the actuals store's)."""


class Pending(Protocol[T_co]):
    def result(self) -> T_co:
        """The task's value, waiting for it if it is still running; what the task raised, if it did."""


class TaskRunner(Protocol):
    """Where independent tasks run: this process, a local pool of processes, or a cluster."""

    def describe(self) -> str:
        """Where, in words: 'in this process', 'on the Dask cluster at tcp://...'."""

    def slots(self) -> int:
        """How many tasks run at once."""

    def share(self, value: T) -> T:
        """Send a value to the workers once; tasks take what this returns in its place."""

    def submit(self, task: Callable[..., T], *args: Any) -> Pending[T]:
        """Run task(*args) where this runner runs tasks; ComputeUnavailableError if nothing can run it."""

    def close(self) -> None:
        """Let go of the workers (and stop them, if this runner started them)."""


class ModelTrainer(Protocol):
    def prepare(self, model_keys: Sequence[str], dataset: SalesDataset, protocol: EvaluationProtocol,
                progress: Progress) -> None:
        """Start the work of these models (their tasks may then run while earlier models are recorded)."""

    def train(
        self, model_key: str, dataset: SalesDataset, protocol: EvaluationProtocol, progress: Progress
    ) -> TrainedModel:
        """Fit, backtest and test one model; TrainingError if it cannot."""


class TrackedRun(Protocol):
    run_id: str

    def log_dataset(self, dataset: SalesDataset) -> None:
        """Record the input table of this run."""

    def log_trained(self, trained: TrainedModel) -> None:
        """Record params, metrics, artifacts and the servable model of this run."""

    def register(self, trained: TrainedModel) -> ModelVersion:
        """Register the logged model under its model key as a new version."""


class ExperimentTracker(Protocol):
    def start_run(self, experiment: str, run_name: str, tags: Mapping[str, str]) -> AbstractContextManager[TrackedRun]:
        """Open a run; it ends FINISHED, or FAILED if the block raises. TrackingUnavailableError if unreachable."""




class RunSource(Protocol):
    """Where a benchmark reads runs: MLflow, the DuckDB warehouse, a results JSON, memory."""

    def describe(self) -> str:
        """A short label of the source for reports, e.g. 'mlflow sqlite:///mlflow.db'."""

    def experiments(self) -> list[Experiment]:
        """Every experiment the source knows; SourceUnavailableError if it cannot be read."""

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        """The runs of these experiments, FINISHED ones only unless include_unfinished; with
        summary=True the source may return Run.summary() of each run, if that is cheaper."""

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        """Per-series test errors of those runs that recorded them (others are left out)."""


class RunFeed(RunSource, Protocol):
    """A run source that can say what changed: the tracking store, read by the warehouse sync."""

    def changed_since(self, watermark_ms: int | None, also: Sequence[str]) -> Iterator[Run]:
        """Runs started or ended after the watermark (all runs if None), plus the runs in `also`."""


class RunWarehouse(Protocol):
    def watermark(self, origin: str) -> int | None:
        """Where the last sync from `origin` stopped (epoch ms), None if it never ran."""

    def unfinished_run_ids(self, origin: str) -> list[str]:
        """Runs from `origin` that were not finished at the last sync, to be fetched again."""

    def save(self, origin: str, experiments: Sequence[Experiment], runs: Sequence[Run],
             errors: Mapping[str, SeriesErrors], watermark_ms: int | None) -> None:
        """Insert or replace these runs and move the watermark, all in one transaction."""


class BenchmarkHistory(Protocol):
    def append(self, report: BenchmarkReport) -> None:
        """Keep this leaderboard so how it changed over time is one query away."""


class ResultsWriter(Protocol):
    def write(self, report: BenchmarkReport, directory: str) -> list[str]:
        """Write every results file atomically into `directory`; the paths written, the results JSON first."""


class History(Protocol):
    """Rows of (series id, date, value): the whole history each of its series is forecast from."""

    @property
    def series(self) -> tuple[str, ...]:
        """Its series, in the order they first appear."""

    def rows(self) -> tuple[Sequence[str], Sequence[date], Sequence[float]]:
        """The series id, date and value of every row (NaN where a value is missing)."""

    def columns(self) -> Mapping[str, Sequence[object]]:
        """Its other columns (covariates), a value per row; a version takes the ones it uses."""

    def select(self, series: Sequence[str]) -> History:
        """The rows of these series only."""


class ForecastModel(Protocol):
    """A loaded model version that can forecast, from its stored origin or from a history."""

    series_ids: tuple[str, ...]  # the series it was trained on
    dataset: str  # the name of the table it was trained on: its series' namespace in the actuals store
    last_period: date  # its training origin
    max_horizon: int
    default_horizon: int
    unit: str  # what a period is: day, week, month
    frequency: str  # its code: D, W-FRI, MS...
    history_periods: int | None  # periods of history a series needs for every feature (None: not known)
    covariates: tuple[Covariate, ...]  # the covariates it forecasts from: what a history must carry

    def forecast(self, series_ids: Sequence[str], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        """Points per series and step from the training origin; UnknownSeriesError for a series it was
        not trained on, InvalidValueError for a horizon beyond max_horizon."""

    def forecast_history(self, history: History, series_ids: Sequence[str] | None, horizon: int,
                         confidence: float | None) -> tuple[ForecastPoint, ...]:
        """Points per series (these, or every series of the history) and step, each series from the
        last date of its own rows; InvalidValueError naming the series and date of a bad history."""

    def history(self, series_id: str) -> tuple[tuple[date, float], ...]:
        """The recent values of a series it was trained on, oldest first; UnknownSeriesError."""

    def half_widths(self, confidence: float) -> Sequence[float]:
        """The half width of its interval at `confidence`, relative to the prediction, per step from 1."""


class HistorySource(Protocol):
    def read(self, path: str, columns: ColumnSpec = RECOGNISE) -> History:
        """A long table of series (CSV or Parquet; columns as `columns` names them or recognised by
        name), each series to be forecast from its own last date; DataError if unusable."""

    def parse(self, content: bytes, name: str) -> History:
        """The same from an uploaded file's bytes (Parquet when `name` says so, else CSV)."""


class ForecastSink(Protocol):
    def write(self, points: Sequence[ForecastPoint]) -> None:
        """Append these forecasts to the file being written."""


class ForecastWriter(Protocol):
    def open(self, path: str, version: ModelVersion) -> AbstractContextManager[ForecastSink]:
        """A file of the version's forecasts: it replaces `path` when the block ends, and is dropped if it raises."""


class PredictionsReader(Protocol):
    def read(self, content: bytes, name: str) -> PredictionTable:
        """Parse an uploaded table of actual and predicted values; DataError if it is not a usable CSV."""


class ModelLoader(Protocol):
    def load(self, version: ModelVersion) -> ForecastModel:
        """Load one registered version; UnknownModelError, TrackingUnavailableError."""


class Locks(Protocol):
    def hold(self, key: str) -> AbstractContextManager[None]:
        """Wait until no other holder (any process using the same locks) has `key`, then hold it."""

    def attempt(self, key: str) -> AbstractContextManager[bool]:
        """Hold `key` if nobody else does (True), else hold nothing (False); never waits."""


class ActualsStore(Protocol):
    """Actuals as they arrive, per dataset, never overwritten (domain.actuals)."""

    def describe(self) -> str:
        """Where: 'duckdb actuals.duckdb', 'postgresql postgresql://***@host/db'."""

    def append(self, dataset: str, history: History, frequency: Frequency | None, source: str) -> ActualsReceipt:
        """Store a batch in one transaction (DataError naming the first broken rule, nothing stored)."""

    def datasets(self) -> list[DatasetActuals]:
        """Every dataset the store holds."""

    def history(self, dataset: str, series: list[str] | None = None) -> History:
        """The values in force of the dataset's series (these, if given), each series oldest first."""

    def latest(self, dataset: str) -> tuple[History, dict[str, tuple[date, datetime]]]:
        """Every series' values in force, and per series its last period and when its latest value arrived."""

    def records(self, dataset: str, series_id: str) -> list[ActualRecord]:
        """Every value stored for the series, corrections included."""

    def scales(self, dataset: str, origin: date, season: int) -> dict[str, float]:
        """Per series, the mean absolute error of the value one season before, up to `origin`."""

    def trained(self, dataset: str) -> int:
        """The revision the dataset's last training read (0 if none)."""

    def mark_trained(self, dataset: str, revision: int) -> None:
        """Record that a training read the dataset at this revision."""


class ForecastLog(Protocol):
    """Every forecast a version made, beside the actuals that settle them."""

    def log(self, version: ModelVersion, dataset: str, source: str, points: Sequence[ForecastPoint],
            confidence: float | None) -> None:
        """Keep these forecasts (source: training, api, batch)."""

    def settled(self, version: ModelVersion, source: str) -> list[SettledPoint]:
        """The version's forecasts of `source` whose period has an actual, with the actual in force."""

    def served(self, dataset: str, series_id: str) -> list[SettledPoint]:
        """The forecasts served for a series (not its training ones), each with its actual if one arrived
        (NaN if not)."""


class ModelRegistry(Protocol):
    def models(self) -> list[RegisteredModel]:
        """Every registered model with its newest version and that version's summary metrics (test_*,
        backtest_*, overall_*)."""

    def resolve(self, name: str, ref: str) -> ModelVersion:
        """A version by number, `latest`, alias or legacy stage; UnknownModelError if none."""

    def evaluation_metrics(self, version: ModelVersion) -> dict[str, float]:
        """The metrics of the run that produced the version: each window's (fold<k>_*, test_*) and their
        means (backtest_*, overall_*)."""

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        """The versions registered from the run, of any model; empty if none."""

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point the alias at the version."""

    def record_promotion(self, promotion: Promotion) -> None:
        """Keep the promotion (on the promoted version) so it can be listed later."""

    def promotions(self, name: str) -> list[Promotion]:
        """Every recorded promotion of the model, oldest first."""

    def reachable(self) -> bool:
        """Whether the registry answers right now."""
