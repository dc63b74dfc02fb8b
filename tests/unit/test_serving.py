"""ServedModels and the serving use cases over the in-memory fakes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from adapters.memory.locks import ThreadLocks
from adapters.memory.models import InMemoryModelLoader
from adapters.memory.registry import InMemoryModelRegistry
from application.serving import (
    CheckHealth,
    ForecastRequest,
    ListPromotions,
    PromoteModel,
    PromoteRequest,
    ServedModels,
)
from domain.errors import InvalidValueError, TrackingUnavailableError, UnknownModelError, UnknownSeriesError
from tests.support import forecast_sales


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world():
    registry = InMemoryModelRegistry()
    registry.add("lightgbm", "r1", {"test_mape": 3.0})
    registry.add("lightgbm", "r2", {"test_mape": 2.0})
    registry.add("xgboost", "r3", {"test_mape": 2.5})
    loader, clock = InMemoryModelLoader(), Clock()
    served = ServedModels(registry, loader, capacity=2, resolve_ttl=5.0, clock=clock)
    return registry, loader, clock, served


@pytest.fixture(autouse=True)
def actuals_folder(tmp_path):
    """Where ForecastSales keeps its (empty) actuals store and forecast log in these tests."""
    FOLDER[:] = [tmp_path]


FOLDER: list = []


def forecast(served, registry, **kwargs):
    return forecast_sales(registry, served, FOLDER[0])(ForecastRequest(series_ids=(1,), **kwargs))


def test_a_version_loads_once_and_the_cache_is_bounded(world):
    registry, loader, _, served = world
    for _ in range(3):
        forecast(served, registry, model_name="lightgbm", model_version="1")
    forecast(served, registry, model_name="lightgbm", model_version="2")
    forecast(served, registry, model_name="xgboost")
    assert loader.loads == [("lightgbm", 1), ("lightgbm", 2), ("xgboost", 1)]
    assert served.loaded() == ["lightgbm/2", "xgboost/1"]  # capacity 2: the oldest went


def test_references_are_looked_up_again_after_the_ttl_and_at_once_after_a_promotion(world):
    registry, _, clock, served = world
    registry.set_alias("lightgbm", "champion", 1)
    assert forecast(served, registry, model_name="lightgbm", model_version="champion").forecast.model_version == 1
    registry.set_alias("lightgbm", "champion", 2)  # as another API process would
    assert forecast(served, registry, model_name="lightgbm", model_version="champion").forecast.model_version == 1
    clock.now = 6.0
    assert forecast(served, registry, model_name="lightgbm", model_version="champion").forecast.model_version == 2
    PromoteModel(registry, served, ThreadLocks())(
        PromoteRequest(name="lightgbm", version="1", alias="champion", who="me")
    )
    assert forecast(served, registry, model_name="lightgbm", model_version="champion").forecast.model_version == 1


def test_cached_models_keep_serving_while_the_registry_is_down(world):
    registry, _, clock, served = world
    forecast(served, registry, model_name="lightgbm", model_version="latest")
    registry.up = False
    clock.now = 60.0
    assert forecast(served, registry, model_name="lightgbm", model_version="latest").forecast.model_version == 2
    with pytest.raises(TrackingUnavailableError):
        forecast(served, registry, model_name="xgboost")
    assert CheckHealth(registry, served)().status == "degraded"
    registry.up = True
    assert CheckHealth(registry, served)().status == "ok"


def test_a_version_seen_through_an_alias_answers_by_number_while_down_with_fresh_aliases_while_up(world):
    registry, _, clock, served = world
    registry.set_alias("lightgbm", "champion", 1)
    assert served.resolve("lightgbm", "champion").aliases == ("champion",)
    registry.set_alias("lightgbm", "champion", 2)  # as another API process would
    clock.now = 6.0
    assert served.resolve("lightgbm", "1").aliases == ()  # was ("champion",): the alias had moved on
    assert served.resolve("lightgbm", "champion").version == 2
    registry.up = False
    clock.now = 60.0
    assert served.resolve("lightgbm", "2").version == 2  # seen through the alias, never asked for by number


def test_default_model_is_the_best_champion_else_lightgbm_and_is_remembered_like_a_reference(world):
    registry, _, clock, served = world
    fallback = forecast(served, registry).forecast
    assert (fallback.model_name, fallback.model_version) == ("lightgbm", 2)  # the latest of its two versions
    registry.set_alias("xgboost", "champion", 1)  # as another API process would
    registry.set_alias("lightgbm", "champion", 1)  # test_mape 3.0 > xgboost's 2.5
    assert forecast(served, registry).forecast.model_name == "lightgbm"  # within the TTL
    clock.now = 6.0
    assert forecast(served, registry).forecast.model_name == "xgboost"
    registry.up = False
    clock.now = 60.0
    assert forecast(served, registry).forecast.model_name == "xgboost"  # the last answer while the registry is down
    registry.up = True
    PromoteModel(registry, served, ThreadLocks())(
        PromoteRequest(name="lightgbm", version="2", alias="champion", who="me")
    )
    assert forecast(served, registry).forecast.model_name == "lightgbm"  # a promotion here counts at once


def test_a_named_model_without_a_version_serves_its_latest(world):
    registry, _, _, served = world
    named = forecast(served, registry, model_name="lightgbm").forecast
    assert (named.model_name, named.model_version) == ("lightgbm", 2)


def test_intervals_and_errors(world):
    registry, _, _, served = world
    plain = forecast(served, registry, model_name="xgboost", include_intervals=False).forecast
    assert plain.confidence_level is None and plain.points[0].lower is None
    with pytest.raises(UnknownSeriesError):
        forecast_sales(registry, served, FOLDER[0])(ForecastRequest(series_ids=("9",), model_name="xgboost"))
    with pytest.raises(UnknownModelError):
        forecast(served, registry, model_name="prophet")
    for bad in ({"horizon": 0}, {"confidence_level": 1.0}, {"model_name": "../etc"}):
        with pytest.raises(InvalidValueError):
            ForecastRequest(series_ids=(1,), **bad)


def test_promotion_records_evidence_and_maps_stages(world):
    registry, _, _, served = world
    when = datetime(2026, 11, 26, tzinfo=UTC)
    promote = PromoteModel(registry, served, ThreadLocks(), clock=lambda: when)
    first = promote(PromoteRequest(name="lightgbm", version="1", stage="Production", who="ana"))
    second = promote(PromoteRequest(name="lightgbm", version="2", alias="champion", who="bo"))
    assert (first.alias, first.from_version, first.stage) == ("champion", None, "Production")
    assert (
        second.from_version,
        second.to_version,
        second.previous_metrics["test_mape"],
        second.metrics["test_mape"],
    ) == (1, 2, 3.0, 2.0)
    assert ListPromotions(registry)("lightgbm") == [first, second]
    for bad in ({"alias": "champion", "stage": "Production"}, {}, {"alias": "7"}, {"alias": "latest"},
                {"alias": "v1"}, {"alias": "V12"}, {"alias": "a b"}, {"alias": "x" * 256}, {"alias": "²"}):
        with pytest.raises(InvalidValueError):
            PromoteRequest(name="lightgbm", version="1", who="x", **bad)
    for version in ("²", "99999999999999999999", "0", "-1"):
        with pytest.raises(InvalidValueError):
            PromoteRequest(name="lightgbm", version=version, alias="champion", who="x")
    with pytest.raises(InvalidValueError, match="Production or Staging"):
        promote(PromoteRequest(name="lightgbm", version="1", stage="Archived", who="x"))
    with pytest.raises(UnknownModelError):
        promote(PromoteRequest(name="lightgbm", version="5", alias="champion", who="x"))


def test_a_process_keeps_at_most_eight_loaded_versions_by_default():
    """The README sizes an API process for a cache of 8 versions."""
    registry, loader = InMemoryModelRegistry(), InMemoryModelLoader()
    for run in range(10):
        registry.add("lightgbm", f"r{run}", {"test_mape": 3.0})
    served = ServedModels(registry, loader)
    for version in range(1, 11):
        served.model(served.resolve("lightgbm", str(version)))
    assert served.loaded() == [f"lightgbm/{v}" for v in range(3, 11)]
    served.model(served.resolve("lightgbm", "3"))  # still loaded: no new load, and now the most recent
    assert len(loader.loads) == 10 and served.loaded()[-1] == "lightgbm/3"


class SlowRegistry(InMemoryModelRegistry):
    """Reading an alias takes a while, as over a network: two unserialised promotions both read
    the alias before either moves it."""

    def resolve(self, name, ref):
        found = super().resolve(name, ref)
        if ref == "champion":
            time.sleep(0.2)
        return found


def test_concurrent_promotions_of_a_model_record_every_step():
    registry = SlowRegistry()
    for run in ("r1", "r2", "r3"):
        registry.add("lightgbm", run, {"test_mape": 3.0})
    registry.set_alias("lightgbm", "champion", 1)
    served = ServedModels(registry, InMemoryModelLoader())
    promote = PromoteModel(registry, served, ThreadLocks())
    done: list = []
    threads = [threading.Thread(target=lambda v=v: done.append(promote(
        PromoteRequest(name="lightgbm", version=v, alias="champion", who="x")))) for v in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    first, second = sorted(done, key=lambda p: p.when)
    assert first.from_version == 1 and second.from_version == first.to_version, (first, second)
