"""The benchmark results file (`mlflow_benchmark_results.json`), schema version 1.

Top-level keys:
  schema            "ml-portfolio/benchmark-results"
  schema_version    1 (a reader refuses other versions)
  generated_at      ISO-8601 UTC time the benchmark ran
  source            where the runs were read, e.g. "mlflow sqlite:///mlflow.db"
  filters           experiments, dataset, models, include_unfinished, rank_by, aggregate
  results           one object per (model, dataset): model_name, dataset_name, runs, run_id,
                    the metrics mape rmse mae smape mase wmape training_time (null if absent),
                    std (per metric, mean aggregate only), folds (backtest values of rank_by)
  rankings          rank (per dataset, 1 = best), model_name, dataset_name, metric, value
  significance      the paired test of the top two rows, or null; significance_note says why not
  experiments       experiment_id, name of every experiment that took part
  runs              every run that took part, as the leaderboard saw it (Run.summary): run_id,
                    experiment_id, name, status, start_time/end_time (epoch ms), metrics under
                    canonical keys, params (empty), tags model_name and dataset
  store_errors      run_id -> store id -> metric -> test error, for each result row's run_id
A file in this shape is also a run source (`--source json`): its runs give the same ranking.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

from application.benchmark import BenchmarkReport
from application.ports import StoreErrors
from domain.errors import SourceUnavailableError
from domain.leaderboard import RESULT_METRICS
from domain.runs import Experiment, Run, RunStatus

SCHEMA = "ml-portfolio/benchmark-results"
SCHEMA_VERSION = 1


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def run_to_json(run: Run) -> dict:
    return {
        "run_id": run.run_id, "experiment_id": run.experiment_id, "name": run.name, "status": run.status.value,
        "start_time": _ms(run.start_time), "end_time": _ms(run.end_time),
        "metrics": dict(run.metrics), "params": dict(run.params), "tags": dict(run.tags),
    }


def run_from_json(data: dict) -> Run:
    return Run(
        run_id=data["run_id"], experiment_id=str(data["experiment_id"]), name=data.get("name", ""),
        status=data.get("status", "FINISHED"), start_time=_time(data.get("start_time")), end_time=_time(data.get("end_time")),
        metrics=data.get("metrics", {}), params=data.get("params", {}), tags=data.get("tags", {}),
    )


def results_to_json(report: BenchmarkReport) -> list[dict]:
    """The results rows of the report, as the JSON and CSV files have them."""
    board = report.leaderboard
    return [
        {"model_name": row.model, "dataset_name": row.dataset, "runs": row.runs, "run_id": row.run_id,
         **{name: row.values.get(name) for name in dict.fromkeys((*RESULT_METRICS, board.rank_by))},
         "std": dict(row.std), "folds": list(row.folds)}
        for row in board.results
    ]


def report_to_json(report: BenchmarkReport) -> dict:
    board = report.leaderboard
    test = report.significance
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": report.generated_at.isoformat(),
        "source": report.source,
        "filters": report.request.filters(),
        "results": results_to_json(report),
        "rankings": [
            {"rank": r.rank, "model_name": r.model, "dataset_name": r.dataset, "metric": board.rank_by, "value": r.value}
            for r in board.rankings
        ],
        "significance": None if test is None else {
            "method": test.method, "metric": test.metric, "paired_by": test.paired_by, "pairs": test.pairs,
            "statistic": test.statistic, "p_value": test.p_value, "mean_difference": test.mean_difference,
            "compared": [row.model for row in board.top_two() or ()],
        },
        "significance_note": report.significance_note,
        "experiments": [{"experiment_id": e.experiment_id, "name": e.name} for e in report.experiments],
        "runs": [run_to_json(run) for run in report.runs],
        "store_errors": {run_id: {str(store): dict(m) for store, m in errors.items()} for run_id, errors in report.store_errors.items()},
    }


class JsonRunRepository:
    """RunSource over a results file written by an earlier benchmark (the dashboard's file mode)."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._data: dict | None = None
        self._stamp: int | None = None

    def describe(self) -> str:
        return f"json {self._path}"

    def _load(self) -> dict:
        try:
            stamp = self._path.stat().st_mtime_ns
        except OSError:
            raise SourceUnavailableError(
                f"no benchmark results at {self._path}; `ml-portfolio benchmark` writes them"
            ) from None
        if self._data is None or stamp != self._stamp:  # a later benchmark replaced the file
            try:
                data = json.loads(self._path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SourceUnavailableError(f"cannot read {self._path} as benchmark results: {exc}") from exc
            if not isinstance(data, dict) or data.get("schema") != SCHEMA:
                raise SourceUnavailableError(f"{self._path} is not an ml-portfolio benchmark results file")
            if data.get("schema_version") != SCHEMA_VERSION:
                raise SourceUnavailableError(
                    f"{self._path} has schema version {data.get('schema_version')}; this version reads {SCHEMA_VERSION}"
                )
            self._data, self._stamp = data, stamp
        return self._data

    def experiments(self) -> list[Experiment]:
        return [Experiment(experiment_id=str(e["experiment_id"]), name=e["name"]) for e in self._load()["experiments"]]

    def runs(self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False) -> Iterator[Run]:
        wanted = set(experiment_ids)
        try:
            runs = [run_from_json(r) for r in self._load()["runs"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceUnavailableError(f"{self._path} has a malformed run: {exc}") from exc
        return iter([r for r in runs if r.experiment_id in wanted and (include_unfinished or r.status is RunStatus.FINISHED)])

    def store_errors(self, run_ids: Sequence[str]) -> dict[str, StoreErrors]:
        recorded = self._load().get("store_errors", {})
        return {run_id: {int(store): metrics for store, metrics in recorded[run_id].items()}
                for run_id in run_ids if run_id in recorded}
