"""The two databases an actuals store lives in, behind the few calls the store makes of them.

DuckDB (embedded, one file beside the MLflow store) and PostgreSQL (shared): the store's SQL is
the same for both, written with `?` placeholders; each database opens a connection per unit of
work, runs it in one transaction, and turns its library's failures into SourceUnavailableError
naming the store. DuckDB lets one process open a file at a time, so a unit of work that finds the
file held by another process waits for it (up to LOCK_WAIT seconds) instead of failing; within a
process every connection opens it the same way (read-write: DuckDB refuses a read-only connection
beside a read-write one), and the store's transactions keep readers consistent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from domain.errors import SourceUnavailableError, masked

LOCK_WAIT = 60.0  # seconds a unit of work waits for another process to let go of a DuckDB file


class Unit(Protocol):
    """One transaction's connection, as the store uses it."""

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> None: ...

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def frame(self, sql: str, parameters: Sequence[object] = ()) -> pd.DataFrame: ...

    def stage(self, name: str, frame: pd.DataFrame) -> None:
        """Make `frame` a table named `name` for the rest of the transaction."""

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Insert the frame's rows (its columns named as the table's)."""

    def serialise(self, table: str) -> None:
        """Hold the table against other writers until the transaction ends (appends one after another)."""


class DuckDbUnit:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> None:
        self._connection.execute(sql, list(parameters))

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, list(parameters)).fetchall()

    def frame(self, sql: str, parameters: Sequence[object] = ()) -> pd.DataFrame:
        return self._connection.execute(sql, list(parameters)).df()

    def stage(self, name: str, frame: pd.DataFrame) -> None:
        self._connection.register(name, frame)

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self._connection.register("appended_rows", frame)
        self._connection.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) "
                                 f"SELECT {', '.join(frame.columns)} FROM appended_rows")
        self._connection.unregister("appended_rows")

    def serialise(self, table: str) -> None:
        return None  # a DuckDB file has one writer at a time


class DuckDbDatabase:
    """A DuckDB file, opened for each unit of work (so other processes can open it between them)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"duckdb {self.path}"

    @contextmanager
    def unit(self, write: bool) -> Iterator[DuckDbUnit]:
        import duckdb

        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                if write:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise SourceUnavailableError(f"cannot open the actuals store {self.path}: "
                                                 f"{str(exc).splitlines()[0]}") from exc
                time.sleep(0.05)
            except (duckdb.Error, OSError) as exc:
                raise SourceUnavailableError(f"cannot open the actuals store {self.path}: {exc}") from exc
        try:
            connection.execute("BEGIN TRANSACTION")
            yield DuckDbUnit(connection)
            connection.execute("COMMIT")
        except duckdb.Error as exc:
            raise SourceUnavailableError(f"the actuals store {self.path} failed: {str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()

    def exists(self) -> bool:
        return self.path.is_file()


class PostgresUnit:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> None:
        self._connection.execute(sql.replace("?", "%s"), list(parameters))

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql.replace("?", "%s"), list(parameters)).fetchall()

    def frame(self, sql: str, parameters: Sequence[object] = ()) -> pd.DataFrame:
        cursor = self._connection.execute(sql.replace("?", "%s"), list(parameters))
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])

    def stage(self, name: str, frame: pd.DataFrame) -> None:
        types = {"series_id": "TEXT", "period": "DATE", "value": "DOUBLE PRECISION"}
        columns = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in frame.columns)
        self._connection.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        self._copy(name, frame)

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self._copy(table, frame)

    def serialise(self, table: str) -> None:
        self._connection.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")

    def _copy(self, table: str, frame: pd.DataFrame) -> None:
        with self._connection.cursor().copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([None if isinstance(v, float) and v != v else v for v in row])


class PostgresDatabase:
    """A PostgreSQL database by URI (postgresql://user:password@host:port/name), a connection per unit of work."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def describe(self) -> str:
        return f"postgresql {masked(self.uri)}"

    @contextmanager
    def unit(self, write: bool) -> Iterator[PostgresUnit]:
        import psycopg

        try:
            connection = psycopg.connect(self.uri, connect_timeout=10)
        except psycopg.Error as exc:
            raise SourceUnavailableError(f"cannot reach the actuals store {masked(self.uri)}: "
                                         f"{str(exc).splitlines()[0]}") from exc
        try:
            with connection.transaction():
                yield PostgresUnit(connection)
        except psycopg.Error as exc:
            raise SourceUnavailableError(f"the actuals store {masked(self.uri)} failed: "
                                         f"{str(exc).splitlines()[0]}") from exc
        finally:
            connection.close()

    def exists(self) -> bool:
        return True


Database = DuckDbDatabase | PostgresDatabase
