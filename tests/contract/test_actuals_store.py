"""One contract for the ActualsStore and the ForecastLog: the embedded DuckDB file and PostgreSQL."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import pytest

from adapters.actuals.log import DuckDbForecastLog, PostgresForecastLog
from adapters.actuals.store import DuckDbActualsStore, PostgresActualsStore
from domain.errors import DataError, SourceUnavailableError, UnknownExperimentError
from domain.forecasts import ForecastPoint, SeriesHistory
from domain.frequency import WEEKLY_FRIDAY, frequency
from domain.models import ModelVersion
from tests.cluster import postgres

WEEKS = [date(2012, 1, 6) + timedelta(weeks=k) for k in range(20)]
NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def postgres_server():
    with postgres() as uri:
        yield uri.rsplit("/", 1)[0]


@pytest.fixture(params=["duckdb", "postgresql"])
def world(request, tmp_path):
    """(store, log) over an empty database of the kind."""
    if request.param == "duckdb":
        path = str(tmp_path / "actuals.duckdb")
        return DuckDbActualsStore(path), DuckDbForecastLog(path)
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"actuals_{next(NUMBERS)}"
    with psycopg.connect(f"{server}/mlflow", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return PostgresActualsStore(f"{server}/{name}"), PostgresForecastLog(f"{server}/{name}")


def rows(series: str, weeks: list[date], start: float = 100.0) -> SeriesHistory:
    return SeriesHistory(series_ids=(series,) * len(weeks), dates=tuple(weeks),
                         values=tuple(start + k for k in range(len(weeks))))


def both(*parts: SeriesHistory) -> SeriesHistory:
    return SeriesHistory(series_ids=sum((p.series_ids for p in parts), ()), dates=sum((p.dates for p in parts), ()),
                         values=sum((p.values for p in parts), ()))


def test_an_empty_store_holds_nothing(world):
    store, log = world
    assert store.datasets() == [] and store.history("w").series == () and store.records("w", "1") == []
    assert store.trained("w") == 0 and log.settled(ModelVersion(name="m", version=1), "training") == []
    with pytest.raises(UnknownExperimentError, match="no dataset 'w'"):
        store.dataset("w")


def test_appends_corrections_and_what_was_known(world):
    store, _ = world
    first = store.append("w", both(rows("1", WEEKS[:10]), rows("2", WEEKS[2:10])), WEEKLY_FRIDAY, "table")
    assert (first.batch, first.revision, first.series, first.new_series, first.added) == (1, 1, 2, 2, 18)
    again = store.append("w", rows("1", WEEKS[:10]), None, "table again")
    assert (again.batch, again.revision, again.unchanged, again.added) == (None, 1, 10, 0)
    fix = SeriesHistory(series_ids=("1", "1"), dates=(WEEKS[9], WEEKS[10]), values=(500.0, 110.0))
    found = store.append("w", fix, None, "a correction and a new week")
    assert (found.batch, found.revision, found.added, found.corrected) == (2, 2, 1, 1)
    history = store.history("w", ["1"])
    assert history.series == ("1",) and list(history.values[-2:]) == [500.0, 110.0]
    records = store.records("w", "1")
    assert [(r.value, r.latest) for r in records if r.period == WEEKS[9]] == [(109.0, False), (500.0, True)]
    assert {r.source for r in records} == {"table", "a correction and a new week"}
    (dataset,) = store.datasets()
    assert (dataset.name, dataset.frequency, dataset.series, dataset.revision) == ("w", "W-FRI", 2, 2)
    assert (dataset.first_period, dataset.last_period) == (WEEKS[0], WEEKS[10])
    _, ends = store.latest("w")
    assert ends["1"][0] == WEEKS[10] and ends["2"][0] == WEEKS[9] and ends["1"][1] > ends["2"][1]


@pytest.mark.parametrize("bad, message", [
    (SeriesHistory(series_ids=("1",), dates=(WEEKS[12],), values=(1.0,)), "series 1 would have a gap"),
    (SeriesHistory(series_ids=("1",), dates=(WEEKS[0] - timedelta(weeks=1),), values=(1.0,)),
     "is before its first actual"),
    (SeriesHistory(series_ids=("1",), dates=(WEEKS[3] + timedelta(days=1),), values=(1.0,)),
     "is not a period of dataset 'w' \\(weekly, W-FRI\\)"),
    (SeriesHistory(series_ids=("1",), dates=(WEEKS[10],), values=(math.nan,)), "the value is missing"),
    (SeriesHistory(series_ids=("1",), dates=(WEEKS[10],), values=(-1.0,)), "is negative"),
    (SeriesHistory(series_ids=("1", "1"), dates=(WEEKS[10], WEEKS[10]), values=(1.0, 2.0)), "more than one"),
])
def test_a_batch_that_breaks_a_rule_changes_nothing(world, bad, message):
    store, _ = world
    store.append("w", rows("1", WEEKS[:10]), WEEKLY_FRIDAY, "table")
    ok = rows("2", WEEKS[:3])  # a good part of the same batch is not stored either
    with pytest.raises(DataError, match=message):
        store.append("w", both(ok, bad), None, "bad")
    assert store.history("w").series == ("1",) and store.datasets()[0].revision == 1


def test_datasets_are_namespaces_with_a_frequency_each(world):
    store, _ = world
    store.append("w", rows("1", WEEKS[:5]), WEEKLY_FRIDAY, "weekly")
    days = [date(2012, 1, 1) + timedelta(days=k) for k in range(5)]
    store.append("d", rows("1", days, 7.0), frequency("daily"), "daily")
    assert [d.name for d in store.datasets()] == ["d", "w"]
    assert list(store.history("d").values) == [7.0, 8.0, 9.0, 10.0, 11.0]
    with pytest.raises(DataError, match="has no actuals yet and no frequency"):
        store.append("m", rows("1", days), None, "nothing says its frequency")


def test_scales_and_training_marks(world):
    store, _ = world
    store.append("w", rows("1", WEEKS[:10]), WEEKLY_FRIDAY, "table")
    assert store.scales("w", WEEKS[9], 2) == {"1": pytest.approx(2.0)}  # each value 2 above the one 2 weeks back
    assert store.scales("w", WEEKS[1], 2) == {}
    store.mark_trained("w", 1)
    assert store.trained("w") == 1


def test_logged_forecasts_meet_their_actuals(world):
    store, log = world
    store.append("w", rows("1", WEEKS[:6]), WEEKLY_FRIDAY, "table")
    version = ModelVersion(name="lightgbm", version=3)
    points = [ForecastPoint(series_id="1", step=h, date=WEEKS[5 + h], prediction=100.0 + h, lower=90.0, upper=120.0,
                            origin=WEEKS[5]) for h in (1, 2, 3)]
    log.log(version, "w", "training", points, 0.9)
    log.log(version, "w", "served", points[:1], 0.9)
    assert log.settled(version, "training") == []
    store.append("w", SeriesHistory(series_ids=("1", "1"), dates=(WEEKS[6], WEEKS[7]), values=(111.0, 50.0)), None,
                 "actuals")
    settled = log.settled(version, "training")
    assert [(p.step, p.period, p.prediction, p.actual) for p in settled] == [(1, WEEKS[6], 101.0, 111.0),
                                                                            (2, WEEKS[7], 102.0, 50.0)]
    assert settled[0].lower == 90.0 and settled[0].origin == WEEKS[5]
    (served,) = log.served("w", "1")
    assert (served.prediction, served.actual) == (101.0, 111.0)
    assert log.settled(ModelVersion(name="lightgbm", version=4), "training") == []


def test_an_unreachable_store_is_one_clear_error(tmp_path):
    store = PostgresActualsStore("postgresql://nobody:secret@127.0.0.1:9/none")
    with pytest.raises(SourceUnavailableError, match=r"cannot reach the actuals store postgresql://\*\*\*@127.0.0.1"):
        store.datasets()
    folder = tmp_path / "not-a-folder"
    folder.write_text("a file where the store's folder would be")
    with pytest.raises(SourceUnavailableError, match="cannot open the actuals store"):
        DuckDbActualsStore(str(folder / "actuals.duckdb")).append("w", rows("1", WEEKS[:2]), WEEKLY_FRIDAY, "t")


def test_covariates_are_kept_with_the_values_and_the_rows_of_future_values(world):
    store, _ = world
    weeks = WEEKS[:6]
    given = SeriesHistory(series_ids=("1",) * 6, dates=tuple(weeks), values=(1.0, 2.0, 3.0, 4.0, math.nan, math.nan),
                          covariates={"promo": (0, 1, 0, 0, 1, 0), "size": ("big",) * 6})
    first = store.append("w", given, WEEKLY_FRIDAY, "table")
    assert (first.added, first.batch) == (4, 1)  # the two rows of future values add no actual
    found = store.history("w")
    assert list(found.dates) == weeks and [math.isnan(v) for v in found.values] == [False] * 4 + [True] * 2
    assert list(found.columns()["promo"]) == [0, 1, 0, 0, 1, 0] and set(found.columns()["size"]) == {"big"}
    changed = SeriesHistory(series_ids=("1",), dates=(weeks[5],), values=(math.nan,), covariates={"promo": (1,)})
    second = store.append("w", changed, None, "a planned promotion")
    assert (second.batch, second.added, second.revision) == (2, 0, 1)  # a batch of covariates, no new actual
    assert list(store.history("w", ["1"]).columns()["promo"])[-1] == 1
    latest, _ = store.latest("w")
    assert list(latest.columns()["promo"]) == [0, 1, 0, 0, 1, 1]
