"""ForecastAll: every series' forecast of one registered version, from its training origin or from
a table of histories, written to a file in chunks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import ForecastModel, ForecastWriter, History, HistorySource, Progress, TaskRunner
from application.serving import ServedModels
from domain.columns import RECOGNISE, ColumnSpec
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
    data: str | None = None  # a table of histories: its series, each from its own last date (None: the stored origin)
    columns: ColumnSpec = RECOGNISE

    def __post_init__(self) -> None:
        check_model_name(self.reference[0])
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
    """Rules: the version is named by number, alias or (alone) its latest; every series it knows is
    forecast from its training origin, or, given a table, every series of the table from its own
    last date; for the horizon asked for (its longest by default), in chunks of series that are
    tasks of the runner (the loaded version reaches each worker once); the file is written chunk by
    chunk and appears whole or not at all."""

    def __init__(self, models: ServedModels, runner: TaskRunner, writer: ForecastWriter,
                 histories: HistorySource) -> None:
        self._models, self._runner, self._writer, self._histories = models, runner, writer, histories

    def __call__(self, request: BatchRequest, progress: Progress = lambda message: None) -> BatchReport:
        version = self._models.resolve(*request.reference)
        model = self._models.model(version)
        horizon = request.horizon or model.max_horizon
        if horizon > model.max_horizon:
            raise InvalidValueError(f"horizon must be in 1..{model.max_horizon} {model.unit}s for {version.uri}, "
                                    f"not {horizon}")
        history = self._histories.read(request.data, request.columns) if request.data else None
        ids = list(history.series if history is not None else model.series_ids)
        chunks = [ids[start : start + request.chunk] for start in range(0, len(ids), request.chunk)]
        origin = f"from the last date of each series of {request.data}" if history else "from the training origin"
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
                rows += len(points)
                progress(f"chunk {number}/{len(chunks)}: {rows:,} rows")
        return BatchReport(version=version, series=len(ids), rows=rows, horizon=horizon, output=request.output)
