"""How each version does now: what training leaves beside the actuals, and a version's forecasts
scored against the actuals that settled them, beside its backtest."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from application.ports import ActualsStore, ForecastLog, History, ModelRegistry, SalesDataset, ServableModel
from application.serving import ServedModels
from domain.actuals import ActualsReceipt
from domain.errors import UnknownExperimentError
from domain.forecasts import DEFAULT_CONFIDENCE
from domain.frequency import frequency_of_code
from domain.metrics import TEST_SPLIT
from domain.models import ModelVersion, check_model_name, parse_version_ref
from domain.monitoring import (
    DRIFT_CONFIDENCE,
    Accuracy,
    Drift,
    SettledPoint,
    accuracy,
    arrival_week,
    breakdown,
    drift,
)

TRAINING = "training"  # the source of the forecasts a version logs when it is registered


class TrainingLedger:
    """What training takes from and leaves in the actuals store: the actuals to date as a table, its
    own table (so actuals to date include it), each registered version's forecast from its training
    origin (which live accuracy scores), and the revision it trained on (so `retrain` knows what is new)."""

    def __init__(self, store: ActualsStore, log: ForecastLog) -> None:
        self._store, self._log = store, log

    def table(self, dataset: str) -> tuple[History, int]:
        """The dataset's actuals to date, and the revision they are at least (read first: a batch that
        arrives meanwhile is in the table or still new to the next training, never lost)."""
        found = next((d for d in self._store.datasets() if d.name == dataset), None)
        if found is None:
            known = ", ".join(d.name for d in self._store.datasets()) or "none"
            raise UnknownExperimentError(f"the actuals store {self._store.describe()} has no dataset {dataset!r} "
                                         f"(it has {known})")
        return self._store.history(dataset), found.revision

    def keep_table(self, dataset: SalesDataset) -> ActualsReceipt:
        info = dataset.info
        return self._store.append(info.name, dataset.history(), info.frequency, f"training table {info.source}")

    def keep_forecast(self, version: ModelVersion, dataset: str, servable: ServableModel) -> None:
        self._log.log(version, dataset, TRAINING, servable.training_forecast(DEFAULT_CONFIDENCE), DEFAULT_CONFIDENCE)

    def trained(self, dataset: str, revision: int) -> None:
        self._store.mark_trained(dataset, revision)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracyReport:
    version: ModelVersion
    dataset: str
    live: Accuracy
    backtest: Mapping[str, float]  # the version's own figures: mape, mase, coverage over its windows
    windows: Mapping[str, float]  # its MAPE in each backtest window (fold1.., test): the band live MAPE is read in
    drift: Drift
    per_series: Sequence[tuple[Hashable, Accuracy]] = field(default_factory=tuple)
    per_step: Sequence[tuple[Hashable, Accuracy]] = field(default_factory=tuple)
    per_week: Sequence[tuple[Hashable, Accuracy]] = field(default_factory=tuple)


def backtest_figures(metrics: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(summary over every window, MAPE per window) of a version's run."""
    summary = {k: metrics[f"overall_{k}"] for k in ("mape", "mase") if f"overall_{k}" in metrics}
    if f"{TEST_SPLIT}_coverage" in metrics:
        summary["coverage"] = metrics[f"{TEST_SPLIT}_coverage"]
    windows = {k.removesuffix("_mape"): v for k, v in metrics.items()
               if k.endswith("_mape") and (k.startswith("fold") or k == f"{TEST_SPLIT}_mape")}
    return summary, windows


class MeasureAccuracy:
    """Rules: a version is scored on the settled periods of the forecasts it made from its training
    origin, against the actuals in force; MASE scales by each series' seasonal-naive error up to that
    origin; the drift rule is domain.monitoring's, on the version's own interval widths and backtest."""

    def __init__(self, registry: ModelRegistry, models: ServedModels, log: ForecastLog, store: ActualsStore) -> None:
        self._registry, self._models, self._log, self._store = registry, models, log, store

    def __call__(self, name: str, ref: str | None = None) -> AccuracyReport:
        version = self._models.resolve(check_model_name(name), parse_version_ref(ref))
        model = self._models.model(version)
        points = self._log.settled(version, TRAINING)
        season = frequency_of_code(model.frequency).season if model.frequency else 1
        scales = self._store.scales(model.dataset, model.last_period, season) if points else {}
        live = accuracy(points, scales)
        summary, windows = backtest_figures(self._registry.evaluation_metrics(version))
        found = drift(points, model.half_widths(DRIFT_CONFIDENCE), live, windows, DEFAULT_CONFIDENCE)
        return AccuracyReport(version=version, dataset=model.dataset, live=live, backtest=summary, windows=windows,
                              drift=found,
                              per_series=breakdown(points, lambda p: p.series_id, scales),
                              per_step=breakdown(points, lambda p: p.step, scales),
                              per_week=breakdown(points, arrival_week, scales))


class MeasureServed:
    """Rules: every version an alias points at is measured (once, whatever aliases it holds), and only
    those trained on `dataset` when one is given."""

    def __init__(self, registry: ModelRegistry, models: ServedModels, measure: MeasureAccuracy) -> None:
        self._registry, self._models, self._measure = registry, models, measure

    def __call__(self, dataset: str | None = None) -> list[tuple[tuple[str, ...], AccuracyReport]]:
        found = []
        for entry in sorted(self._registry.models(), key=lambda m: m.name):
            held: dict[int, list[str]] = {}
            for alias, number in entry.aliases.items():
                held.setdefault(number, []).append(alias)
            for number, aliases in sorted(held.items()):
                version = self._models.resolve(entry.name, str(number))
                if dataset is None or self._models.model(version).dataset == dataset:
                    found.append((tuple(sorted(aliases)), self._measure(entry.name, str(number))))
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesServed:
    dataset: str
    series_id: str
    actuals: tuple[tuple[date, float], ...]  # the values in force, oldest first
    served: tuple[SettledPoint, ...]  # the forecasts served for it (actual NaN where none arrived yet)


class ReadServed:
    """A series' actuals beside the forecasts served for them."""

    def __init__(self, log: ForecastLog, store: ActualsStore) -> None:
        self._log, self._store = log, store

    def __call__(self, dataset: str, series_id: str) -> SeriesServed:
        _, dates, values = self._store.history(dataset, [series_id]).rows()
        return SeriesServed(dataset=dataset, series_id=series_id, actuals=tuple(zip(dates, values)),
                            served=tuple(self._log.served(dataset, series_id)))
