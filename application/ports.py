"""The ports the use cases need; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.models import ModelVersion
from domain.training import DatasetInfo, EvaluationProtocol

Progress = Callable[[str], None]


class SalesDataset(Protocol):
    """A validated weekly sales table; only its identity matters to the application."""

    info: DatasetInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedModel:
    """What training one model produced, ready to be recorded and registered."""

    model_key: str
    params: Mapping[str, str]
    metrics: Mapping[str, float]
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    servable: Any = None  # the adapter's servable model; handed back to the tracker unchanged


class SalesSource(Protocol):
    def load(self, path: str | None, name: str | None = None) -> SalesDataset:
        """Load and validate a sales table (None: the built-in synthetic one); DataError if unusable."""


class ModelTrainer(Protocol):
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
