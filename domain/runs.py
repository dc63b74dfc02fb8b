"""Experiments and runs as the portfolio sees them, whatever tracking store they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from domain.errors import InvalidValueError
from domain.metrics import TEST_SPLIT, metric_value


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    experiment_id: str
    name: str

    def __post_init__(self) -> None:
        if not self.experiment_id or not self.name:
            raise InvalidValueError("an experiment needs an id and a name")


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


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

    def __post_init__(self) -> None:
        if not self.run_id:
            raise InvalidValueError("a run needs a run_id")
        if not isinstance(self.status, RunStatus):
            object.__setattr__(self, "status", RunStatus(self.status))
        for name in ("metrics", "params", "tags"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def model_name(self) -> str:
        """Tag model_name, tag model_type, param model, param model._target_'s last part, run name prefix."""
        for value in (
            self.tags.get("model_name"),
            self.tags.get("model_type"),
            self.params.get("model"),
            (self.params.get("model._target_") or "").rsplit(".", 1)[-1],
            self.name.rsplit("-", 1)[0] if "-" in self.name else self.name,
        ):
            if value:
                return value
        return "unknown"

    @property
    def dataset_name(self) -> str:
        """Tag dataset, param dataset, param dataset_name."""
        for value in (self.tags.get("dataset"), self.params.get("dataset"), self.params.get("dataset_name")):
            if value:
                return value
        return "unknown"

    def metric(self, name: str, split: str | None = TEST_SPLIT) -> float | None:
        return metric_value(self.metrics, name, split)
