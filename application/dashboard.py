"""What the dashboard shows beyond a benchmark report: the portfolio at a glance, the registry,
one series' forecast with its history, and an uploaded table of predictions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from application.ports import (
    ForecastModel,
    History,
    HistorySource,
    ModelRegistry,
    PredictionsReader,
    RunSource,
)
from application.serving import ForecastRequest, ForecastSales, ServedModels
from domain.benchmarks import BenchmarkReport
from domain.errors import InvalidValueError
from domain.forecasts import Forecast
from domain.leaderboard import Ranking
from domain.models import CHAMPION, ModelVersion, check_model_name, parse_version_ref
from domain.predictions import ColumnChoice, PredictionTable, guess_columns
from domain.runs import Experiment, Run, SeriesErrors


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
    """One series as a version sees it: its recent training history and the forecast from its training
    origin (when the version was trained on it), and the forecast from a history given (when there is one)."""

    version: ModelVersion
    history: tuple[tuple[date, float], ...]
    forecast: Forecast | None
    metrics: Mapping[str, float]
    given: tuple[tuple[date, float], ...] = ()  # the series' rows of the history given
    from_given: Forecast | None = None


class ForecastSeries:
    """One series' forecast as the API would answer it, with the history the version forecasts from
    (the periods it carries), so both can be drawn on one time axis; and, given a history that holds
    the series, its forecast from there too. A series the version was not trained on has only that."""

    def __init__(self, forecast: ForecastSales, models: ServedModels) -> None:
        self._forecast, self._models = forecast, models

    def __call__(self, request: ForecastRequest, given: History | None = None) -> SeriesOutlook:
        if len(request.series_ids) != 1 or not request.model_name:
            raise InvalidValueError("a series outlook is for one series of a named model")
        (series,) = request.series_ids
        version = self._models.resolve(request.model_name, request.model_version or "latest")
        model = self._models.model(version)
        mine = given.select([series]) if given is not None and series in given.series else None
        recent = self._forecast(replace(request, history=mine)) if mine is not None else None
        if recent is not None and series not in model.series_ids:
            stored = None
        else:  # a series it was not trained on, without a history, is an UnknownSeriesError here
            stored = self._forecast(request)
        rows = mine.rows() if mine is not None else ((), (), ())
        answered = stored or recent
        return SeriesOutlook(version=version, history=model.history(series) if stored else (),
                             forecast=stored.forecast if stored else None,
                             metrics=answered.metrics if answered else {},
                             given=tuple(sorted((d, v) for d, v in zip(rows[1], rows[2]) if v == v)),  # no future row
                             from_given=recent.forecast if recent else None)

    def model(self, name: str, ref: str) -> ForecastModel:
        """The version a reference points at, loaded (if it is not loaded yet): its series, horizon limit, unit."""
        return self._models.model(self._models.resolve(check_model_name(name), parse_version_ref(ref)))


class ReadHistory:
    """An uploaded table of recent history: each of its series to be forecast from its own last date."""

    def __init__(self, source: HistorySource) -> None:
        self._source = source

    def __call__(self, content: bytes, name: str) -> History:
        return self._source.parse(content, name)


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
