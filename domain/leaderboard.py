"""From runs to a leaderboard: filter, collapse runs per (model, dataset), rank.

Rules: identity comes from Run.model_name / Run.dataset_name; filters are case-insensitive;
a metric of 0.0 is a value; lower is better for every rankable metric; a row without the
ranking metric is listed but not ranked.

Rows are ranked on all the evidence by default: the `overall` split, the mean of the metric over
every backtest fold and the test window, so a model that wins the last 12 weeks but loses the
holidays does not win. When any run lacks an overall value (runs from elsewhere or from older
versions) the whole leaderboard ranks on the test window instead, never on a mix of the two,
and says so in `rank_on`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType

from domain.errors import InvalidValueError
from domain.metrics import ERROR_METRICS, OVERALL_SPLIT, TEST_SPLIT
from domain.runs import Run, RunStatus

RANKABLE_METRICS = ERROR_METRICS
# The metrics every result row carries (rank metric included whatever it is).
RESULT_METRICS = ("mape", "rmse", "mae", "smape", "mase", "wmape", "training_time")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RankOn(str, Enum):
    """Which windows the ranking metric is read from."""

    OVERALL = OVERALL_SPLIT  # the mean of every backtest fold and the test window
    TEST = TEST_SPLIT  # the test window alone


def evidence_split(candidates: Iterable[Mapping[str, float]], metric: str, wanted: RankOn = RankOn.OVERALL) -> str:
    """The split to compare candidates (their canonical metrics) on: `wanted`, unless it is overall
    and a candidate that has the test value lacks the overall one (then the test window, for all)."""
    test, overall = f"{TEST_SPLIT}_{metric}", f"{OVERALL_SPLIT}_{metric}"
    if wanted is RankOn.OVERALL and all(overall in found for found in candidates if test in found):
        return OVERALL_SPLIT
    return TEST_SPLIT


class Aggregate(str, Enum):
    """How several runs of one model on one dataset collapse into one row."""

    BEST = "best"
    LATEST = "latest"
    MEAN = "mean"


def check_rank_metric(name: str) -> str:
    lowered = name.strip().lower()
    if lowered not in RANKABLE_METRICS:
        raise InvalidValueError(f"cannot rank by {name!r}; choose one of {', '.join(RANKABLE_METRICS)}")
    return lowered


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFilter:
    """Which runs take part. Empty tuples and None mean 'no restriction'."""

    dataset: str | None = None
    models: tuple[str, ...] = ()
    include_unfinished: bool = False

    def steps(self) -> list[tuple[str, Callable[[Run], str], Callable[[str], bool]]]:
        """Each filter as (description, what it reads of a run, test of that value), in order."""
        steps: list[tuple[str, Callable[[Run], str], Callable[[str], bool]]] = []
        if not self.include_unfinished:
            steps.append(
                ("status FINISHED", lambda run: run.status.value, lambda status: status == RunStatus.FINISHED.value)
            )
        if self.dataset:
            wanted = self.dataset.lower()
            steps.append(
                (f"--dataset {self.dataset}", lambda run: run.dataset_name, lambda name: name.lower() == wanted)
            )
        if self.models:
            models = {m.lower() for m in self.models}
            steps.append(
                (f"--models {','.join(self.models)}", lambda run: run.model_name, lambda name: name.lower() in models)
            )
        return steps


class EmptySelection(InvalidValueError):
    """A filter left no runs; the message names it."""


def select(runs: Iterable[Run], run_filter: RunFilter, where: str) -> list[Run]:
    """Apply the filters one by one, so an empty result can say which filter emptied it."""
    selected = list(runs)
    if not selected:
        finished = (
            "" if run_filter.include_unfinished else " (FINISHED runs only; --include-unfinished counts the rest)"
        )
        raise EmptySelection(f"no runs in {where}{finished}")
    for description, read, keep in run_filter.steps():
        remaining = [run for run in selected if keep(read(run))]
        if not remaining:
            seen = sorted({read(run) for run in selected})
            raise EmptySelection(
                f"{description} matched none of the {len(selected)} run(s) left in {where}"
                + (f"; they have: {', '.join(seen)}" if seen and seen != [""] else "")
            )
        selected = remaining
    return selected


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRow:
    model: str
    dataset: str
    runs: int
    values: Mapping[str, float | None]
    std: Mapping[str, float | None] = field(default_factory=dict)  # only for the mean aggregate
    run_id: str  # the representative run: best (best, mean) or latest (latest)
    folds: tuple[float, ...] = ()  # backtest values of the rank metric of the representative run
    score: float | None = None  # the rank metric on the leaderboard's rank_on split

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "std", MappingProxyType(dict(self.std)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Ranking:
    rank: int
    model: str
    dataset: str
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Leaderboard:
    rank_by: str
    aggregate: Aggregate
    rank_on: str  # the split the ranking read: overall or test
    results: tuple[ResultRow, ...]
    rankings: tuple[Ranking, ...]

    def top_two(self) -> tuple[ResultRow, ResultRow] | None:
        """The two best rows of the dataset that holds the overall best row."""
        if not self.rankings:
            return None
        first = self.rankings[0]
        same = [r for r in self.rankings if r.dataset == first.dataset]
        if len(same) < 2:
            return None
        rows = {(row.model, row.dataset): row for row in self.results}
        return rows[(same[0].model, same[0].dataset)], rows[(same[1].model, same[1].dataset)]


def _started(run: Run) -> datetime:
    return run.start_time or _EPOCH


def _score(run: Run, metric: str, split: str) -> float:
    value = run.metric(metric, split)
    return math.inf if value is None else value


def fold_values(run: Run, metric: str) -> tuple[float, ...]:
    """The run's backtest values of the metric, fold 1 onwards, up to the first fold it lacks."""
    values = []
    for fold in range(1, 100):
        value = run.metric(metric, split=f"fold{fold}")
        if value is None:
            break
        values.append(value)
    return tuple(values)


def _collapse(group: Sequence[Run], metric: str, aggregate: Aggregate, split: str) -> ResultRow:
    best = min(group, key=lambda run: (_score(run, metric, split), -_started(run).timestamp()))
    chosen = max(group, key=_started) if aggregate is Aggregate.LATEST else best
    score: float | None
    if aggregate is Aggregate.MEAN:
        present = [v for v in (run.metric(metric, split) for run in group) if v is not None]
        score = sum(present) / len(present) if present else None
    else:
        score = chosen.metric(metric, split)
    values: dict[str, float | None] = {}
    std: dict[str, float | None] = {}
    for name in dict.fromkeys((*RESULT_METRICS, metric)):
        shown = None if name == "training_time" else TEST_SPLIT
        if aggregate is Aggregate.MEAN:
            present = [v for v in (run.metric(name, shown) for run in group) if v is not None]
            values[name] = sum(present) / len(present) if present else None
            std[name] = _std(present)
        else:
            values[name] = chosen.metric(name, shown)
    return ResultRow(
        model=group[0].model_name, dataset=group[0].dataset_name, runs=len(group), values=values, std=std,
        run_id=chosen.run_id, folds=fold_values(chosen, metric), score=score,
    )


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def scored(rows: Iterable[ResultRow], metric: str) -> list[tuple[float, ResultRow]]:
    """The rows that have the metric, each with its value, lowest (best) first."""
    found = [(value, row) for row in rows if (value := row.values.get(metric)) is not None]
    return sorted(found, key=lambda pair: pair[0])


def build_leaderboard(runs: Iterable[Run], rank_by: str = "mape", aggregate: Aggregate = Aggregate.BEST,
                      rank_on: RankOn = RankOn.OVERALL) -> Leaderboard:
    metric = check_rank_metric(rank_by)
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.model_name, run.dataset_name), []).append(run)
    split = evidence_split([run.canonical for group in groups.values() for run in group], metric, RankOn(rank_on))
    results = [_collapse(group, metric, Aggregate(aggregate), split) for group in groups.values()]
    results.sort(key=lambda row: (row.dataset.lower(), math.inf if row.score is None else row.score, row.model.lower()))
    rankings: list[Ranking] = []
    ranked = sorted(((row.score, row) for row in results if row.score is not None), key=lambda pair: pair[0])
    for dataset in dict.fromkeys(r.dataset for _, r in ranked):
        for position, (value, row) in enumerate(((v, r) for v, r in ranked if r.dataset == dataset), start=1):
            rankings.append(Ranking(rank=position, model=row.model, dataset=row.dataset, value=value))
    return Leaderboard(rank_by=metric, aggregate=Aggregate(aggregate), rank_on=split, results=tuple(results),
                       rankings=tuple(rankings))


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSummary:
    """One metric of a model on a dataset over all its runs (those that logged it)."""

    model: str
    dataset: str
    metric: str
    runs: int
    mean: float
    std: float | None  # sample standard deviation; None for a single run
    min: float
    max: float


def summarise(runs: Iterable[Run], metric: str) -> list[MetricSummary]:
    """Per (model, dataset): mean, std, min and max of the test metric, best mean first per dataset."""
    name = check_rank_metric(metric)
    groups: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        value = run.metric(name)
        if value is not None:
            groups.setdefault((run.model_name, run.dataset_name), []).append(value)
    summaries = [
        MetricSummary(model=model, dataset=dataset, metric=name, runs=len(values), mean=sum(values) / len(values),
                      std=_std(values), min=min(values), max=max(values))
        for (model, dataset), values in groups.items()
    ]
    return sorted(summaries, key=lambda s: (s.dataset.lower(), s.mean, s.model.lower()))
