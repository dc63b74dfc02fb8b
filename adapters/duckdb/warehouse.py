"""DuckDbRunRepository: a warehouse file of runs, filled incrementally by `ml-portfolio sync`.

The tables are described in adapters/duckdb/tables.py. Reads open the file read-only; every
write is one transaction, so a failed sync or append leaves the file as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pandas as pd

from adapters.duckdb.tables import CHILD_TABLES, SCHEMA, UPGRADE, sync_frames
from domain.benchmarks import BenchmarkReport
from domain.errors import SourceUnavailableError
from domain.runs import SERIES_ERRORS_TAG, Experiment, Run, SeriesErrors, from_epoch_ms


@contextmanager
def _errors(doing: str, path: Path, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """DuckDB's failures (and `also`) as SourceUnavailableError, naming what was being done to which file."""
    kinds: tuple[type[BaseException], ...] = (duckdb.Error, *also)
    try:
        yield
    except kinds as exc:
        raise SourceUnavailableError(f"cannot {doing} warehouse {path}: {str(exc).splitlines()[0]}") from exc


class DuckDbRunRepository:
    def __init__(self, path: str) -> None:
        self._path = Path(path)

    def describe(self) -> str:
        return f"duckdb {self._path}"

    # -- connections -------------------------------------------------------------------------
    def _read(self) -> duckdb.DuckDBPyConnection:
        if not self._path.is_file():
            raise SourceUnavailableError(f"no warehouse at {self._path}; `ml-portfolio sync` creates it")
        with _errors("open", self._path):
            return duckdb.connect(str(self._path), read_only=True)

    def _write(self) -> duckdb.DuckDBPyConnection:
        with _errors("write", self._path, also=(OSError,)):
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(str(self._path))
            connection.execute(SCHEMA)
            if connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_errors'"
                                  ).fetchall() != [(0,)]:
                connection.execute(UPGRADE)
            return connection

    @contextmanager
    def _connected(self, doing: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection (read-only unless writing) closed on the way out; DuckDB's failures named."""
        connection = self._write() if doing == "write" else self._read()
        try:
            with _errors(doing, self._path):
                yield connection
        finally:
            connection.close()

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._connected("read") as connection:
            return connection.execute(sql, list(parameters)).fetchall()

    # -- RunSource ---------------------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        # Benchmarks append history to the same file, so it can exist without any run in it.
        rows = self._query("SELECT experiment_id, name, (SELECT count(*) FROM sync_state) FROM experiments "
                           "UNION ALL SELECT NULL, NULL, (SELECT count(*) FROM sync_state) ORDER BY 1 NULLS LAST")
        if rows[-1][2] == 0:
            raise SourceUnavailableError(f"the warehouse {self._path} was never synced; `ml-portfolio sync` fills it")
        return [Experiment(experiment_id=str(i), name=n) for i, n, _ in rows[:-1]]

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        if not experiment_ids:
            return iter(())
        if summary:
            return self._summaries(experiment_ids, include_unfinished)
        with self._connected("read") as connection:
            connection.execute(
                "CREATE TEMP TABLE selected AS SELECT run_id, experiment_id, name, status, start_time, end_time "
                "FROM runs WHERE experiment_id IN (SELECT unnest(?)) AND (? OR status = 'FINISHED')",
                [list(experiment_ids), include_unfinished],
            )
            runs = connection.execute("SELECT * FROM selected ORDER BY run_id").fetchall()
            grouped: dict[str, dict[str, dict[str, Any]]] = {}
            for table in ("metrics", "params", "tags"):
                target = grouped[table] = {}
                for run_id, key, value in connection.execute(
                        f"SELECT c.run_id, c.key, c.value FROM {table} c JOIN selected USING (run_id)").fetchall():
                    target.setdefault(run_id, {})[key] = value
        return iter([
            Run(run_id=run_id, experiment_id=experiment_id, name=name or "", status=status,
                start_time=from_epoch_ms(start), end_time=from_epoch_ms(end),
                metrics=grouped["metrics"].get(run_id, {}), params=grouped["params"].get(run_id, {}),
                tags=grouped["tags"].get(run_id, {}))
            for run_id, experiment_id, name, status, start, end in runs
        ])

    def _summaries(self, experiment_ids: Sequence[str], include_unfinished: bool) -> Iterator[Run]:
        rows = self._query(
            "SELECT r.run_id, r.experiment_id, r.name, r.status, r.start_time, r.end_time, "
            "s.model_name, s.dataset_name, "
            "s.errors_artifact, s.metrics FROM runs r JOIN run_summaries s USING (run_id) "
            "WHERE r.experiment_id IN (SELECT unnest(?)) AND (? OR r.status = 'FINISHED') ORDER BY r.run_id",
            [list(experiment_ids), include_unfinished],
        )
        decode = msgspec.json.decode  # several times faster than json.loads on 100k small objects
        return iter([
            Run(run_id=run_id, experiment_id=experiment_id, name=name or "", status=status,
                start_time=from_epoch_ms(start), end_time=from_epoch_ms(end), metrics=decode(metrics),
                tags={"model_name": model, "dataset": dataset, **({SERIES_ERRORS_TAG: errors} if errors else {})})
            for run_id, experiment_id, name, status, start, end, model, dataset, errors, metrics in rows
        ])

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        if not run_ids:
            return {}
        rows = self._query(
            "SELECT run_id, series_id, metric, value FROM series_errors WHERE run_id IN (SELECT unnest(?))",
            [list(run_ids)],
        )
        errors: dict[str, dict[str, dict[str, float]]] = {}
        for run_id, series, metric, value in rows:
            errors.setdefault(run_id, {}).setdefault(str(series), {})[metric] = float(value)
        found: dict[str, SeriesErrors] = dict(errors)
        return found

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
             errors: Mapping[str, SeriesErrors], watermark_ms: int | None) -> None:
        frames = sync_frames(origin, experiments, runs, errors)
        with self._connected("write") as connection:
            connection.execute("BEGIN TRANSACTION")
            try:
                for name, frame in frames.items():
                    connection.register(f"new_{name}", frame)
                connection.execute("INSERT OR REPLACE INTO experiments SELECT * FROM new_experiments")
                for table in CHILD_TABLES:
                    connection.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM new_runs)")
                connection.execute("INSERT OR REPLACE INTO runs SELECT * FROM new_runs")
                for table in CHILD_TABLES:
                    connection.execute(f"INSERT INTO {table} SELECT * FROM new_{table}")
                connection.execute(
                    "INSERT OR REPLACE INTO sync_state "
                    "VALUES (?, ?, now(), (SELECT count(*) FROM runs WHERE origin = ?))",
                    [origin, watermark_ms, origin],
                )
                connection.execute("COMMIT")
            except duckdb.Error:
                connection.execute("ROLLBACK")
                raise

    # -- BenchmarkHistory --------------------------------------------------------------------
    def append(self, report: BenchmarkReport) -> None:
        board = report.leaderboard
        rows = {(r.model, r.dataset): r for r in board.results}
        frame = pd.DataFrame(
            [
                (
                    report.generated_at,
                    report.source,
                    json.dumps(report.request.filters()),
                    board.rank_by,
                    board.aggregate.value,
                    r.rank,
                    r.model,
                    r.dataset,
                    r.value,
                    rows[(r.model, r.dataset)].runs,
                    rows[(r.model, r.dataset)].run_id,
                )
                for r in board.rankings
            ],
            columns=[
                "generated_at",
                "source",
                "filters",
                "rank_by",
                "aggregate",
                "rank",
                "model_name",
                "dataset_name",
                "value",
                "runs",
                "run_id",
            ],
        )
        with self._connected("write") as connection:
            connection.register("new_history", frame)
            connection.execute("INSERT INTO benchmark_history SELECT * FROM new_history")
