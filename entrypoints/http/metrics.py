"""GET /metrics: what the service does and how its served versions do, in Prometheus' text format.

Requests, latencies and errors per route template and model (never per series or per path: a
label's values stay few), the versions each process has loaded, and per model and alias the live
accuracy and drift of the version the alias points at (measured on scrape, kept LIVE_TTL seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from litestar import Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from application.monitoring import MeasureServed
from application.serving import ServedModels
from domain.errors import DomainError

log = logging.getLogger("ml_portfolio.metrics")
LIVE_TTL = 60.0
MODEL_STATE = "model"  # the request's scope state key a handler names the model it served in
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LiveCollector(Collector):
    """Loaded versions, and live accuracy and drift per model and alias, read when Prometheus scrapes."""

    def __init__(self, models: Callable[[], ServedModels], measure: Callable[[], MeasureServed]) -> None:
        self._models, self._measure = models, measure
        self._lock = threading.Lock()
        self._kept: tuple[float, list[GaugeMetricFamily]] | None = None

    def _live(self) -> list[GaugeMetricFamily]:
        names = ("mape", "mase", "bias", "coverage", "periods")
        families = {n: GaugeMetricFamily(f"ml_portfolio_live_{n}", f"live {n} of the version an alias points at "
                                         "(forecasts from its training origin against the actuals)",
                                         labels=["model", "alias", "version"]) for n in names}
        drifted = GaugeMetricFamily("ml_portfolio_drift_flagged", "1 when the version an alias points at drifted",
                                    labels=["model", "alias", "version"])
        series = GaugeMetricFamily("ml_portfolio_drifted_series", "series of it that drifted",
                                   labels=["model", "alias", "version"])
        scraped = GaugeMetricFamily("ml_portfolio_live_scrape_ok", "1 when the live figures could be measured")
        try:
            for aliases, report in self._measure()():
                for alias in aliases:
                    labels = [report.version.name, alias, str(report.version.version)]
                    for name in names:
                        value = getattr(report.live, name)
                        if value is not None:
                            families[name].add_metric(labels, float(value))
                    drifted.add_metric(labels, float(report.drift.flagged))
                    series.add_metric(labels, float(len(report.drift.flagged_series)))
            scraped.add_metric([], 1.0)
        except DomainError as exc:  # a store that is down: the request figures still go out
            log.warning("live figures not measured: %s", exc)
            scraped.add_metric([], 0.0)
        return [*families.values(), drifted, series, scraped]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        loaded = GaugeMetricFamily("ml_portfolio_loaded_versions", "model versions loaded in this process",
                                   labels=["model", "version"])
        for reference in self._models().loaded():
            name, _, version = reference.partition("/")
            loaded.add_metric([name, version], 1.0)
        yield loaded
        with self._lock:
            if self._kept is None or time.monotonic() - self._kept[0] > LIVE_TTL:
                self._kept = (time.monotonic(), self._live())
            yield from self._kept[1]


class ServiceMetrics:
    """The metrics of one app: its registry, the middleware that counts requests, the /metrics route."""

    def __init__(self, models: Callable[[], ServedModels], measure: Callable[[], MeasureServed]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ml_portfolio_requests", "HTTP requests answered",
                                ["route", "method", "status", "model"], registry=self.registry)
        self.errors = Counter("ml_portfolio_request_errors", "HTTP requests answered with a 4xx or 5xx",
                              ["route", "method", "status", "model"], registry=self.registry)
        self.latency = Histogram("ml_portfolio_request_seconds", "time to answer an HTTP request",
                                 ["route", "method", "model"], buckets=BUCKETS, registry=self.registry)
        self.registry.register(LiveCollector(models, measure))

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started, status = time.perf_counter(), [500]

            async def sent(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                await send(message)

            try:
                await app(scope, receive, sent)
            finally:
                self._count(scope, status[0], time.perf_counter() - started)

        return counted

    def _count(self, scope: Any, status: int, seconds: float) -> None:
        route = scope.get("path_template") or "(unrouted)"
        model = str((scope.get("state") or {}).get(MODEL_STATE, ""))
        method = scope.get("method", "")
        self.requests.labels(route, method, str(status), model).inc()
        self.latency.labels(route, method, model).observe(seconds)
        if status >= 400:
            self.errors.labels(route, method, str(status), model).inc()

    def route(self) -> Any:
        @get("/metrics", summary="Prometheus metrics: requests, latencies, errors, loaded versions, live accuracy",
             sync_to_thread=True, include_in_schema=True, media_type=CONTENT_TYPE_LATEST)
        def metrics() -> Response[bytes]:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return metrics
