"""Experiments and runs as the portfolio sees them, whatever tracking store they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from domain.errors import InvalidValueError
from domain.metrics import TEST_SPLIT, canonical_metrics, metric_key

# Tag naming the artifact (a CSV: window, series_id, one column per metric) that holds a run's
# per-series errors; benchmarks pair two models by series with it. Runs of earlier versions name
# it with the legacy tag (its CSV has a store_id column instead).
SERIES_ERRORS_TAG = "per_series_errors"
LEGACY_ERRORS_TAG = "per_store_errors"
# Tag counting the series that were too short for a member's features, forecast by the baseline.
BASELINE_SERIES_TAG = "baseline_series"
# Tag naming the windows where the baseline forecast some series, how many, and why.
BASELINE_WINDOWS_TAG = "baseline_windows"
COVARIATES_TAG = "covariates"  # which covariates the run's model forecasts from, and why not the others
# Tag naming each scored window and its origin: "fold1=2011-08-05,...,test=2012-08-03".
WINDOWS_TAG = "windows"


SeriesErrors = Mapping[str, Mapping[str, float]]  # series id -> metric -> test error of that series


def to_epoch_ms(moment: datetime | None) -> int | None:
    """Milliseconds since the epoch, as tracking stores keep times."""
    return None if moment is None else int(moment.timestamp() * 1000)


def from_epoch_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


_STATUSES = {status.value: status for status in RunStatus}


def parse_status(text: str | RunStatus) -> RunStatus:
    if isinstance(text, RunStatus):
        return text
    if text not in _STATUSES:
        raise InvalidValueError(f"unknown run status {text!r}; one of {', '.join(_STATUSES)}")
    return _STATUSES[text]


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    experiment_id: str
    name: str

    def __post_init__(self) -> None:
        if not self.experiment_id or not self.name:
            raise InvalidValueError("an experiment needs an id and a name")


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping)) if mapping else _EMPTY


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One training run: what was trained, on which data, and how well it did."""

    run_id: str
    experiment_id: str
    name: str = ""
    status: RunStatus = RunStatus.FINISHED
    start_time: datetime | None = None
    end_time: datetime | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    _canonical: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.run_id:
            raise InvalidValueError("a run needs a run_id")
        assign = object.__setattr__
        assign(self, "status", parse_status(self.status))
        assign(self, "metrics", _frozen(self.metrics))
        assign(self, "params", _frozen(self.params))
        assign(self, "tags", _frozen(self.tags))
        # Resolved once: leaderboards read a few metrics of every one of up to 100k runs.
        assign(self, "_canonical", canonical_metrics(self.metrics))

    @property
    def model_name(self) -> str:
        """Tag model_name, tag model_type, param model, param model._target_'s last part, run name prefix."""
        # Tried in order and only as far as needed: leaderboards ask every one of up to 100k runs.
        found = self.tags.get("model_name") or self.tags.get("model_type") or self.params.get("model")
        if found:
            return found
        return ((self.params.get("model._target_") or "").rsplit(".", 1)[-1]
                or (self.name.rsplit("-", 1)[0] if "-" in self.name else self.name) or "unknown")

    @property
    def errors_artifact(self) -> str | None:
        """The artifact of the run's per-series errors, under either tag; None if it recorded none."""
        return self.tags.get(SERIES_ERRORS_TAG) or self.tags.get(LEGACY_ERRORS_TAG) or None

    @property
    def dataset_name(self) -> str:
        """Tag dataset, param dataset, param dataset_name."""
        for value in (self.tags.get("dataset"), self.params.get("dataset"), self.params.get("dataset_name")):
            if value:
                return value
        return "unknown"

    def summary(self) -> Run:
        """The run as a leaderboard sees it: canonical metric keys, identity as the tags
        model_name and dataset, no params. Summaries are smaller to store and faster to read,
        and the summary of a summary is itself."""
        tags = {"model_name": self.model_name, "dataset": self.dataset_name}
        if self.errors_artifact:
            tags[SERIES_ERRORS_TAG] = self.errors_artifact
        if self.tags.get(WINDOWS_TAG):
            tags[WINDOWS_TAG] = self.tags[WINDOWS_TAG]
        if not self.params and tags == self.tags and self.metrics == self._canonical:
            return self
        return Run(run_id=self.run_id, experiment_id=self.experiment_id, name=self.name, status=self.status,
                   start_time=self.start_time, end_time=self.end_time, metrics=self._canonical, tags=tags)

    @property
    def canonical(self) -> Mapping[str, float]:
        """The metrics under their canonical keys (test_mape, fold2_rmse, training_time)."""
        return self._canonical

    def metric(self, name: str, split: str | None = TEST_SPLIT) -> float | None:
        """A metric in any accepted spelling; None if the run did not log it."""
        return self._canonical.get(metric_key(name, split))
