"""What the dashboard shows beyond a benchmark report: the portfolio at a glance, the registry,
one series' forecast with its history, and an uploaded table of predictions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from application.benchmark import BenchmarkReport
from application.ports import ForecastModel, ModelRegistry, PredictionsReader, RunSource, SeriesErrors
from application.serving import ForecastRequest, ForecastSales, ServedModels
from domain.errors import InvalidValueError
from domain.forecasts import Forecast
from domain.leaderboard import Ranking
from domain.models import CHAMPION, ModelVersion, check_model_name, parse_version_ref
from domain.predictions import ColumnChoice, PredictionTable, guess_columns
from domain.runs import Experiment, Run


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    models: int
    datasets: int
    runs: int
    best: Ranking | None  # the top row of the leading dataset by the report's rank metric
    mean_training_time: float | None  # seconds, over the runs that logged it


def overview(report: BenchmarkReport) -> Overview:
    """Counts over the runs the report ranked; the best row is the report's first ranking."""
    times = [t for t in (run.metric("training_time", None) for run in report.runs) if t is not None]
    return Overview(
        models=len({run.model_name.lower() for run in report.runs}),
        datasets=len({run.dataset_name.lower() for run in report.runs}),
        runs=len(report.runs),
        best=report.leaderboard.rankings[0] if report.leaderboard.rankings else None,
        mean_training_time=sum(times) / len(times) if times else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryEntry:
    name: str
    newest_version: int
    aliases: Mapping[str, int]
    champion: int | None  # version the champion alias points at
    champion_metrics: Mapping[str, float] = field(default_factory=dict)


class DescribeRegistry:
    """Rules: every registered model with its newest version and aliases; a model's champion is
    described by the champion version's own test metrics, not the newest version's."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def __call__(self) -> list[RegistryEntry]:
        entries = []
        for model in sorted(self._registry.models(), key=lambda m: m.name):
            champion = model.aliases.get(CHAMPION)
            metrics = (
                model.metrics
                if champion == model.latest.version
                else (
                    self._registry.evaluation_metrics(self._registry.resolve(model.name, str(champion)))
                    if champion
                    else {}
                )
            )
            entries.append(
                RegistryEntry(
                    name=model.name,
                    newest_version=model.latest.version,
                    aliases=dict(model.aliases),
                    champion=champion,
                    champion_metrics=metrics,
                )
            )
        return entries


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesOutlook:
    version: ModelVersion
    history: tuple[tuple[date, float], ...]
    forecast: Forecast
    metrics: Mapping[str, float]


class ForecastSeries:
    """One series' forecast as the API would answer it, with the history the version forecasts
    from (the periods it carries), so both can be drawn on one time axis."""

    def __init__(self, forecast: ForecastSales, models: ServedModels) -> None:
        self._forecast, self._models = forecast, models

    def __call__(self, request: ForecastRequest) -> SeriesOutlook:
        if len(request.series_ids) != 1:
            raise InvalidValueError("a series outlook is for one series")
        result = self._forecast(request)
        version = self._models.resolve(result.forecast.model_name, str(result.forecast.model_version))
        history = self._models.model(version).history(request.series_ids[0])
        return SeriesOutlook(version=version, history=history, forecast=result.forecast, metrics=result.metrics)

    def model(self, name: str, ref: str) -> ForecastModel:
        """The version a reference points at, loaded (if it is not loaded yet): its series, horizon limit, unit."""
        return self._models.model(self._models.resolve(check_model_name(name), parse_version_ref(ref)))


class ReadPredictions:
    """An uploaded table and the columns its names suggest for date, actual and predicted."""

    def __init__(self, reader: PredictionsReader) -> None:
        self._reader = reader

    def __call__(self, content: bytes, name: str) -> tuple[PredictionTable, ColumnChoice]:
        table = self._reader.read(content, name)
        return table, guess_columns(table)


class RunSnapshot:
    """A RunSource read once: the experiments and FINISHED run summaries of another source, kept
    in memory so the dashboard can re-filter and re-rank without reading the source again.
    Per-series errors are still asked of the source, for the few runs a ranking needs."""

    def __init__(self, source: RunSource, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self._source = source
        started = timer()
        self._experiments = source.experiments()
        ids = [e.experiment_id for e in self._experiments]
        self._runs = [run.summary() for run in source.runs(ids, summary=True)]
        self.read_at, self.read_seconds = clock(), timer() - started
        self._errors: dict[str, SeriesErrors] = {}

    def describe(self) -> str:
        return self._source.describe()

    def experiments(self) -> list[Experiment]:
        return list(self._experiments)

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        wanted = set(experiment_ids)
        return (run for run in self._runs if run.experiment_id in wanted)

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        missing = [i for i in run_ids if i not in self._errors]
        if missing:
            found = self._source.series_errors(missing)
            self._errors.update({i: found.get(i, {}) for i in missing})
        return {i: self._errors[i] for i in run_ids if self._errors[i]}
