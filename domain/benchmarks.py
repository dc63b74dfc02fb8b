"""A benchmark: what was asked (the experiments, the filter, how to rank) and what it found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.leaderboard import Aggregate, Leaderboard, RankOn, RunFilter, check_rank_metric
from domain.runs import Experiment, Run, SeriesErrors
from domain.significance import PairedTest


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkRequest:
    experiments: tuple[str, ...] = ()  # names; empty means every experiment with runs
    run_filter: RunFilter = field(default_factory=RunFilter)
    rank_by: str = "mape"
    aggregate: Aggregate = Aggregate.BEST
    rank_on: RankOn = RankOn.OVERALL

    def __post_init__(self) -> None:
        object.__setattr__(self, "rank_by", check_rank_metric(self.rank_by))
        object.__setattr__(self, "aggregate", Aggregate(self.aggregate))
        object.__setattr__(self, "rank_on", RankOn(self.rank_on))

    def filters(self) -> dict[str, Any]:
        return {
            "experiments": list(self.experiments),
            "dataset": self.run_filter.dataset,
            "models": list(self.run_filter.models),
            "include_unfinished": self.run_filter.include_unfinished,
            "rank_by": self.rank_by,
            "aggregate": self.aggregate.value,
            "rank_on": self.rank_on.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkReport:
    generated_at: datetime
    source: str
    request: BenchmarkRequest
    experiments: tuple[Experiment, ...]
    runs: tuple[Run, ...]
    leaderboard: Leaderboard
    significance: PairedTest | None = None
    significance_note: str = ""
    # Per-series errors of each row's representative run, so a report can be re-read offline.
    series_errors: Mapping[str, SeriesErrors] = field(default_factory=dict)
