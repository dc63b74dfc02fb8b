"""Actuals as they arrive: recorded in the store, read back, and kept at hand for forecasts from the
latest of them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from application.ports import ActualsStore, History
from domain.actuals import ActualRecord, ActualsReceipt, DatasetActuals
from domain.errors import InvalidValueError, UnknownExperimentError
from domain.frequency import frequency_of_code, infer_frequency


def choose_dataset(store: ActualsStore, named: str | None) -> DatasetActuals | None:
    """The dataset a request names, else the store's only one; None when the store is empty and none is named."""
    datasets = store.datasets()
    if named:
        return next((d for d in datasets if d.name == named), None)
    if len(datasets) == 1:
        return datasets[0]
    if not datasets:
        return None
    raise InvalidValueError(f"the actuals store holds datasets {', '.join(d.name for d in datasets)}: name one "
                            "(--dataset, or \"dataset\" in the body)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActualsRequest:
    history: History
    source: str  # the file or client that sent them
    dataset: str | None = None  # None: the store's only dataset


class RecordActuals:
    """Rules: actuals go to the dataset named, else to the store's only one; a new dataset takes its
    frequency from the dates; the store keeps every value with when it arrived (domain.actuals); the
    whole batch is refused when one row breaks a rule."""

    def __init__(self, store: ActualsStore) -> None:
        self._store = store

    def __call__(self, request: ActualsRequest) -> ActualsReceipt:
        found = choose_dataset(self._store, request.dataset)
        name = request.dataset or (found.name if found else None)
        if name is None:
            raise InvalidValueError("the actuals store holds no dataset yet: name the new one (--dataset)")
        frequency = frequency_of_code(found.frequency) if found else infer_frequency(set(request.history.rows()[1]))
        return self._store.append(name, request.history, frequency, request.source)


class ReadActuals:
    def __init__(self, store: ActualsStore) -> None:
        self._store = store

    def __call__(self, series_id: str, dataset: str | None = None) -> tuple[str, list[ActualRecord]]:
        found = choose_dataset(self._store, dataset)
        if found is None:
            raise UnknownExperimentError(f"the actuals store has no dataset {dataset!r}" if dataset
                                         else "the actuals store holds no actuals yet")
        return found.name, self._store.records(found.name, series_id)


@dataclass(frozen=True, slots=True)
class Snapshot:
    history: History
    arrivals: Mapping[str, tuple[date, datetime]]  # series -> (its last period, when its latest actual arrived)
    revision: int


class LatestActuals:
    """The actuals in force of each dataset, read once and kept: after `ttl` seconds the store is asked
    for its revision and read again only when it moved, so a request pays for a read only when actuals
    arrived."""

    def __init__(self, store: ActualsStore, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._store, self._ttl, self._clock = store, ttl, clock
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[Snapshot, float]] = {}

    def snapshot(self, dataset: str) -> Snapshot | None:
        with self._lock:
            kept = self._kept.get(dataset)
        if kept is not None and self._clock() - kept[1] < self._ttl:
            return kept[0]
        found = next((d for d in self._store.datasets() if d.name == dataset), None)
        if found is None:
            return None
        if kept is not None and kept[0].revision == found.revision:
            fresh = kept[0]
        else:
            history, arrivals = self._store.latest(dataset)
            fresh = Snapshot(history, arrivals, found.revision)
        with self._lock:
            self._kept[dataset] = (fresh, self._clock())
        return fresh

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()
