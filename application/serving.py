"""Serving forecasts from the registry: the model cache and the use cases the API calls."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from application.actuals import LatestActuals
from application.ports import ForecastLog, ForecastModel, History, Locks, ModelLoader, ModelRegistry
from domain.covariates import Covariate
from domain.errors import InvalidValueError, TrackingUnavailableError, UnknownModelError
from domain.forecasts import (
    DEFAULT_CONFIDENCE,
    DEFAULT_HORIZON,
    Forecast,
    ForecastPoint,
    check_confidence,
    check_horizon,
    series_id,
)
from domain.leaderboard import evidence_split
from domain.models import (
    CHAMPION,
    MAX_VERSION,
    ModelVersion,
    Promotion,
    RegisteredModel,
    check_alias,
    check_model_name,
    parse_version_ref,
    stage_alias,
    version_number,
)

T = TypeVar("T")
FALLBACK_MODEL = "lightgbm"
LATEST, TRAINING_ORIGIN = "latest", "training"
ORIGINS = (LATEST, TRAINING_ORIGIN)
SERVED = "served"  # the source of the forecasts the API, the dashboard and `forecast` log
DEFAULT_MODEL_KEY = ("", "default model")  # no model is named "": a key of its own in the reference cache


class ServedModels:
    """Loaded versions in a bounded LRU keyed by (name, version), and a short-lived cache of
    what `latest`, aliases and stages point at. A version never changes once registered, so a
    loaded one is kept until evicted; a reference is looked up again after `resolve_ttl`
    seconds (other API processes may have promoted), at once after a promotion here, and
    served from the last answer while the registry is unreachable.
    """

    def __init__(self, registry: ModelRegistry, loader: ModelLoader, capacity: int = 8, resolve_ttl: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._registry, self._loader, self._capacity, self._ttl, self._clock = (
            registry,
            loader,
            capacity,
            resolve_ttl,
            clock,
        )
        self._lock = threading.Lock()
        self._loaded: OrderedDict[tuple[str, int], ForecastModel] = OrderedDict()
        self._metrics: dict[tuple[str, int], dict[str, float]] = {}
        self._resolved: dict[tuple[str, str], tuple[Any, float]] = {}
        self._loading: dict[tuple[str, int], threading.Lock] = {}
        self._versions: dict[tuple[str, int], ModelVersion] = {}  # every version resolved, by number

    def resolve(self, name: str, ref: str) -> ModelVersion:
        """What `ref` points at. While the registry is unavailable, a version asked for by number
        that this process has already seen (through any alias) is answered from memory: its model
        never changes, only its aliases may have moved since."""
        number = version_number(ref)
        try:
            found: ModelVersion = self.remembered((name, ref), lambda: self._registry.resolve(name, ref))
        except TrackingUnavailableError:
            with self._lock:
                seen = self._versions.get((name, number)) if number is not None else None
            if seen is None:
                raise
            return seen
        with self._lock:
            self._versions[(found.name, found.version)] = found
        return found

    def remembered(self, key: tuple[str, str], look_up: Callable[[], T]) -> T:
        """`look_up()`, kept for the TTL, and the last answer while the registry is unreachable."""
        with self._lock:
            cached = self._resolved.get(key)
        if cached and self._clock() - cached[1] < self._ttl:
            return cast(T, cached[0])
        try:
            found = look_up()
        except TrackingUnavailableError:
            if cached:
                return cast(T, cached[0])  # keep serving what we last knew
            raise
        with self._lock:
            self._resolved[key] = (found, self._clock())
        return found

    def model(self, version: ModelVersion) -> ForecastModel:
        key = (version.name, version.version)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per version, however many requests wait for it
            with self._lock:
                if key in self._loaded:
                    return self._loaded[key]
            loaded = self._loader.load(version)
            with self._lock:
                self._loaded[key] = loaded
                while len(self._loaded) > self._capacity:
                    self._loaded.popitem(last=False)
                self._loading.pop(key, None)
        return loaded

    def metrics(self, version: ModelVersion) -> dict[str, float]:
        key = (version.name, version.version)
        with self._lock:
            if key in self._metrics:
                return self._metrics[key]
        found = self._registry.evaluation_metrics(version)
        with self._lock:
            self._metrics[key] = found
        return found

    def forget(self, name: str) -> None:
        """Drop what `latest`, aliases and stages of this model pointed at, and the default model."""
        with self._lock:
            for key in [k for k in self._resolved if k[0] in (name, DEFAULT_MODEL_KEY[0])]:
                del self._resolved[key]

    def loaded(self) -> list[str]:
        with self._lock:
            return [f"{name}/{version}" for name, version in self._loaded]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastRequest:
    series_ids: tuple[str, ...] = ()  # with a history, none: every series of the history
    horizon: int = DEFAULT_HORIZON  # checked against the version's own limit when it answers
    model_name: str | None = None
    model_version: str | None = None  # None: the default model's champion, or `latest` of a named model
    include_intervals: bool = True
    confidence_level: float = DEFAULT_CONFIDENCE
    history: History | None = None  # None: from the latest actuals of the store (or `origin`)
    origin: str = LATEST  # without a history: `latest` actuals of the store, or the `training` origin

    def __post_init__(self) -> None:
        if not self.series_ids and self.history is None:
            raise InvalidValueError("give series_id or a non-empty series_ids")
        if self.origin not in ORIGINS:
            raise InvalidValueError(f"origin is one of {', '.join(ORIGINS)}, not {self.origin!r}")
        object.__setattr__(self, "series_ids", tuple(series_id(s) for s in self.series_ids))
        check_horizon(self.horizon)
        check_confidence(self.confidence_level)
        if self.model_name is not None:
            check_model_name(self.model_name)
        if self.model_version is not None:
            object.__setattr__(self, "model_version", parse_version_ref(self.model_version))


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastResult:
    forecast: Forecast
    metrics: Mapping[str, float]
    made_at: datetime


def best_champion(champions: Iterable[tuple[str, Mapping[str, float]]]) -> str | None:
    """Of (model name, its champion's metrics) pairs, the name with the lowest MAPE, read as the
    leaderboard ranks (over every window, or the test window when one lacks that; a champion
    without it comes last); None when there is no champion."""
    listed = list(champions)
    metric = f"{evidence_split([metrics for _, metrics in listed], 'mape')}_mape"
    ranked = sorted((metrics.get(metric, float("inf")), name) for name, metrics in listed)
    return ranked[0][1] if ranked else None


def default_model(registry: ModelRegistry, models: ServedModels) -> tuple[str, str]:
    """(name, reference) served when a request names no model: the champion with the lowest test
    MAPE, else the latest `lightgbm`. Cached like a reference: looked up again after the TTL,
    the last answer while the registry is down."""

    def look_up() -> tuple[str, str]:
        name = best_champion((m.name, models.metrics(models.resolve(m.name, CHAMPION)))
                             for m in registry.models() if CHAMPION in m.aliases)
        return (name, CHAMPION) if name else (FALLBACK_MODEL, "latest")

    return models.remembered(DEFAULT_MODEL_KEY, look_up)


class ForecastSales:
    """Rules: without a model name the best champion serves (else the latest lightgbm); a named
    model serves its `latest` unless the version is given: a number, `latest`, an alias or a
    legacy stage; intervals follow the confidence level. With a history, each series is forecast
    from the last date of its own rows (the series asked for, or all of the history's); without
    one, from the latest actuals the store holds of the version's dataset (when it holds every series
    asked for and one of them has news since the version was registered; else the stored forecast,
    the same answer) or, asked for `training`, from the training origin. Every forecast is logged."""

    def __init__(self, registry: ModelRegistry, models: ServedModels, latest: LatestActuals, log: ForecastLog,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._registry, self._models, self._latest, self._log, self._clock = registry, models, latest, log, clock

    def _from_latest(self, version: ModelVersion, model: ForecastModel, series: list[str], horizon: int,
                     confidence: float | None) -> tuple[ForecastPoint, ...]:
        snapshot = self._latest.snapshot(model.dataset) if model.dataset else None
        ends = [snapshot.arrivals.get(s) for s in series] if snapshot is not None else [None]
        if snapshot is None or any(end is None for end in ends):
            return model.forecast(series, horizon, confidence)
        registered = (version.created_at or datetime.max.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
        if all(end is not None and end[0] == model.last_period and end[1] <= registered for end in ends):
            return model.forecast(series, horizon, confidence)  # nothing new: what the history would give
        return model.forecast_history(snapshot.history.select(series), series, horizon, confidence)

    def __call__(self, request: ForecastRequest) -> ForecastResult:
        if request.model_name:
            name, ref = request.model_name, "latest"
        else:
            name, ref = default_model(self._registry, self._models)
        version = self._models.resolve(name, request.model_version or ref)
        model = self._models.model(version)
        confidence = request.confidence_level if request.include_intervals else None
        series = list(dict.fromkeys(request.series_ids))
        if request.history is not None:
            points = model.forecast_history(request.history, series or None, request.horizon, confidence)
        elif request.origin == TRAINING_ORIGIN:
            points = model.forecast(series, request.horizon, confidence)
        else:
            points = self._from_latest(version, model, series, request.horizon, confidence)
        self._log.log(version, model.dataset, SERVED, points, confidence)
        forecast = Forecast(
            model_name=version.name, model_version=version.version, confidence_level=confidence, points=points
        )
        return ForecastResult(forecast=forecast, metrics=self._models.metrics(version), made_at=self._clock())


class ListModels:
    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def __call__(self) -> list[RegisteredModel]:
        return sorted(self._registry.models(), key=lambda m: m.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecasting:
    """What a client needs to know to ask a version for a forecast."""

    frequency: str  # D, W-FRI, MS...
    unit: str
    training_origin: date  # the last period it was trained on: where its stored forecast starts
    series: int  # series it was trained on (any other can be forecast from its history)
    default_horizon: int
    max_horizon: int
    history_periods: int | None  # periods of history a series needs for every feature
    covariates: tuple[Covariate, ...] = ()  # what a history (and its future rows) must carry


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelDescription:
    version: ModelVersion
    metrics: Mapping[str, float] = field(default_factory=dict)
    forecasting: Forecasting | None = None


class DescribeModel:
    """Rules: a version by number, `latest`, alias or legacy stage, with its run's metrics and what
    a forecast request to it needs (the version is loaded for that, as a forecast would load it)."""

    def __init__(self, registry: ModelRegistry, models: ServedModels) -> None:
        self._registry, self._models = registry, models

    def __call__(self, name: str, ref: str | None = None) -> ModelDescription:
        version = self._models.resolve(check_model_name(name), parse_version_ref(ref))
        model = self._models.model(version)
        forecasting = Forecasting(frequency=model.frequency, unit=model.unit, training_origin=model.last_period,
                                  series=len(model.series_ids), default_horizon=model.default_horizon,
                                  max_horizon=model.max_horizon, history_periods=model.history_periods,
                                  covariates=tuple(model.covariates))
        return ModelDescription(version=version, metrics=self._models.metrics(version), forecasting=forecasting)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoteRequest:
    name: str
    version: str
    who: str
    alias: str | None = None
    stage: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        check_model_name(self.name)
        if (self.alias is None) == (self.stage is None):
            raise InvalidValueError("give exactly one of alias or stage")
        number = version_number(str(self.version))
        if number is None or not 1 <= number <= MAX_VERSION:
            raise InvalidValueError(f"version must be a version number in 1..{MAX_VERSION}, not {self.version!r}")
        if self.alias is not None:
            check_alias(self.alias.strip())

    @property
    def target_alias(self) -> str:
        """The alias the promotion moves: the one given, or the one a legacy stage is honoured through."""
        return self.alias.strip() if self.alias is not None else stage_alias(self.stage or "")


class PromoteModel:
    """Rules: aliases are how versions are promoted; a legacy stage is honoured through its
    alias (Production -> champion, Staging -> challenger) and reported as deprecated; every
    promotion is recorded with who, when, from which version, and both versions' metrics;
    this process serves the new version from the next request on."""

    def __init__(self, registry: ModelRegistry, models: ServedModels, locks: Locks,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._registry, self._models, self._locks, self._clock = registry, models, locks, clock

    def __call__(self, request: PromoteRequest) -> Promotion:
        # One promotion of a model at a time, so `from_version` is the version the alias really left.
        with self._locks.hold(f"promote {request.name}"):
            return self._promote(request)

    def _promote(self, request: PromoteRequest) -> Promotion:
        alias = request.target_alias
        target = self._registry.resolve(request.name, str(version_number(str(request.version))))
        try:
            previous = self._registry.resolve(request.name, alias)
        except UnknownModelError:
            previous = None
        self._registry.set_alias(request.name, alias, target.version)
        promotion = Promotion(
            model=request.name, alias=alias, to_version=target.version,
            from_version=previous.version if previous else None, who=request.who, when=self._clock(),
            metrics=self._registry.evaluation_metrics(target),
            previous_metrics=self._registry.evaluation_metrics(previous) if previous else {},
            stage=request.stage, evidence=request.evidence,
        )
        self._registry.record_promotion(promotion)
        self._models.forget(request.name)
        return promotion


class ListPromotions:
    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def __call__(self, name: str) -> list[Promotion]:
        check_model_name(name)
        self._registry.resolve(name, "latest")  # 404 for a model that does not exist
        return self._registry.promotions(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    status: str  # ok | degraded
    tracking_reachable: bool
    models_loaded: tuple[str, ...]


class CheckHealth:
    def __init__(self, registry: ModelRegistry, models: ServedModels) -> None:
        self._registry, self._models = registry, models

    def __call__(self) -> Health:
        reachable = self._registry.reachable()
        return Health(status="ok" if reachable else "degraded", tracking_reachable=reachable,
                      models_loaded=tuple(self._models.loaded()))
