"""The benchmark results file (`mlflow_benchmark_results.json`), schema version 2, as msgspec Structs.

Top-level keys (the fields of `ResultsDocument`, in order):
  schema            "ml-portfolio/benchmark-results"
  schema_version    2 (version 1, which called series_errors store_errors, is read too; others not)
  generated_at      ISO-8601 UTC time the benchmark ran
  source            where the runs were read, e.g. "mlflow sqlite:///mlflow.db"
  filters           experiments, dataset, models, include_unfinished, rank_by, aggregate, rank_on
                    (the split the ranking read: overall or test; files without it ranked on test)
  results           one object per (model, dataset): model_name, dataset_name, runs, run_id,
                    the test metrics mape rmse mae smape mase wmape, training_time (null if absent),
                    score (rank_by on the rank_on split), std (per metric, mean aggregate only),
                    folds (backtest values of rank_by, fold 1 first)
  rankings          rank (per dataset, 1 = best), model_name, dataset_name, metric, split, value
  significance      the paired test of the top two rows, or null; significance_note says why not
  experiments       experiment_id, name of every experiment that took part
  runs              every run that took part, as the leaderboard saw it (Run.summary): run_id,
                    experiment_id, name, status, start_time/end_time (epoch ms), metrics under
                    canonical keys, params (empty), tags model_name and dataset
  series_errors     run_id -> series id -> metric -> test error, for each result row's run_id
A file in this shape is also a run source (`--source json`): its runs give the same ranking.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from domain.benchmarks import BenchmarkReport
from domain.errors import InvalidValueError, SourceUnavailableError
from domain.runs import Experiment, Run, RunStatus, SeriesErrors, from_epoch_ms, parse_status, to_epoch_ms

SCHEMA = "ml-portfolio/benchmark-results"
SCHEMA_VERSION, READABLE_VERSIONS = 2, (1, 2)
RESULTS_JSON = "mlflow_benchmark_results.json"


class RunDoc(msgspec.Struct, kw_only=True):
    run_id: str
    experiment_id: str
    name: str = ""
    status: str = "FINISHED"
    start_time: int | None = None
    end_time: int | None = None
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    tags: dict[str, str] = {}


class ResultDoc(msgspec.Struct, kw_only=True):
    """One results row; the metric fields are domain.leaderboard.RESULT_METRICS, in that order."""

    model_name: str
    dataset_name: str
    runs: int
    run_id: str
    mape: float | None = None
    rmse: float | None = None
    mae: float | None = None
    smape: float | None = None
    mase: float | None = None
    wmape: float | None = None
    training_time: float | None = None
    score: float | None = None
    std: dict[str, float | None] = {}
    folds: list[float] = []


class RankingDoc(msgspec.Struct, kw_only=True):
    rank: int
    model_name: str
    dataset_name: str
    metric: str
    split: str = "test"
    value: float


class SignificanceDoc(msgspec.Struct, kw_only=True):
    method: str
    metric: str
    paired_by: str
    pairs: int
    statistic: float
    p_value: float
    mean_difference: float
    compared: list[str]


class FiltersDoc(msgspec.Struct, kw_only=True):
    experiments: list[str]
    dataset: str | None
    models: list[str]
    include_unfinished: bool
    rank_by: str
    aggregate: str
    rank_on: str = "test"


class ExperimentDoc(msgspec.Struct, kw_only=True):
    experiment_id: str
    name: str


class Header(msgspec.Struct):
    """Read first, so a file of another kind or version is named as such."""

    schema: str | None = None
    schema_version: int | None = None


class ResultsDocument(msgspec.Struct, kw_only=True):
    schema: str
    schema_version: int
    generated_at: str
    source: str
    filters: FiltersDoc
    results: list[ResultDoc]
    rankings: list[RankingDoc]
    significance: SignificanceDoc | None
    significance_note: str
    experiments: list[ExperimentDoc]
    runs: list[RunDoc]
    series_errors: dict[str, dict[str, dict[str, float]]] = {}


class _StoreErrors(msgspec.Struct):  # what version 1 called the per-series errors
    store_errors: dict[str, dict[str, dict[str, float]]] = {}


def run_doc(run: Run) -> RunDoc:
    return RunDoc(run_id=run.run_id, experiment_id=run.experiment_id, name=run.name, status=run.status.value,
                  start_time=to_epoch_ms(run.start_time), end_time=to_epoch_ms(run.end_time),
                  metrics=dict(run.metrics), params=dict(run.params), tags=dict(run.tags))


def run_from_doc(doc: RunDoc) -> Run:
    return Run(run_id=doc.run_id, experiment_id=doc.experiment_id, name=doc.name, status=parse_status(doc.status),
               start_time=from_epoch_ms(doc.start_time), end_time=from_epoch_ms(doc.end_time),
               metrics=doc.metrics, params=doc.params, tags=doc.tags)


def result_docs(report: BenchmarkReport) -> list[ResultDoc]:
    """The results rows of the report, as the JSON and CSV files have them."""
    return [ResultDoc(model_name=row.model, dataset_name=row.dataset, runs=row.runs, run_id=row.run_id,
                      **{name: value for name, value in row.values.items() if name in ResultDoc.__struct_fields__},
                      score=row.score, std=dict(row.std), folds=list(row.folds))
            for row in report.leaderboard.results]


def results_records(results: Sequence[ResultDoc]) -> tuple[list[str], list[list[Any]]]:
    """The results as a table: the scalar fields, then one `<metric>_std` column per metric with a std."""
    scalars = [f for f in ResultDoc.__struct_fields__ if f not in ("std", "folds")]
    stds = sorted({k for row in results for k, v in row.std.items() if v is not None})
    rows = [[getattr(row, f) for f in scalars] + [row.std.get(k) for k in stds] for row in results]
    return scalars + [f"{k}_std" for k in stds], rows


def _significance(report: BenchmarkReport) -> SignificanceDoc | None:
    test = report.significance
    if test is None:
        return None
    return SignificanceDoc(method=test.method, metric=test.metric, paired_by=test.paired_by, pairs=test.pairs,
                           statistic=test.statistic, p_value=test.p_value, mean_difference=test.mean_difference,
                           compared=[row.model for row in report.leaderboard.top_two() or ()])


def report_document(report: BenchmarkReport) -> ResultsDocument:
    board = report.leaderboard
    return ResultsDocument(
        schema=SCHEMA, schema_version=SCHEMA_VERSION, generated_at=report.generated_at.isoformat(),
        source=report.source, filters=FiltersDoc(**report.request.filters()), results=result_docs(report),
        rankings=[RankingDoc(rank=r.rank, model_name=r.model, dataset_name=r.dataset, metric=board.rank_by,
                             split=board.rank_on, value=r.value) for r in board.rankings],
        significance=_significance(report), significance_note=report.significance_note,
        experiments=[ExperimentDoc(experiment_id=e.experiment_id, name=e.name) for e in report.experiments],
        runs=[run_doc(run) for run in report.runs],
        series_errors={run_id: {series: dict(m) for series, m in errors.items()}
                       for run_id, errors in report.series_errors.items()},
    )


def decode_document(content: bytes, where: str) -> ResultsDocument:
    """The document in `content`; SourceUnavailableError naming what is wrong with it."""
    try:
        header = msgspec.json.decode(content, type=Header)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SourceUnavailableError(f"cannot read {where} as benchmark results: {exc}") from exc
    if header.schema != SCHEMA:
        raise SourceUnavailableError(f"{where} is not an ml-portfolio benchmark results file")
    if header.schema_version not in READABLE_VERSIONS:
        raise SourceUnavailableError(
            f"{where} has schema version {header.schema_version}; this version reads "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
        )
    try:
        document = msgspec.json.decode(content, type=ResultsDocument)
        if header.schema_version == 1:
            document.series_errors = msgspec.json.decode(content, type=_StoreErrors).store_errors
    except msgspec.ValidationError as exc:
        raise SourceUnavailableError(f"{where} is malformed: {exc}") from exc
    return document


class JsonRunRepository:
    """RunSource over a results file written by an earlier benchmark (the dashboard's file mode)."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._document: ResultsDocument | None = None
        self._stamp: int | None = None

    def describe(self) -> str:
        return f"json {self._path}"

    def _load(self) -> ResultsDocument:
        try:
            stamp = self._path.stat().st_mtime_ns
        except OSError:
            raise SourceUnavailableError(
                f"no benchmark results at {self._path}; `ml-portfolio benchmark` writes them"
            ) from None
        if self._document is None or stamp != self._stamp:  # a later benchmark replaced the file
            try:
                content = self._path.read_bytes()
            except OSError as exc:
                raise SourceUnavailableError(f"cannot read {self._path}: {exc.strerror or exc}") from exc
            self._document, self._stamp = decode_document(content, str(self._path)), stamp
        return self._document

    def experiments(self) -> list[Experiment]:
        return [Experiment(experiment_id=e.experiment_id, name=e.name) for e in self._load().experiments]

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        wanted = set(experiment_ids)
        try:
            runs = [run_from_doc(r) for r in self._load().runs if r.experiment_id in wanted]
        except InvalidValueError as exc:
            raise SourceUnavailableError(f"{self._path} has a malformed run: {exc}") from exc
        return iter([r for r in runs if include_unfinished or r.status is RunStatus.FINISHED])

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        recorded = self._load().series_errors
        return {run_id: recorded[run_id] for run_id in run_ids if run_id in recorded}
