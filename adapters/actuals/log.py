"""The forecast log: every forecast a version made (at registration from its training origin, and
every one the API and `forecast` served), in the actuals store's database, where the actuals that
settle them are joined to them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd

from adapters.actuals.database import Database, DuckDbDatabase, PostgresDatabase, Unit
from adapters.actuals.store import LATEST, SCHEMA, day, now
from domain.forecasts import ForecastPoint
from domain.models import ModelVersion
from domain.monitoring import SettledPoint

COLUMNS = ("model", "version", "dataset", "source", "origin", "series_id", "step", "period", "prediction", "lower",
           "upper", "confidence", "logged_at")


def _frame(version: ModelVersion, dataset: str, source: str, points: Sequence[ForecastPoint],
           confidence: float | None) -> pd.DataFrame:
    logged = now()
    return pd.DataFrame({
        "model": version.name, "version": version.version, "dataset": dataset, "source": source,
        "origin": [p.origin or p.date for p in points], "series_id": [p.series_id for p in points],
        "step": [p.step for p in points], "period": [p.date for p in points],
        "prediction": [p.prediction for p in points], "lower": [p.lower for p in points],
        "upper": [p.upper for p in points], "confidence": confidence, "logged_at": logged,
    }, columns=list(COLUMNS)).astype({"origin": "datetime64[s]", "period": "datetime64[s]", "lower": float,
                                       "upper": float, "confidence": float})


class SqlForecastLog:
    """ForecastLog over a Database: the actuals store's, so a forecast meets its actual in one query."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def log(self, version: ModelVersion, dataset: str, source: str, points: Sequence[ForecastPoint],
            confidence: float | None) -> None:
        if not points:
            return
        frame = _frame(version, dataset, source, points, confidence)
        with self._db.unit(write=True) as unit:
            for statement in SCHEMA:
                unit.execute(statement)
            unit.append("forecasts", frame)

    @contextmanager
    def _reading(self) -> Iterator[Unit | None]:
        """A read unit on the log, or None while nothing has been logged yet."""
        if not self._db.exists():
            yield None
            return
        with self._db.unit(write=False) as unit:
            logged = unit.rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'forecasts'")[0][0]
            yield unit if logged else None

    def settled(self, version: ModelVersion, source: str = "training") -> list[SettledPoint]:
        """The version's logged forecasts (of `source`) whose period has an actual, with the one in force."""
        with self._reading() as unit:
            if unit is None:
                return []
            datasets = unit.rows("SELECT DISTINCT dataset FROM forecasts WHERE model = ? AND version = ? AND "
                                 "source = ?", [version.name, version.version, source])
            rows = []
            for (dataset,) in datasets:
                rows += unit.rows(
                    f"SELECT f.series_id, f.origin, f.step, f.period, f.prediction, f.lower, f.upper, a.value, "
                    f"b.arrived_at FROM forecasts f JOIN ({LATEST.format(also='')}) AS a ON a.series_id = f.series_id "
                    "AND a.period = f.period JOIN batches b ON b.batch = a.batch WHERE f.model = ? AND f.version = ? "
                    "AND f.source = ? AND f.dataset = ? ORDER BY f.series_id, f.origin, f.step",
                    [dataset, version.name, version.version, source, dataset])
        return [SettledPoint(series_id=s, origin=day(o), step=int(h), period=day(p), prediction=float(y),
                             lower=None if lo is None else float(lo), upper=None if up is None else float(up),
                             actual=float(a), arrived_at=t) for s, o, h, p, y, lo, up, a, t in rows]

    def served(self, dataset: str, series_id: str) -> list[SettledPoint]:
        """The forecasts served for the series (sources other than training), newest origin last, each with
        the actual in force for its period (NaN when none has arrived)."""
        with self._reading() as unit:
            if unit is None:
                return []
            rows = unit.rows(
                f"SELECT f.series_id, f.origin, f.step, f.period, f.prediction, f.lower, f.upper, a.value, "
                f"f.logged_at FROM forecasts f LEFT JOIN ({LATEST.format(also=' AND series_id = ?')}) AS a ON "
                "a.period = f.period WHERE f.dataset = ? AND f.series_id = ? AND f.source <> 'training' "
                "ORDER BY f.logged_at, f.step", [dataset, series_id, dataset, series_id])
        return [SettledPoint(series_id=s, origin=day(o), step=int(h), period=day(p), prediction=float(y),
                             lower=None if lo is None else float(lo), upper=None if up is None else float(up),
                             actual=float("nan") if a is None else float(a), arrived_at=t)
                for s, o, h, p, y, lo, up, a, t in rows]

    def logged(self, version: ModelVersion, source: str = "training") -> int:
        """How many forecasts of the version (of `source`) are logged."""
        with self._reading() as unit:
            if unit is None:
                return 0
            return int(unit.rows("SELECT count(*) FROM forecasts WHERE model = ? AND version = ? AND source = ?",
                                 [version.name, version.version, source])[0][0])


class DuckDbForecastLog(SqlForecastLog):
    def __init__(self, path: str) -> None:
        super().__init__(DuckDbDatabase(path))


class PostgresForecastLog(SqlForecastLog):
    def __init__(self, uri: str) -> None:
        super().__init__(PostgresDatabase(uri))
