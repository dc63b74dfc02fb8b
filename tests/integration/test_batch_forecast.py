"""ForecastAll over the in-memory registry, this process's runner and the real Parquet writer."""

from __future__ import annotations

import pandas as pd
import pytest

from adapters.compute.inprocess import InProcessRunner
from adapters.filesystem.forecasts_parquet import ParquetForecastWriter
from adapters.filesystem.sales_csv import CsvHistorySource
from adapters.memory.models import InMemoryModelLoader
from adapters.memory.registry import InMemoryModelRegistry
from application.actuals import LatestActuals
from application.batch import BatchRequest, ForecastAll
from application.serving import ServedModels
from domain.errors import InvalidValueError, UnknownModelError
from domain.models import ModelVersion
from tests.support import duckdb_actuals


@pytest.fixture
def forecast_all(tmp_path):
    registry = InMemoryModelRegistry()
    registry.add("lightgbm", "r1", {"test_mape": 3.0})
    registry.add("lightgbm", "r2", {"test_mape": 2.0})
    registry.set_alias("lightgbm", "champion", 1)
    store, log = duckdb_actuals(tmp_path)
    run = ForecastAll(ServedModels(registry, InMemoryModelLoader(registry)), InProcessRunner(),
                      ParquetForecastWriter(), LatestActuals(store), log)

    def forecast(request: BatchRequest, progress=lambda message: None):
        return run(request, progress)

    return forecast


def histories(path) -> BatchRequest:
    return CsvHistorySource().read(str(path))


def test_every_series_of_the_version_in_chunks(forecast_all, tmp_path):
    said: list[str] = []
    report = forecast_all(BatchRequest(model="lightgbm@champion", output=str(tmp_path / "f.parquet"), horizon=4,
                                       chunk=2), progress=said.append)
    found = pd.read_parquet(tmp_path / "f.parquet")
    assert (report.version.version, report.series, report.rows) == (1, 3, 12)
    assert found["series_id"].tolist() == [s for s in ("1", "2", "3") for _ in range(4)]
    assert set(found["prediction"]) == {1.0} and set(found["model_version"]) == {1}  # version 1's level
    assert (found["lower"] < found["prediction"]).all() and said[-1] == "chunk 2/2: 12 rows"
    latest = forecast_all(BatchRequest(model="lightgbm", output=str(tmp_path / "g.parquet"), confidence=None))
    plain = pd.read_parquet(tmp_path / "g.parquet")
    assert latest.version.version == 2 and latest.horizon == 52 and plain["lower"].isna().all()


def test_every_series_of_a_table_from_its_own_last_date(forecast_all, tmp_path):
    table = tmp_path / "recent.csv"
    weeks = pd.date_range("2012-09-07", periods=6, freq="W-FRI")
    rows = [("A", d, 10.0 + k) for k, d in enumerate(weeks)] + [("B", d, 5.0) for d in weeks[:3]]
    pd.DataFrame(rows, columns=["item", "week", "sales"]).assign(week=lambda f: f.week.dt.date).to_csv(table,
                                                                                                        index=False)
    report = forecast_all(BatchRequest(model="lightgbm@champion", output=str(tmp_path / "f.parquet"), horizon=2,
                                       history=histories(table), chunk=1))
    found = pd.read_parquet(tmp_path / "f.parquet")
    assert (report.series, report.rows) == (2, 4)
    origins = found.groupby("series_id")["origin"].first().astype(str).to_dict()
    assert origins == {"A": "2012-10-12", "B": "2012-09-21"}  # each from its own last week
    assert found[found.series_id == "A"]["prediction"].tolist() == [15.0, 15.0]  # the fake: the last value
    assert found.set_index("series_id")["baseline"].to_dict() == {"A": False, "B": True}  # B: under 4 weeks


def test_a_table_with_a_gap_names_the_series_and_writes_nothing(forecast_all, tmp_path):
    table = tmp_path / "recent.csv"
    pd.DataFrame({"series": ["A", "A"], "date": ["2012-09-07", "2012-09-21"], "value": [1.0, 2.0]}).to_csv(
        table, index=False)
    with pytest.raises(InvalidValueError, match="series A has a gap"):
        forecast_all(BatchRequest(model="lightgbm", output=str(tmp_path / "f.parquet"), history=histories(table)))
    assert not (tmp_path / "f.parquet").exists()


def test_bad_requests_and_unknown_models(forecast_all, tmp_path):
    with pytest.raises(UnknownModelError):
        forecast_all(BatchRequest(model="prophet", output=str(tmp_path / "f.parquet")))
    with pytest.raises(InvalidValueError):
        BatchRequest(model="lightgbm", output="f.parquet", chunk=0)
    with pytest.raises(UnknownModelError):
        forecast_all(BatchRequest(model="lightgbm@gold", output=str(tmp_path / "f.parquet")))
    with pytest.raises(InvalidValueError):
        BatchRequest(model="@champion", output="f.parquet")
    with pytest.raises(InvalidValueError, match="1..52"):
        forecast_all(BatchRequest(model="lightgbm", output=str(tmp_path / "f.parquet"), horizon=52 + 1))
    assert not (tmp_path / "f.parquet").exists()


def test_a_failed_write_leaves_the_file_that_was_there(tmp_path):
    path = tmp_path / "f.parquet"
    path.write_bytes(b"the previous file")
    with pytest.raises(RuntimeError), ParquetForecastWriter().open(str(path), ModelVersion(name="m", version=1)):
        raise RuntimeError("interrupted")
    assert path.read_bytes() == b"the previous file" and [p.name for p in tmp_path.iterdir()] == ["f.parquet"]
