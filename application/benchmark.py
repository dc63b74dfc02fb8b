"""BenchmarkRuns: which model is best, on which data, by how much, and is the gap real."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from application.ports import BenchmarkHistory, Progress, ResultsWriter, RunSource
from domain.benchmarks import BenchmarkReport, BenchmarkRequest
from domain.errors import InvalidValueError, UnknownExperimentError
from domain.leaderboard import (
    ResultRow,
    build_leaderboard,
    select,
)
from domain.runs import Experiment, SeriesErrors
from domain.significance import PairedTest, wilcoxon

DEFAULT_EXPERIMENT_NAME = "Default"


def _experiments(source: RunSource, names: tuple[str, ...]) -> list[Experiment]:
    known = source.experiments()
    if not names:
        return known
    by_name = {e.name.lower(): e for e in known}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise UnknownExperimentError(
            f"unknown experiment(s) {', '.join(unknown)}; {source.describe()} has "
            + (", ".join(sorted(e.name for e in known)) or "no experiments")
        )
    return [by_name[n.lower()] for n in dict.fromkeys(names)]


def _paired_test(
    rows: tuple[ResultRow, ResultRow], metric: str, errors: Mapping[str, SeriesErrors]
) -> tuple[PairedTest | None, str]:
    best, second = rows
    a, b = errors.get(best.run_id), errors.get(second.run_id)
    if a and b:
        series = sorted(s for s in set(a) & set(b) if metric in a[s] and metric in b[s])
        if len(series) >= 2:
            return wilcoxon(
                [a[s][metric] for s in series], [b[s][metric] for s in series], metric=metric, paired_by="series"
            ), ""
    folds = min(len(best.folds), len(second.folds))
    if folds >= 2:
        try:
            return wilcoxon(best.folds[:folds], second.folds[:folds], metric=metric, paired_by="fold"), ""
        except InvalidValueError as exc:
            return None, str(exc)
    return None, "no per-series or per-fold errors recorded for the top two runs"


class RankRuns:
    """Rules: with no experiment named, every experiment takes part except an empty `Default`;
    an unknown experiment name is an error that lists the known ones; filters apply in order
    (status, dataset, models) and an empty result names the filter that emptied it; the gap
    between the top two rows of the leading dataset is tested on paired per-series errors when
    both runs recorded them, else on their backtest folds.
    """

    def __init__(self, source: RunSource, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._source, self._clock = source, clock

    def __call__(self, request: BenchmarkRequest, progress: Progress = lambda message: None) -> BenchmarkReport:
        experiments = _experiments(self._source, request.experiments)
        ids = [e.experiment_id for e in experiments]
        progress(f"reading runs of {len(ids)} experiment(s) from {self._source.describe()}")
        fetched = [run.summary() for run in self._source.runs(ids, request.run_filter.include_unfinished, summary=True)]
        named = {e.experiment_id: e.name for e in experiments}
        if not request.experiments:  # an untouched Default experiment is not worth a mention
            used = {run.experiment_id for run in fetched}
            experiments = [e for e in experiments if e.name != DEFAULT_EXPERIMENT_NAME or e.experiment_id in used]
        where = ", ".join(named[i] for i in ids if i in {e.experiment_id for e in experiments}) or "the source"
        runs = select(fetched, request.run_filter, f"experiment(s) {where}")
        progress(f"ranking {len(runs)} of {len(fetched)} run(s)")
        leaderboard = build_leaderboard(runs, request.rank_by, request.aggregate, request.rank_on)
        recorded = {run.run_id for run in runs if run.errors_artifact}
        errors = self._source.series_errors([row.run_id for row in leaderboard.results if row.run_id in recorded])
        test, note = None, "fewer than two models to compare"
        top = leaderboard.top_two()
        if top:
            test, note = _paired_test(top, request.rank_by, errors)
        return BenchmarkReport(
            generated_at=self._clock(), source=self._source.describe(), request=request,
            experiments=tuple(experiments), runs=tuple(runs), leaderboard=leaderboard,
            significance=test, significance_note=note, series_errors=errors,
        )


class BenchmarkRuns:
    """A ranking (RankRuns) written out as results files and appended to the history."""

    def __init__(self, rank: RankRuns, writer: ResultsWriter, history: BenchmarkHistory) -> None:
        self._rank, self._writer, self._history = rank, writer, history

    def __call__(self, request: BenchmarkRequest, output_dir: str,
                 progress: Progress = lambda message: None) -> tuple[BenchmarkReport, list[str]]:
        report = self._rank(request, progress)
        progress(f"writing results to {output_dir}")
        written = self._writer.write(report, output_dir)
        self._history.append(report)
        return report, written
