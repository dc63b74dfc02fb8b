"""One contract for the ModelLoader port and the ForecastModel it loads: the in-memory fake and
the MLflow loader over a trained store."""

from __future__ import annotations

import shutil
from datetime import timedelta
from itertools import pairwise

import pytest

from adapters.memory.models import InMemoryModelLoader
from adapters.memory.registry import InMemoryModelRegistry
from adapters.mlflow.loader import MlflowModelLoader
from adapters.mlflow.registry import MlflowModelRegistry
from domain.errors import InvalidValueError, UnknownModelError, UnknownSeriesError
from domain.forecasts import SeriesHistory
from domain.models import ModelVersion


@pytest.fixture(params=["memory", "mlflow"])
def world(request, tmp_path):
    """(loader, registry) holding seasonal_naive versions 1 and 2."""
    if request.param == "memory":
        registry = InMemoryModelRegistry()
        registry.add("seasonal_naive", "r1", {"test_mape": 5.7})
        registry.add("seasonal_naive", "r2", {"test_mape": 5.7})
        return InMemoryModelLoader(registry), registry
    serving_store = request.getfixturevalue("serving_store")
    shutil.copy(serving_store.folder / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return MlflowModelLoader(uri), MlflowModelRegistry(uri)


def test_a_loaded_version_forecasts_every_series_it_knows(world):
    loader, registry = world
    model = loader.load(registry.resolve("seasonal_naive", "2"))
    series = list(model.series_ids)
    assert series and all(isinstance(s, str) for s in series)
    assert (model.max_horizon, model.unit) == (52, "week")
    points = model.forecast(series[:2], 3, 0.9)
    assert [(p.series_id, p.step) for p in points] == [(s, h) for s in series[:2] for h in (1, 2, 3)]
    assert all(p.date == model.last_period + timedelta(weeks=p.step) for p in points)
    assert all(p.lower is not None and p.upper is not None and p.lower <= p.prediction <= p.upper for p in points)
    wider = model.forecast(series[:1], 3, 0.99)
    assert all(w.upper - w.lower >= n.upper - n.lower for w, n in zip(wider, points[:3], strict=True))
    plain = model.forecast(series[:1], 2, None)
    assert [(p.lower, p.upper) for p in plain] == [(None, None)] * 2
    assert [p.prediction for p in plain] == [p.prediction for p in points[:2]]


def test_the_history_ends_at_the_last_period_one_week_apart(world):
    loader, registry = world
    model = loader.load(registry.resolve("seasonal_naive", "1"))
    history = model.history(model.series_ids[0])
    weeks = [week for week, _ in history]
    assert weeks[-1] == model.last_period
    assert all(b - a == timedelta(weeks=1) for a, b in pairwise(weeks))
    assert all(isinstance(value, float) for _, value in history)


def test_unknown_series_horizons_and_versions(world):
    loader, registry = world
    model = loader.load(registry.resolve("seasonal_naive", "1"))
    with pytest.raises(UnknownSeriesError, match="unknown series_id nope; this model knows"):
        model.forecast(["nope"], 3, 0.9)
    with pytest.raises(UnknownSeriesError):
        model.history("nope")
    with pytest.raises(InvalidValueError, match=f"1..{model.max_horizon}"):
        model.forecast(model.series_ids[:1], model.max_horizon + 1, 0.9)
    with pytest.raises(UnknownModelError):
        loader.load(ModelVersion(name="seasonal_naive", version=9))


def _history(series: str, weeks: list, value: float = 100.0) -> SeriesHistory:
    return SeriesHistory(series_ids=(series,) * len(weeks), dates=tuple(weeks), values=(value,) * len(weeks))


def test_a_history_is_forecast_from_the_last_date_of_each_of_its_series(world):
    loader, registry = world
    model = loader.load(registry.resolve("seasonal_naive", "1"))
    end = model.last_period - timedelta(weeks=10)
    weeks = [end - timedelta(weeks=k) for k in range(59, -1, -1)]
    points = model.forecast_history(_history("never-seen", weeks), None, 3, 0.9)
    assert [(p.series_id, p.step, p.date, p.origin) for p in points] == [
        ("never-seen", h, end + timedelta(weeks=h), end) for h in (1, 2, 3)]
    assert not any(p.baseline for p in points) and all(p.lower <= p.prediction <= p.upper for p in points)
    short = model.forecast_history(_history("new", weeks[-2:]), ["new"], 1, None)
    assert [(p.origin, p.baseline, p.lower) for p in short] == [(end, True, None)]


@pytest.mark.parametrize("broken, message", [
    (lambda weeks: weeks[:5] + weeks[7:], "series A has a gap"),
    (lambda weeks: weeks + weeks[-1:], "series A has more than one row for"),
    (lambda weeks: weeks[:-1] + [weeks[-1] + timedelta(days=1)], "is not a date of this version's weekly \\(W-FRI\\)"),
])
def test_a_broken_history_is_refused_naming_the_series(world, broken, message):
    loader, registry = world
    model = loader.load(registry.resolve("seasonal_naive", "1"))
    weeks = [model.last_period - timedelta(weeks=k) for k in range(19, -1, -1)]
    with pytest.raises(InvalidValueError, match=message):
        model.forecast_history(_history("A", broken(weeks)), None, 3, 0.9)
    with pytest.raises(InvalidValueError, match=f"series A, {weeks[0]}: the value -5.0"):
        model.forecast_history(_history("A", weeks, -5.0), None, 3, 0.9)
    with pytest.raises(InvalidValueError, match="no rows for series B"):
        model.forecast_history(_history("A", weeks), ["B"], 3, 0.9)
