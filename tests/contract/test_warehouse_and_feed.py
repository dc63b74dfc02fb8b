"""Contracts of the RunWarehouse (memory, DuckDB) and RunFeed (memory, MLflow) ports."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from mlflow import MlflowClient

from adapters.duckdb.warehouse import DuckDbRunRepository
from adapters.memory.runs import InMemoryRunRepository
from adapters.mlflow.runs import MlflowRunRepository
from domain.runs import RunStatus
from tests.contract.test_run_source import EXPERIMENT, SPECS
from tests.support import T0, domain_objects, log_to_mlflow, ms


@pytest.fixture(params=["memory", "duckdb"])
def warehouse(request, tmp_path):
    return InMemoryRunRepository() if request.param == "memory" else DuckDbRunRepository(str(tmp_path / "w.duckdb"))


def test_empty_warehouse_has_no_watermark(warehouse):
    assert warehouse.watermark("origin") is None
    assert warehouse.unfinished_run_ids("origin") == []


def test_save_moves_the_watermark_and_remembers_unfinished_runs(warehouse):
    experiments, runs, errors = domain_objects(SPECS)
    warehouse.save("a", experiments, runs, errors, 123)
    assert warehouse.watermark("a") == 123 and warehouse.watermark("b") is None
    assert warehouse.unfinished_run_ids("a") == ["cat-running"]
    assert {r.run_id for r in warehouse.runs([e.experiment_id for e in experiments], include_unfinished=True)} == {
        s.name for s in SPECS
    }
    assert warehouse.series_errors(["lgb-1"]) == {"lgb-1": errors["lgb-1"]}


def test_saving_a_run_again_replaces_it(warehouse):
    experiments, runs, errors = domain_objects(SPECS)
    warehouse.save("a", experiments, runs, errors, 1)
    running = next(r for r in runs if r.run_id == "cat-running")
    finished = dataclasses.replace(
        running,
        status=RunStatus.FINISHED,
        end_time=running.start_time + timedelta(minutes=9),
        metrics={"test_mape": 2.5},
    )
    lgb = dataclasses.replace(next(r for r in runs if r.run_id == "lgb-1"), metrics={"test_mape": 9.0})
    warehouse.save("a", experiments, [finished, lgb], {}, 2)
    stored = {r.run_id: r for r in warehouse.runs(["1", "2"], include_unfinished=True)}
    assert len(stored) == len(SPECS)
    assert stored["cat-running"].status is RunStatus.FINISHED and dict(stored["cat-running"].metrics) == {
        "test_mape": 2.5
    }
    assert dict(stored["lgb-1"].metrics) == {"test_mape": 9.0}
    assert warehouse.unfinished_run_ids("a") == [] and warehouse.watermark("a") == 2
    assert warehouse.series_errors(["lgb-1"]) == {}  # the new version of the run recorded none


@pytest.fixture(params=["memory", "mlflow"])
def feed(request, tmp_path):
    if request.param == "memory":
        return InMemoryRunRepository(*domain_objects(SPECS))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    log_to_mlflow(MlflowClient(uri), SPECS)
    return MlflowRunRepository(uri)


def test_first_feed_is_everything(feed):
    assert sorted(r.name for r in feed.changed_since(None, [])) == sorted(s.name for s in SPECS)


def test_later_feeds_are_runs_started_or_ended_since_plus_the_ones_asked_for(feed):
    watermark = ms(T0 + timedelta(minutes=4, seconds=30))
    names = {r.name for r in feed.changed_since(watermark, [])}
    assert names == {"xgb-1", "naive-1", "rf-failed", "rf-other"}
    running = next(
        r.run_id
        for r in feed.runs([e.experiment_id for e in feed.experiments() if e.name == EXPERIMENT], True)
        if r.name == "cat-running"
    )
    assert {r.name for r in feed.changed_since(watermark, [running])} == names | {"cat-running"}
