"""RunPortfolio: the main job. Train the portfolio, benchmark it, promote the best to champion."""

from __future__ import annotations

from dataclasses import dataclass

from application.benchmark import BenchmarkRuns
from application.ports import ModelRegistry, Progress
from application.serving import PromoteModel, PromoteRequest
from application.train import TrainingReport, TrainModels, TrainRequest
from domain.benchmarks import BenchmarkReport, BenchmarkRequest
from domain.errors import TrainingError, UnknownModelError
from domain.leaderboard import Ranking, RunFilter, evidence_split
from domain.models import CHAMPION, ModelVersion, Promotion
from domain.training import COMBINATION, MODEL_TYPES

RANK_BY = "mape"


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioRequest:
    training: TrainRequest
    output_dir: str
    who: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioReport:
    training: TrainingReport
    benchmark: BenchmarkReport
    written: tuple[str, ...]
    champion: ModelVersion  # the version `champion` points at when the job ends
    promotion: Promotion | None  # None when the champion already was as good as the best
    evidence: str  # the benchmark's case for the best run; recorded with the promotion, if there is one


def _evidence(report: BenchmarkReport, best: Ranking, version: ModelVersion, results_file: str) -> str:
    board = report.leaderboard
    runner_up = next((r for r in board.rankings if r.dataset == best.dataset and r.rank > best.rank), None)
    parts = [
        f"ranked {best.rank} of {sum(r.dataset == best.dataset for r in board.rankings)} models "
        f"by {board.rank_on} {board.rank_by} "
        f"({best.value:.4g}) on {best.dataset} over {len(report.runs)} finished runs of experiment(s) "
        f"{', '.join(e.name for e in report.experiments)}, benchmark of {report.generated_at:%Y-%m-%d %H:%M:%S} UTC "
        f"(run {version.run_id})"
    ]
    if best.rank > 1:  # the combination, promoted over the members ranked above it
        top = next(r for r in board.rankings if r.dataset == best.dataset)
        parts.append(f"the combination of the members best on earlier windows, promoted over {top.model} "
                     f"({top.value:.4g}), the best of {sum(r.dataset == best.dataset for r in board.rankings) - 1} "
                     "single models on the same windows")
    if runner_up:
        parts.append(f"next {runner_up.model} {runner_up.value:.4g}")
    if report.significance and best.rank == 1:
        test = report.significance
        parts.append(f"Wilcoxon signed-rank on {test.pairs} {test.paired_by} pairs p = {test.p_value:.3g}")
    else:
        parts.append(f"gap not tested: {report.significance_note}")
    parts.append(f"results in {results_file}")
    return "; ".join(parts)


class RunPortfolio:
    """Rules: the benchmark covers every finished run of the experiment on the trained dataset,
    earlier invocations' included, so a re-run adds runs and versions and never forgets one;
    the ensemble (the combination, domain.training.COMBINATION) becomes `champion` of its model when it
    trained and was registered, else the best ranked row that has a registered version, unless
    the current champion's metric (over all windows, see domain.leaderboard) is already as good
    (then nothing is promoted, so re-running the same job moves nothing); every promotion carries
    its evidence.
    """

    def __init__(
        self, train: TrainModels, benchmark: BenchmarkRuns, registry: ModelRegistry, promote: PromoteModel
    ) -> None:
        self._train, self._benchmark, self._registry, self._promote = train, benchmark, registry, promote

    def __call__(self, request: PortfolioRequest, progress: Progress = lambda message: None) -> PortfolioReport:
        training = self._train(request.training, progress)
        if len(training.failed) == len(training.outcomes):
            raise TrainingError("no model trained: " + "; ".join(f"{o.model}: {o.error}" for o in training.failed))
        progress(f"benchmarking experiment {training.experiment} on {training.dataset.name}")
        benchmark = BenchmarkRequest(
            experiments=(training.experiment,), run_filter=RunFilter(dataset=training.dataset.name), rank_by=RANK_BY
        )
        report, written = self._benchmark(benchmark, request.output_dir, progress)
        ranking, best = self._best_version(report)
        evidence = _evidence(report, ranking, best, written[0])
        try:
            current = self._registry.resolve(best.name, CHAMPION)
        except UnknownModelError:
            current = None
        if current is not None:
            evaluated = self._registry.evaluation_metrics(current), self._registry.evaluation_metrics(best)
            metric = f"{evidence_split(evaluated, RANK_BY)}_{RANK_BY}"
            held, challenger = (found.get(metric, float("inf")) for found in evaluated)
            if current.version == best.version or held <= challenger:
                progress(f"{best.name}@{CHAMPION} stays at version {current.version} "
                         f"({metric} {held:.4g}; the best run's version {best.version} has {challenger:.4g})")
                return PortfolioReport(training=training, benchmark=report, written=tuple(written), champion=current,
                                       promotion=None, evidence=evidence)
        promotion = self._promote(PromoteRequest(name=best.name, version=str(best.version), alias=CHAMPION,
                                                 who=request.who, evidence=evidence))
        return PortfolioReport(
            training=training,
            benchmark=report,
            written=tuple(written),
            champion=self._registry.resolve(best.name, CHAMPION),
            promotion=promotion,
            evidence=evidence,
        )

    def _best_version(self, report: BenchmarkReport) -> tuple[Ranking, ModelVersion]:
        """The combination's row when it has a registered version, else the best ranked row that has
        one; and that version."""
        rows = {(row.model, row.dataset): row for row in report.leaderboard.results}
        combination = MODEL_TYPES[COMBINATION]
        for ranking in sorted(report.leaderboard.rankings, key=lambda r: r.model != combination):  # stable
            versions = self._registry.versions_of_run(rows[(ranking.model, ranking.dataset)].run_id)
            if versions:
                return ranking, max(versions, key=lambda v: v.version)
        raise UnknownModelError("no ranked run has a registered model version; train without --no-register")
