"""DuckDbRunRepository: a warehouse file of runs, filled incrementally by `ml-portfolio sync`.

Tables: experiments, runs, metrics, params, tags, store_errors (per-store test errors of runs
that recorded them), run_summaries (each run as a leaderboard sees it, written at sync so a
benchmark reads one narrow row per run), sync_state (one watermark per tracking URI) and
benchmark_history (one row per ranked model per benchmark). Reads open the file read-only; every write is one
transaction, so a failed sync or append leaves the file as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import msgspec
import pandas as pd

from application.benchmark import BenchmarkReport
from application.ports import StoreErrors
from domain.errors import SourceUnavailableError
from domain.runs import STORE_ERRORS_TAG, Experiment, Run

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (experiment_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, experiment_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, name VARCHAR,
    status VARCHAR NOT NULL, start_time BIGINT, end_time BIGINT);
CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS params (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS tags (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS store_errors (run_id VARCHAR NOT NULL, store_id INTEGER NOT NULL, metric VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS run_summaries (
    run_id VARCHAR PRIMARY KEY, model_name VARCHAR NOT NULL, dataset_name VARCHAR NOT NULL, store_errors VARCHAR,
    metrics VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state (origin VARCHAR PRIMARY KEY, watermark_ms BIGINT, synced_at TIMESTAMPTZ, runs BIGINT);
CREATE TABLE IF NOT EXISTS benchmark_history (
    generated_at TIMESTAMPTZ NOT NULL, source VARCHAR NOT NULL, filters VARCHAR NOT NULL, rank_by VARCHAR NOT NULL,
    aggregate VARCHAR NOT NULL, rank INTEGER NOT NULL, model_name VARCHAR NOT NULL, dataset_name VARCHAR NOT NULL,
    value DOUBLE NOT NULL, runs INTEGER NOT NULL, run_id VARCHAR);
"""
_CHILD_TABLES = ("metrics", "params", "tags", "store_errors", "run_summaries")


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


class DuckDbRunRepository:
    def __init__(self, path: str) -> None:
        self._path = Path(path)

    def describe(self) -> str:
        return f"duckdb {self._path}"

    # -- connections -------------------------------------------------------------------------
    def _read(self) -> duckdb.DuckDBPyConnection:
        if not self._path.is_file():
            raise SourceUnavailableError(f"no warehouse at {self._path}; `ml-portfolio sync` creates it")
        try:
            return duckdb.connect(str(self._path), read_only=True)
        except duckdb.Error as exc:
            raise SourceUnavailableError(f"cannot open warehouse {self._path}: {str(exc).splitlines()[0]}") from exc

    def _write(self) -> duckdb.DuckDBPyConnection:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(str(self._path))
            connection.execute(SCHEMA)
            return connection
        except (duckdb.Error, OSError) as exc:
            raise SourceUnavailableError(f"cannot write warehouse {self._path}: {str(exc).splitlines()[0]}") from exc

    def _query(self, sql: str, parameters: Sequence = ()) -> list[tuple]:
        connection = self._read()
        try:
            return connection.execute(sql, list(parameters)).fetchall()
        except duckdb.Error as exc:
            raise SourceUnavailableError(f"cannot read warehouse {self._path}: {str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()

    # -- RunSource ---------------------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        # Benchmarks append history to the same file, so it can exist without any run in it.
        rows = self._query("SELECT experiment_id, name, (SELECT count(*) FROM sync_state) FROM experiments "
                           "UNION ALL SELECT NULL, NULL, (SELECT count(*) FROM sync_state) ORDER BY 1 NULLS LAST")
        if rows[-1][2] == 0:
            raise SourceUnavailableError(f"the warehouse {self._path} was never synced; `ml-portfolio sync` fills it")
        return [Experiment(experiment_id=str(i), name=n) for i, n, _ in rows[:-1]]

    def runs(self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False) -> Iterator[Run]:
        if not experiment_ids:
            return iter(())
        if summary:
            return self._summaries(experiment_ids, include_unfinished)
        connection = self._read()
        try:
            connection.execute(
                "CREATE TEMP TABLE selected AS SELECT run_id, experiment_id, name, status, start_time, end_time "
                "FROM runs WHERE experiment_id IN (SELECT unnest(?)) AND (? OR status = 'FINISHED')",
                [list(experiment_ids), include_unfinished],
            )
            runs = connection.execute("SELECT * FROM selected ORDER BY run_id").fetchall()
            children = {
                table: connection.execute(
                    f"SELECT c.run_id, c.key, c.value FROM {table} c JOIN selected USING (run_id)"
                ).fetchall()
                for table in ("metrics", "params", "tags")
            }
        except duckdb.Error as exc:
            raise SourceUnavailableError(f"cannot read warehouse {self._path}: {str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()
        grouped: dict[str, dict[str, dict]] = {table: {} for table in children}
        for table, rows in children.items():
            target = grouped[table]
            for run_id, key, value in rows:
                target.setdefault(run_id, {})[key] = value
        return iter([
            Run(run_id=run_id, experiment_id=experiment_id, name=name or "", status=status,
                start_time=_time(start), end_time=_time(end),
                metrics=grouped["metrics"].get(run_id, {}), params=grouped["params"].get(run_id, {}),
                tags=grouped["tags"].get(run_id, {}))
            for run_id, experiment_id, name, status, start, end in runs
        ])

    def _summaries(self, experiment_ids: Sequence[str], include_unfinished: bool) -> Iterator[Run]:
        rows = self._query(
            "SELECT r.run_id, r.experiment_id, r.name, r.status, r.start_time, r.end_time, s.model_name, s.dataset_name, "
            "s.store_errors, s.metrics FROM runs r JOIN run_summaries s USING (run_id) "
            "WHERE r.experiment_id IN (SELECT unnest(?)) AND (? OR r.status = 'FINISHED') ORDER BY r.run_id",
            [list(experiment_ids), include_unfinished],
        )
        decode = msgspec.json.decode  # several times faster than json.loads on 100k small objects
        return iter([
            Run(run_id=run_id, experiment_id=experiment_id, name=name or "", status=status, start_time=_time(start),
                end_time=_time(end), metrics=decode(metrics),
                tags={"model_name": model, "dataset": dataset, **({STORE_ERRORS_TAG: errors} if errors else {})})
            for run_id, experiment_id, name, status, start, end, model, dataset, errors, metrics in rows
        ])

    def store_errors(self, run_ids: Sequence[str]) -> dict[str, StoreErrors]:
        if not run_ids:
            return {}
        rows = self._query("SELECT run_id, store_id, metric, value FROM store_errors WHERE run_id IN (SELECT unnest(?))",
                           [list(run_ids)])
        errors: dict[str, dict[int, dict[str, float]]] = {}
        for run_id, store, metric, value in rows:
            errors.setdefault(run_id, {}).setdefault(int(store), {})[metric] = float(value)
        return errors

    # -- RunWarehouse ------------------------------------------------------------------------
    def watermark(self, origin: str) -> int | None:
        if not self._path.is_file():
            return None
        rows = self._query("SELECT watermark_ms FROM sync_state WHERE origin = ?", [origin])
        return rows[0][0] if rows else None

    def unfinished_run_ids(self, origin: str) -> list[str]:
        if not self._path.is_file():
            return []
        return [run_id for (run_id,) in self._query(
            "SELECT run_id FROM runs WHERE origin = ? AND status IN ('RUNNING', 'SCHEDULED')", [origin])]

    def save(self, origin: str, experiments: Sequence[Experiment], runs: Sequence[Run],
             errors: Mapping[str, StoreErrors], watermark_ms: int | None) -> None:
        frames = {
            "experiments": pd.DataFrame({"experiment_id": [e.experiment_id for e in experiments],
                                         "name": [e.name for e in experiments]}),
            "runs": pd.DataFrame({
                "run_id": [r.run_id for r in runs], "experiment_id": [r.experiment_id for r in runs],
                "origin": origin, "name": [r.name for r in runs], "status": [r.status.value for r in runs],
                "start_time": pd.array([_ms(r.start_time) for r in runs], dtype="Int64"),
                "end_time": pd.array([_ms(r.end_time) for r in runs], dtype="Int64"),
            }),
            **{
                table: pd.DataFrame(
                    [(r.run_id, k, v) for r in runs for k, v in getattr(r, table).items()], columns=["run_id", "key", "value"]
                ).astype({"value": "float64" if table == "metrics" else "object"})
                for table in ("metrics", "params", "tags")
            },
            "run_summaries": pd.DataFrame(
                [(r.run_id, s.model_name, s.dataset_name, s.tags.get(STORE_ERRORS_TAG), json.dumps(dict(s.metrics)))
                 for r in runs for s in (r.summary(),)],
                columns=["run_id", "model_name", "dataset_name", "store_errors", "metrics"],
            ),
            "store_errors": pd.DataFrame(
                [(run_id, store, metric, value) for run_id, by_store in errors.items()
                 for store, by_metric in by_store.items() for metric, value in by_metric.items()],
                columns=["run_id", "store_id", "metric", "value"],
            ).astype({"store_id": "int64", "value": "float64"}),
        }
        connection = self._write()
        try:
            connection.execute("BEGIN TRANSACTION")
            for name, frame in frames.items():
                connection.register(f"new_{name}", frame)
            connection.execute("INSERT OR REPLACE INTO experiments SELECT * FROM new_experiments")
            for table in _CHILD_TABLES:
                connection.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM new_runs)")
            connection.execute("INSERT OR REPLACE INTO runs SELECT * FROM new_runs")
            for table in _CHILD_TABLES:
                connection.execute(f"INSERT INTO {table} SELECT * FROM new_{table}")
            connection.execute(
                "INSERT OR REPLACE INTO sync_state VALUES (?, ?, now(), (SELECT count(*) FROM runs WHERE origin = ?))",
                [origin, watermark_ms, origin],
            )
            connection.execute("COMMIT")
        except duckdb.Error as exc:
            connection.execute("ROLLBACK")
            raise SourceUnavailableError(f"cannot write warehouse {self._path}: {str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()

    # -- BenchmarkHistory --------------------------------------------------------------------
    def append(self, report: BenchmarkReport) -> None:
        board = report.leaderboard
        rows = {(r.model, r.dataset): r for r in board.results}
        frame = pd.DataFrame(
            [(report.generated_at, report.source, json.dumps(report.request.filters()), board.rank_by, board.aggregate.value,
              r.rank, r.model, r.dataset, r.value, rows[(r.model, r.dataset)].runs, rows[(r.model, r.dataset)].run_id)
             for r in board.rankings],
            columns=["generated_at", "source", "filters", "rank_by", "aggregate", "rank", "model_name", "dataset_name",
                     "value", "runs", "run_id"],
        )
        connection = self._write()
        try:
            connection.register("new_history", frame)
            connection.execute("INSERT INTO benchmark_history SELECT * FROM new_history")
        except duckdb.Error as exc:
            raise SourceUnavailableError(f"cannot write warehouse {self._path}: {str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()
