"""The actuals store and the forecast log, in SQL that DuckDB and PostgreSQL both run.

Tables: `datasets` (name, frequency), `batches` (one per append that stored something: when it
arrived, from where, what it did), `actuals` (every value ever stored, with its batch: the latest
batch of a series and period holds its value in force) and `forecasts` (every logged forecast:
model, version, source, origin, series, step, period, prediction, interval); the covariates of the
values, and of the periods after them, in a table of their own (covariates.py). Nothing is updated
or deleted: a correction is a new row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from adapters.actuals import covariates
from adapters.actuals.batches import batch_frequency, check_values, checked
from adapters.actuals.database import Database, DuckDbDatabase, PostgresDatabase, Unit
from adapters.forecasting.history import Periods
from adapters.forecasting.table import HistoryRows
from application.ports import History
from domain.actuals import ActualRecord, ActualsReceipt, DatasetActuals
from domain.errors import UnknownExperimentError
from domain.frequency import Frequency, frequency_of_code

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS datasets (dataset TEXT PRIMARY KEY, frequency TEXT NOT NULL, "
    "created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS batches (batch BIGINT PRIMARY KEY, dataset TEXT NOT NULL, arrived_at TIMESTAMP "
    "NOT NULL, source TEXT NOT NULL, added BIGINT NOT NULL, corrected BIGINT NOT NULL, unchanged BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS actuals (dataset TEXT NOT NULL, series_id TEXT NOT NULL, period DATE NOT NULL, "
    "value DOUBLE PRECISION NOT NULL, batch BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS forecasts (model TEXT NOT NULL, version INTEGER NOT NULL, dataset TEXT NOT NULL, "
    "source TEXT NOT NULL, origin DATE NOT NULL, series_id TEXT NOT NULL, step INTEGER NOT NULL, period DATE NOT "
    "NULL, prediction DOUBLE PRECISION NOT NULL, lower DOUBLE PRECISION, upper DOUBLE PRECISION, confidence "
    "DOUBLE PRECISION, logged_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS trainings (dataset TEXT NOT NULL, revision BIGINT NOT NULL, trained_at TIMESTAMP "
    "NOT NULL)",
    "CREATE INDEX IF NOT EXISTS actuals_series ON actuals (dataset, series_id, period)",
    "CREATE INDEX IF NOT EXISTS forecasts_version ON forecasts (model, version, source)",
)
# The value in force of every period of every series of a dataset: the one of the latest batch.
LATEST = ("SELECT series_id, period, value, batch FROM (SELECT series_id, period, value, batch, row_number() OVER "
          "(PARTITION BY series_id, period ORDER BY batch DESC) AS newest FROM actuals WHERE dataset = ?{also}) AS a "
          "WHERE newest = 1")


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SqlActualsStore:
    """ActualsStore over a Database (DuckDB file or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def describe(self) -> str:
        return self._db.describe()

    @staticmethod
    def _frequency(unit: Unit, dataset: str) -> Frequency | None:
        found = unit.rows("SELECT frequency FROM datasets WHERE dataset = ?", [dataset])
        return frequency_of_code(found[0][0]) if found else None

    def append(self, dataset: str, history: History, frequency: Frequency | None, source: str) -> ActualsReceipt:
        frame, extra = covariates.split(history)
        if len(frame) or not len(extra):  # a batch of future values alone has no value to check
            check_values(frame)
        arrived = now()
        with self._db.unit(write=True) as unit:
            for statement in (*SCHEMA, *covariates.SCHEMA):
                unit.execute(statement)
            unit.serialise("batches")
            known = self._frequency(unit, dataset)
            used = batch_frequency(frame, known, frequency, dataset)
            unit.stage("incoming", frame)
            current = unit.frame(LATEST.format(also=" AND series_id IN (SELECT DISTINCT series_id FROM incoming)"),
                                 [dataset])
            merged = checked(frame, current, Periods(used))
            added, corrected = int(merged["before"].isna().sum()), int(merged["changed"].sum())
            stored = merged[merged["before"].isna() | merged["changed"]]
            batch = None
            revision = int(unit.rows("SELECT coalesce(max(batch), 0) FROM batches WHERE dataset = ?", [dataset])[0][0])
            following = int(unit.rows("SELECT coalesce(max(batch), 0) + 1 FROM batches")[0][0])
            kept = covariates.store(unit, dataset, extra, following) if len(extra) else 0
            if len(stored) or kept:  # a batch of covariates alone (new future values) is a batch too
                batch = following
                if known is None:
                    unit.execute("INSERT INTO datasets VALUES (?, ?, ?)", [dataset, used.code, arrived])
                unit.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [batch, dataset, arrived, source[:500], added, corrected, len(merged) - len(stored)])
            if len(stored):
                unit.append("actuals", stored.assign(dataset=dataset, batch=batch)[
                    ["dataset", "series_id", "period", "value", "batch"]])
                revision = following
        before = set(current["series_id"])
        series = frame["series_id"].unique()
        return ActualsReceipt(dataset=dataset, batch=batch, revision=revision, arrived_at=arrived, series=len(series),
                              new_series=sum(s not in before for s in series), added=added, corrected=corrected,
                              unchanged=len(merged) - len(stored))

    def history(self, dataset: str, series: list[str] | None = None) -> HistoryRows:
        """The values in force of the dataset's series (these ones, if given), oldest first."""
        if not self._readable():
            return _empty()
        with self._db.unit(write=False) as unit:
            if series is None:
                found = unit.frame(LATEST.format(also="") + " ORDER BY series_id, period", [dataset])
            else:
                unit.stage("wanted", pd.DataFrame({"series_id": pd.Series(series, dtype=object)}))
                found = unit.frame(LATEST.format(also=" AND series_id IN (SELECT series_id FROM wanted)")
                                   + " ORDER BY series_id, period", [dataset])
            extra = covariates.wide(unit, dataset, "" if series is None else
                                    " AND series_id IN (SELECT series_id FROM wanted)")
        return _with_covariates(found, extra)

    def latest(self, dataset: str) -> tuple[HistoryRows, dict[str, tuple[date, datetime]]]:
        """The values in force of every series of the dataset, and per series its last period and when its
        latest value arrived."""
        if not self._readable():
            return _empty(), {}
        with self._db.unit(write=False) as unit:
            found = unit.frame(f"SELECT l.series_id, l.period, l.value, b.arrived_at FROM ({LATEST.format(also='')}) "
                               "AS l JOIN batches b ON b.batch = l.batch ORDER BY l.series_id, l.period", [dataset])
            extra = covariates.wide(unit, dataset)
        days = pd.to_datetime(found["period"]).to_numpy().astype("datetime64[D]")
        ends = found.assign(period=days).groupby("series_id").agg(period=("period", "max"),
                                                                   arrived=("arrived_at", "max"))
        arrivals = {str(s): (pd.Timestamp(p).date(), pd.Timestamp(a).to_pydatetime()) for s, p, a in ends.itertuples()}
        return _with_covariates(found[["series_id", "period", "value"]], extra), arrivals

    def records(self, dataset: str, series_id: str) -> list[ActualRecord]:
        """Every value stored for a series, oldest period first, corrections after what they correct."""
        if not self._readable():
            return []
        with self._db.unit(write=False) as unit:
            rows = unit.rows(
                "SELECT a.period, a.value, b.arrived_at, b.source, a.batch = max(a.batch) OVER (PARTITION BY a.period) "
                "FROM actuals a JOIN batches b ON a.batch = b.batch WHERE a.dataset = ? AND a.series_id = ? "
                "ORDER BY a.period, a.batch", [dataset, series_id])
        return [ActualRecord(period=day(p), value=float(v), arrived_at=t, source=s, latest=bool(latest))
                for p, v, t, s, latest in rows]

    def datasets(self) -> list[DatasetActuals]:
        if not self._readable():
            return []
        with self._db.unit(write=False) as unit:
            rows = unit.rows(
                "SELECT d.dataset, d.frequency, count(DISTINCT a.series_id), min(a.period), max(a.period), "
                "(SELECT max(batch) FROM batches b WHERE b.dataset = d.dataset), "
                "(SELECT max(arrived_at) FROM batches b WHERE b.dataset = d.dataset) FROM datasets d "
                "LEFT JOIN actuals a ON a.dataset = d.dataset GROUP BY d.dataset, d.frequency ORDER BY d.dataset")
        return [DatasetActuals(name=n, frequency=f, series=int(s), first_period=day(a) if a else None,
                               last_period=day(b) if b else None, revision=int(r or 0), last_arrival=t)
                for n, f, s, a, b, r, t in rows]

    def dataset(self, name: str) -> DatasetActuals:
        found = {d.name: d for d in self.datasets()}
        if name not in found:
            known = ", ".join(found) or "none yet: `ml-portfolio train` or `actuals add` stores some"
            raise UnknownExperimentError(f"the actuals store has no dataset {name!r}; it has {known}")
        return found[name]

    def scales(self, dataset: str, origin: date, season: int) -> dict[str, float]:
        """Per series, the mean absolute error of the same period one season before, up to `origin`."""
        if not self._readable():
            return {}
        with self._db.unit(write=False) as unit:
            rows = unit.rows(
                f"SELECT series_id, avg(abs(value - before)) FROM (SELECT series_id, value, lag(value, {int(season)}) "
                f"OVER (PARTITION BY series_id ORDER BY period) AS before FROM ({LATEST.format(also='')}) AS l "
                "WHERE period <= ?) AS s WHERE before IS NOT NULL GROUP BY series_id", [dataset, origin])
        return {str(s): float(v) for s, v in rows}

    def trained(self, dataset: str) -> int:
        if not self._readable():
            return 0
        with self._db.unit(write=False) as unit:
            found = unit.rows("SELECT max(revision) FROM trainings WHERE dataset = ?", [dataset])
        return int(found[0][0] or 0)

    def mark_trained(self, dataset: str, revision: int) -> None:
        with self._db.unit(write=True) as unit:
            for statement in SCHEMA:
                unit.execute(statement)
            unit.execute("INSERT INTO trainings VALUES (?, ?, ?)", [dataset, revision, now()])

    def _readable(self) -> bool:
        """Whether the store holds its tables yet (a new DuckDB file, a new database, has none)."""
        if not self._db.exists():
            return False
        with self._db.unit(write=False) as unit:
            return bool(unit.rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'actuals'")[0][0])


def _with_covariates(found: pd.DataFrame, extra: pd.DataFrame) -> HistoryRows:
    """The values in force with their covariates, and the rows of future values after each series' last
    value (value NaN) that the store holds covariates of."""
    found = found.assign(period=pd.to_datetime(found["period"]))
    if len(extra.columns):
        last = found.groupby("series_id")["period"].max()
        keys = extra.index.to_frame(index=False)
        after = keys["period"].to_numpy() > keys["series_id"].map(last).fillna(pd.Timestamp.max).to_numpy()
        future = keys[after].assign(value=np.nan)
        found = pd.concat([found, future], ignore_index=True).sort_values(["series_id", "period"], kind="stable")
        found = found.join(extra, on=["series_id", "period"])
    return HistoryRows(found["series_id"].to_numpy(dtype=object),
                       found["period"].to_numpy().astype("datetime64[D]"), found["value"].to_numpy(dtype=np.float64),
                       {str(name): found[name].to_numpy(dtype=object) for name in extra.columns})


def _empty() -> HistoryRows:
    return HistoryRows(np.array([], dtype=object), np.array([], dtype="datetime64[D]"), np.array([]))


def day(value: object) -> date:
    """A date the database returned as a date or a timestamp, as a date."""
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


class DuckDbActualsStore(SqlActualsStore):
    """The embedded default: a DuckDB file beside the MLflow store."""

    def __init__(self, path: str) -> None:
        super().__init__(DuckDbDatabase(path))


class PostgresActualsStore(SqlActualsStore):
    """A shared store: a PostgreSQL database every host reaches."""

    def __init__(self, uri: str) -> None:
        super().__init__(PostgresDatabase(uri))
