"""`SyncWarehouse` from a real MLflow store into a real DuckDB file."""

from __future__ import annotations

from mlflow import MlflowClient

from adapters.duckdb.warehouse import DuckDbRunRepository
from adapters.mlflow.runs import MlflowRunRepository
from application.sync import SyncWarehouse
from domain.errors import SourceUnavailableError
from tests.contract.test_run_source import EXPERIMENT, SPECS
from tests.support import RunSpec, log_to_mlflow, ms


def test_incremental_sync(store, tmp_path):
    client = MlflowClient(store.uri)
    ids = log_to_mlflow(client, SPECS)
    warehouse = DuckDbRunRepository(str(tmp_path / "w.duckdb"))
    sync = SyncWarehouse(MlflowRunRepository(store.uri), warehouse)

    first = sync()
    assert (first.full, first.fetched) == (True, len(SPECS))
    assert warehouse.series_errors([ids["lgb-1"]]) == {
        ids["lgb-1"]: {"1": {"mape": 3.0, "rmse": 90.0}, "2": {"mape": 3.4, "rmse": 110.0}}
    }

    new = [
        RunSpec(
            f"new-{i}",
            EXPERIMENT,
            {"test_mape": 4.0 + i},
            {},
            {"model_type": "New", "dataset": "walmart"},
            minute=100 + i,
        )
        for i in range(2)
    ]
    ids |= log_to_mlflow(client, new)
    finished_at = new[-1].end
    client.set_terminated(ids["cat-running"], "FINISHED", end_time=ms(finished_at))
    second = sync()
    assert not second.full
    # The two new runs, the one that finished, and rf-other, which ended exactly at the old
    # watermark and so falls inside the sync overlap: nothing else is read again.
    assert set(second.run_ids) == {ids["new-0"], ids["new-1"], ids["cat-running"], ids["rf-other"]}
    runs = {
        r.name: r for r in warehouse.runs([e.experiment_id for e in warehouse.experiments()], include_unfinished=True)
    }
    assert len(runs) == len(SPECS) + 2 and runs["cat-running"].status.value == "FINISHED"
    assert second.watermark_ms == ms(finished_at)


def test_a_sync_that_cannot_reach_mlflow_leaves_the_warehouse_as_it_was(store, tmp_path):
    log_to_mlflow(MlflowClient(store.uri), SPECS)
    warehouse = DuckDbRunRepository(str(tmp_path / "w.duckdb"))
    SyncWarehouse(MlflowRunRepository(store.uri), warehouse)()
    before = sorted(r.run_id for r in warehouse.runs(["1", "2"], include_unfinished=True))
    watermark = warehouse.watermark(f"mlflow {store.uri}")
    broken = MlflowRunRepository(f"sqlite:///{tmp_path / 'no-such-dir' / 'mlflow.db'}")
    try:
        SyncWarehouse(broken, warehouse)()
    except SourceUnavailableError:
        pass
    else:
        raise AssertionError("a sync from an unreadable store must fail")
    assert sorted(r.run_id for r in warehouse.runs(["1", "2"], include_unfinished=True)) == before
    assert warehouse.watermark(f"mlflow {store.uri}") == watermark


def test_a_warehouse_of_an_earlier_version_keeps_its_per_store_errors_as_per_series_ones(store, tmp_path):
    import duckdb

    from adapters.duckdb.tables import SCHEMA

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as connection:  # the schema before series ids were text
        connection.execute(SCHEMA.replace("series_id VARCHAR", "store_id INTEGER")
                           .replace("series_errors", "store_errors").replace("errors_artifact", "store_errors"))
        connection.execute("INSERT INTO store_errors VALUES ('old-run', 7, 'mape', 2.5)")
    log_to_mlflow(MlflowClient(store.uri), SPECS)
    warehouse = DuckDbRunRepository(str(path))
    SyncWarehouse(MlflowRunRepository(store.uri), warehouse)()
    assert warehouse.series_errors(["old-run"]) == {"old-run": {"7": {"mape": 2.5}}}
