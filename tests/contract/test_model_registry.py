"""One contract for the ModelRegistry port: the in-memory fake and MLflow's registry."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from adapters.memory.registry import InMemoryModelRegistry
from adapters.mlflow.registry import MlflowModelRegistry
from domain.errors import TrackingUnavailableError, UnknownModelError
from domain.models import Promotion
from tests.conftest import free_port


@pytest.fixture(params=["memory", "mlflow"])
def registry(request, tmp_path):
    """lightgbm version 1; seasonal_naive versions 1 and 2; no aliases."""
    if request.param == "memory":
        fake = InMemoryModelRegistry()
        fake.add("lightgbm", "r1", {"test_mape": 2.4, "test_rmse": 1.0, "fold1_mape": 3.0})
        fake.add("seasonal_naive", "r2", {"test_mape": 5.7})
        fake.add("seasonal_naive", "r3", {"test_mape": 5.7})
        return fake
    serving_store = request.getfixturevalue("serving_store")
    shutil.copy(serving_store.folder / "mlflow.db", tmp_path / "mlflow.db")
    real = MlflowModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = real._client  # the copied store may carry aliases and promotions from other tests
    for model in real.models():
        for alias in model.aliases:
            client.delete_registered_model_alias(model.name, alias)
        for version in client.search_model_versions(f"name = '{model.name}'"):
            for key in version.tags:
                if key.startswith("promotion."):
                    client.delete_model_version_tag(model.name, version.version, key)
    return real


def logged_test_mape(registry, version):
    """The value the run logged: the fake holds it, MLflow has it in the run."""
    if isinstance(registry, InMemoryModelRegistry):
        return 2.4
    return registry._client.get_run(version.run_id).data.metrics["test_mape"]


def test_models_list_the_newest_version_with_its_summary_metrics(registry):
    models = {m.name: m for m in registry.models()}
    assert {k: m.latest.version for k, m in models.items()} == {"lightgbm": 1, "seasonal_naive": 2}
    for model in models.values():  # test, backtest and overall means; never a fold or a timing
        assert "test_mape" in model.metrics, model
        assert all(k.startswith(("test_", "backtest_", "overall_")) for k in model.metrics), model


def test_resolve_numbers_and_latest(registry):
    assert registry.resolve("seasonal_naive", "1").version == 1
    assert registry.resolve("seasonal_naive", "latest").version == 2
    version = registry.resolve("lightgbm", "1")
    assert registry.evaluation_metrics(version)["test_mape"] == logged_test_mape(registry, version)


@pytest.mark.parametrize("name, ref, message", [
    ("prophet", "1", "no registered model 'prophet'"),
    ("prophet", "latest", "no registered model 'prophet'"),
    ("lightgbm", "7", "model 'lightgbm' has no version 7"),
    ("lightgbm", "gold", "model 'lightgbm' has no alias 'gold'"),
    ("lightgbm", "Production", "model 'lightgbm' has no alias 'champion'"),
])
def test_unknown_references(registry, name, ref, message):
    with pytest.raises(UnknownModelError, match=message):
        registry.resolve(name, ref)


def test_versions_of_a_run(registry):
    version = registry.resolve("seasonal_naive", "2")
    assert [(v.name, v.version) for v in registry.versions_of_run(version.run_id)] == [("seasonal_naive", 2)]
    assert registry.versions_of_run("0123456789abcdef0123456789abcdef") == []


def test_aliases_and_stages(registry):
    registry.set_alias("seasonal_naive", "champion", 1)
    assert registry.resolve("seasonal_naive", "champion").version == 1
    assert registry.resolve("seasonal_naive", "Production").version == 1  # the stage maps to its alias
    registry.set_alias("seasonal_naive", "champion", 2)
    found = registry.resolve("seasonal_naive", "champion")
    assert found.version == 2 and "champion" in found.aliases
    assert {m.name: dict(m.aliases) for m in registry.models()}["seasonal_naive"] == {"champion": 2}


def test_promotions_are_kept_in_order(registry):
    first = Promotion(model="seasonal_naive", alias="champion", to_version=1, from_version=None, who="a",
                      when=datetime(2026, 1, 1, tzinfo=UTC), metrics={"test_mape": 5.7})
    second = Promotion(model="seasonal_naive", alias="champion", to_version=2, from_version=1, who="b",
                       when=datetime(2026, 1, 2, tzinfo=UTC), metrics={"test_mape": 5.6},
                       previous_metrics={"test_mape": 5.7}, stage="Production",
                       evidence="ranked 1 of 5 models by test mape")
    registry.record_promotion(second)
    registry.record_promotion(first)
    assert registry.promotions("seasonal_naive") == [first, second]
    assert registry.promotions("lightgbm") == []
    assert registry.reachable()


@pytest.fixture(params=["memory", "mlflow"])
def unreachable(request, monkeypatch):
    """A registry whose store does not answer: the fake switched off, MLflow at a port nobody listens on."""
    if request.param == "memory":
        fake = InMemoryModelRegistry()
        fake.add("lightgbm", "r1", {"test_mape": 2.4})
        fake.up = False
        return fake
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return MlflowModelRegistry(f"http://127.0.0.1:{free_port()}")


def test_an_unreachable_registry_says_so(unreachable):
    assert unreachable.reachable() is False
    for call in (unreachable.models, lambda: unreachable.resolve("lightgbm", "1"),
                 lambda: unreachable.resolve("lightgbm", "latest"), lambda: unreachable.promotions("lightgbm"),
                 lambda: unreachable.set_alias("lightgbm", "champion", 1)):
        with pytest.raises(TrackingUnavailableError):
            call()
