"""InMemoryRunRepository: the fake run source and warehouse, kept honest by the contract tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from domain.benchmarks import BenchmarkReport
from domain.runs import Experiment, Run, RunStatus, SeriesErrors


class InMemoryRunRepository:
    def __init__(self, experiments: Sequence[Experiment] = (), runs: Sequence[Run] = (),
                 errors: Mapping[str, SeriesErrors] | None = None) -> None:
        self._experiments = {e.experiment_id: e for e in experiments}
        self._runs = {r.run_id: r for r in runs}
        self._errors = dict(errors or {})
        self._watermarks: dict[str, int | None] = {}
        self._origins: dict[str, str] = {}
        self.history: list[BenchmarkReport] = []

    def describe(self) -> str:
        return "memory"

    def experiments(self) -> list[Experiment]:
        return sorted(self._experiments.values(), key=lambda e: e.experiment_id)

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        wanted = set(experiment_ids)
        return iter(
            sorted(
                (
                    r
                    for r in self._runs.values()
                    if r.experiment_id in wanted and (include_unfinished or r.status is RunStatus.FINISHED)
                ),
                key=lambda r: r.run_id,
            )
        )

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        return {run_id: self._errors[run_id] for run_id in run_ids if run_id in self._errors}

    def changed_since(self, watermark_ms: int | None, also: Sequence[str]) -> Iterator[Run]:
        def touched(run: Run) -> bool:
            times = [t.timestamp() * 1000 for t in (run.start_time, run.end_time) if t is not None]
            return watermark_ms is None or any(t > watermark_ms for t in times) or run.run_id in also

        return iter([r for r in self._runs.values() if touched(r)])

    def watermark(self, origin: str) -> int | None:
        return self._watermarks.get(origin)

    def unfinished_run_ids(self, origin: str) -> list[str]:
        return [
            i
            for i, o in self._origins.items()
            if o == origin and self._runs[i].status in (RunStatus.RUNNING, RunStatus.SCHEDULED)
        ]

    def save(self, origin: str, experiments: Sequence[Experiment], runs: Sequence[Run],
             errors: Mapping[str, SeriesErrors], watermark_ms: int | None) -> None:
        self._experiments.update({e.experiment_id: e for e in experiments})
        for run in runs:
            self._runs[run.run_id] = run
            self._origins[run.run_id] = origin
            self._errors.pop(run.run_id, None)
        self._errors.update(errors)
        self._watermarks[origin] = watermark_ms

    def append(self, report: BenchmarkReport) -> None:
        self.history.append(report)
