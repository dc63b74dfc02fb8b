"""A forecast log that a server can write to on every request: forecasts wait in memory and reach
the store in batches, from a thread of their own, so a request never waits on the database (a
DuckDB file has one writer at a time: the API would otherwise queue behind `actuals add`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from application.ports import ForecastLog
from domain.errors import SourceUnavailableError
from domain.forecasts import ForecastPoint
from domain.models import ModelVersion
from domain.monitoring import SettledPoint

log = logging.getLogger("ml_portfolio.forecast_log")
MAX_WAITING = 1_000_000  # forecasts kept while the store is unreachable; past that the oldest are dropped


class BufferedForecastLog:
    """ForecastLog that keeps what it is given and writes it every `seconds` (and when closed)."""

    def __init__(self, inner: ForecastLog, seconds: float = 2.0) -> None:
        self._inner, self._seconds = inner, seconds
        self._waiting: list[tuple[ModelVersion, str, str, Sequence[ForecastPoint], float | None]] = []
        self._count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forecast-log", daemon=True)
        self._thread.start()

    def log(self, version: ModelVersion, dataset: str, source: str, points: Sequence[ForecastPoint],
            confidence: float | None) -> None:
        with self._lock:
            self._waiting.append((version, dataset, source, points, confidence))
            self._count += len(points)
            while self._count > MAX_WAITING and len(self._waiting) > 1:
                dropped = self._waiting.pop(0)
                self._count -= len(dropped[3])
                log.warning("forecast log: the store is behind; dropped %d logged forecasts", len(dropped[3]))

    def flush(self) -> None:
        with self._lock:
            waiting, self._waiting, self._count = self._waiting, [], 0
        for position, (version, dataset, source, points, confidence) in enumerate(waiting):
            try:
                self._inner.log(version, dataset, source, points, confidence)
            except SourceUnavailableError as exc:  # kept for the next flush
                log.warning("forecast log: %s; %d batches wait", exc, len(waiting) - position)
                with self._lock:
                    self._waiting = waiting[position:] + self._waiting
                    self._count += sum(len(entry[3]) for entry in waiting[position:])
                return

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds + 5)
        self.flush()

    def settled(self, version: ModelVersion, source: str) -> list[SettledPoint]:
        self.flush()
        return self._inner.settled(version, source)

    def served(self, dataset: str, series_id: str) -> list[SettledPoint]:
        self.flush()
        return self._inner.served(dataset, series_id)
