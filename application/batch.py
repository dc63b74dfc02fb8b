"""ForecastAll: every series' forecast of one registered version, from the latest actuals, its
training origin or a table of histories, written to a file in chunks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.actuals import LatestActuals
from application.ports import ForecastLog, ForecastModel, ForecastWriter, History, Progress, TaskRunner
from application.serving import LATEST, ORIGINS, SERVED, ServedModels
from domain.errors import InvalidValueError
from domain.forecasts import DEFAULT_CONFIDENCE, ForecastPoint, check_confidence, check_horizon
from domain.models import ModelVersion, check_model_name, parse_version_ref

DEFAULT_CHUNK = 5_000  # series per task


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRequest:
    model: str  # NAME, NAME@alias or NAME/version
    output: str
    horizon: int | None = None  # None: the version's longest
    confidence: float | None = DEFAULT_CONFIDENCE  # None: no intervals
    chunk: int = DEFAULT_CHUNK
    history: History | None = None  # a table of histories: its series, each from its own last date
    source: str = ""  # where that table came from, in words
    origin: str = LATEST  # without a history: the latest actuals of the store, or the `training` origin

    def __post_init__(self) -> None:
        check_model_name(self.reference[0])
        if self.origin not in ORIGINS:
            raise InvalidValueError(f"origin is one of {', '.join(ORIGINS)}, not {self.origin!r}")
        if self.horizon is not None:
            check_horizon(self.horizon)
        if self.confidence is not None:
            check_confidence(self.confidence)
        if isinstance(self.chunk, bool) or not isinstance(self.chunk, int) or self.chunk < 1:
            raise InvalidValueError(f"a chunk is a whole number of series >= 1, not {self.chunk!r}")

    @property
    def reference(self) -> tuple[str, str]:
        """(name, version reference): NAME@alias, NAME/3, or NAME alone for its latest version."""
        for separator in ("@", "/"):
            if separator in self.model:
                name, ref = self.model.split(separator, 1)
                return name, parse_version_ref(ref)
        return self.model, "latest"


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchReport:
    version: ModelVersion
    series: int
    rows: int
    horizon: int
    output: str


def forecast_chunk(model: ForecastModel, series: Sequence[str], horizon: int,
                   confidence: float | None) -> tuple[ForecastPoint, ...]:
    """One chunk's forecast from the training origin: a task, run wherever the runner runs it."""
    return model.forecast(series, horizon, confidence)


def forecast_history_chunk(model: ForecastModel, history: History, horizon: int,
                           confidence: float | None) -> tuple[ForecastPoint, ...]:
    """One chunk's forecast from its histories: a task, run wherever the runner runs it."""
    return model.forecast_history(history, None, horizon, confidence)


class ForecastAll:
    """Rules: the version is named by number, alias or (alone) its latest; given a table, every series
    of the table is forecast from its own last date; else every series the actuals store holds of the
    version's dataset from its latest actuals, or, when the store holds none (or `training` is asked
    for), every series the version knows from its training origin; for the horizon asked for (its
    longest by default), in chunks of series that are tasks of the runner (the loaded version reaches
    each worker once); the file is written chunk by chunk and appears whole or not at all; the
    forecasts are logged beside the actuals."""

    def __init__(self, models: ServedModels, runner: TaskRunner, writer: ForecastWriter, latest: LatestActuals,
                 log: ForecastLog) -> None:
        self._models, self._runner, self._writer, self._latest, self._log = models, runner, writer, latest, log

    def _history(self, request: BatchRequest, model: ForecastModel) -> tuple[History | None, str]:
        if request.history is not None:
            return request.history, f"from the last date of each series of {request.source or 'the table'}"
        found = self._latest.snapshot(model.dataset) if request.origin == LATEST and model.dataset else None
        if found is not None and found.history.series:
            return found.history, f"from the latest actuals of {model.dataset}"
        return None, "from the training origin"

    def __call__(self, request: BatchRequest, progress: Progress = lambda message: None) -> BatchReport:
        version = self._models.resolve(*request.reference)
        model = self._models.model(version)
        history, origin = self._history(request, model)
        needs_future = history is not None and any(c.kind == "future" for c in model.covariates)
        # a version that needs future values gets them for its default horizon, not for its longest
        horizon = request.horizon or (model.default_horizon if needs_future else model.max_horizon)
        if horizon > model.max_horizon:
            raise InvalidValueError(f"horizon must be in 1..{model.max_horizon} {model.unit}s for {version.uri}, "
                                    f"not {horizon}")
        ids = list(history.series if history is not None else model.series_ids)
        chunks = [ids[start : start + request.chunk] for start in range(0, len(ids), request.chunk)]
        progress(f"{version.uri}: {len(ids):,} series x {horizon} {model.unit}s {origin} in {len(chunks)} chunk(s), "
                 f"run {self._runner.describe()}")
        shared = self._runner.share(model)
        pending = [self._runner.submit(forecast_history_chunk, shared, history.select(chunk), horizon,
                                       request.confidence) if history is not None
                   else self._runner.submit(forecast_chunk, shared, chunk, horizon, request.confidence)
                   for chunk in chunks]
        rows = 0
        with self._writer.open(request.output, version) as sink:
            for number, task in enumerate(pending, start=1):
                points = task.result()
                sink.write(points)
                self._log.log(version, model.dataset, SERVED, points, request.confidence)
                rows += len(points)
                progress(f"chunk {number}/{len(chunks)}: {rows:,} rows")
        return BatchReport(version=version, series=len(ids), rows=rows, horizon=horizon, output=request.output)
