import pandas as pd
import pytest

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.synthetic import synthetic_walmart
from domain.columns import ColumnSpec
from domain.errors import DataError

SOURCE = CsvSalesSource()


def write(tmp_path, frame: pd.DataFrame, name="sales.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture
def small():
    return synthetic_walmart(stores=3, weeks=10)


def test_real_table_loads_with_identity(walmart_csv):
    table = SOURCE.load(str(walmart_csv))
    info = table.info
    assert (info.name, info.stores, info.weeks) == ("walmart", 45, 143)
    assert (str(info.first_week), str(info.last_week)) == ("2010-02-05", "2012-10-26")
    assert len(info.sha256) == 64 and table.frame["Weekly_Sales"].dtype == float


def test_synthetic_default_has_the_walmart_shape_and_is_deterministic():
    first, second = SOURCE.load(None), SOURCE.load(None)
    assert first.info.sha256 == second.info.sha256
    assert (first.info.name, first.info.stores, first.info.weeks, str(first.info.first_week)) == (
        "synthetic_walmart",
        45,
        143,
        "2010-02-05",
    )
    assert list(synthetic_walmart().columns) == [
        "Store",
        "Date",
        "Weekly_Sales",
        "Holiday_Flag",
        "Temperature",
        "Fuel_Price",
        "CPI",
        "Unemployment",
    ]


def test_missing_columns_are_named(tmp_path, small):
    path = write(tmp_path, small.drop(columns=["Weekly_Sales", "Date"]))
    with pytest.raises(DataError, match="no time column among Store, Holiday_Flag.*: name it with --time-col"):
        SOURCE.load(path)


def _walmart_as(walmart_csv, names: dict[str, str]) -> pd.DataFrame:
    """The real Walmart table with other column names and ISO dates."""
    raw = pd.read_csv(walmart_csv)
    dates = pd.to_datetime(raw["Date"], format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    return pd.DataFrame({names["id"]: raw["Store"], names["time"]: dates, names["target"]: raw["Weekly_Sales"]})


@pytest.mark.parametrize("names", [{"id": "store", "time": "date", "target": "sales"},
                                   {"id": "unique_id", "time": "ds", "target": "y"}])
def test_the_walmart_data_under_other_names_reads_as_the_original(tmp_path, walmart_csv, names):
    original = SOURCE.load(str(walmart_csv))
    expected = original.frame[["Store", "Date", "Weekly_Sales"]]
    frame = _walmart_as(walmart_csv, names)
    as_csv = SOURCE.load(write(tmp_path, frame))
    frame[names["time"]] = pd.to_datetime(frame[names["time"]])  # Parquet keeps dates typed
    frame.to_parquet(tmp_path / "sales.parquet", index=False)
    as_parquet = SOURCE.load(str(tmp_path / "sales.parquet"))
    for table in (as_csv, as_parquet):
        pd.testing.assert_frame_equal(table.frame, expected)
        assert (table.info.stores, table.info.weeks, table.info.first_week) == (
            original.info.stores, original.info.weeks, original.info.first_week)
        assert f"id {names['id']!r}, time {names['time']!r}, target {names['target']!r}" in table.info.columns


def test_named_columns_and_a_date_format(tmp_path, small):
    frame = pd.DataFrame({"shop": small["Store"], "day": pd.to_datetime(small["Date"], format="%d-%m-%Y")
                          .dt.strftime("%m/%d/%Y"), "units": small["Weekly_Sales"], "sales": 1.0})
    table = SOURCE.load(write(tmp_path, frame), columns=ColumnSpec(id="shop", time="day", target="units",
                                                                    date_format="%m/%d/%Y"))
    assert table.frame["Weekly_Sales"].tolist() == small["Weekly_Sales"].tolist()
    with pytest.raises(DataError, match="line 2: day '.*' is not an ISO 8601 date .*--date-format"):
        SOURCE.load(write(tmp_path, frame), columns=ColumnSpec(id="shop", time="day", target="units"))


def test_a_file_named_parquet_that_is_not_is_one_clear_error(tmp_path):
    (tmp_path / "sales.parquet").write_text("store,date,sales\n1,2012-01-06,3\n")
    with pytest.raises(DataError, match="cannot read .*sales.parquet as a Parquet table"):
        SOURCE.load(str(tmp_path / "sales.parquet"))


def test_unparseable_date_names_the_line(tmp_path, small):
    small.loc[4, "Date"] = "31-31-2010"
    with pytest.raises(DataError, match="line 6: Date '31-31-2010' is not a dd-mm-yyyy date"):
        SOURCE.load(write(tmp_path, small))


def test_non_numeric_and_empty_sales(tmp_path, small):
    small["Weekly_Sales"] = small["Weekly_Sales"].astype(object)
    small.loc[2, "Weekly_Sales"] = "n/a"
    with pytest.raises(DataError, match="line 4: Weekly_Sales 'n/a' is not a number"):
        SOURCE.load(write(tmp_path, small))
    small.loc[2, "Weekly_Sales"] = ""
    with pytest.raises(DataError, match="line 4: Weekly_Sales empty is not a number"):
        SOURCE.load(write(tmp_path, small))


@pytest.mark.parametrize("value", ["inf", "-inf"])
def test_infinite_sales_are_refused(tmp_path, small, value):
    """An inf used to train and register a version (exit 0, a RuntimeWarning)."""
    small["Weekly_Sales"] = small["Weekly_Sales"].astype(object)
    small.loc[2, "Weekly_Sales"] = value
    with pytest.raises(DataError, match=f"line 4: Weekly_Sales '{value}' is not a positive finite number"):
        SOURCE.load(write(tmp_path, small))


@pytest.mark.parametrize("store", [0, -3, 10**15])
def test_store_ids_the_api_cannot_serve_are_refused(tmp_path, small, store):
    """Negative ids and 10^15 used to train versions that could never be served."""
    small.loc[small["Store"] == 1, "Store"] = store
    with pytest.raises(DataError, match=f"Store '{store}' is not in 1..1,000,000 \\(the ids the API serves\\)"):
        SOURCE.load(write(tmp_path, small))


def test_duplicate_store_week(tmp_path, small):
    frame = pd.concat([small, small.iloc[[3]]], ignore_index=True)
    with pytest.raises(DataError, match="store 1 has more than one row for week 26-02-2010 \\(lines 5, 32\\)"):
        SOURCE.load(write(tmp_path, frame))


def test_gap_in_a_store(tmp_path, small):
    frame = small.drop(index=[13, 14]).reset_index(drop=True)  # store 2, its 4th and 5th weeks
    with pytest.raises(DataError, match="store 2 has a gap: no row for 2 week\\(s\\) \\(26-02-2010, 05-03-2010\\)"):
        SOURCE.load(write(tmp_path, frame))


def test_missing_empty_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="data file not found"):
        SOURCE.load(str(tmp_path / "nope.csv"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="cannot read .*empty.csv as a CSV table"):
        SOURCE.load(str(tmp_path / "empty.csv"))
    (tmp_path / "header.csv").write_text("Store,Date,Weekly_Sales\n")
    with pytest.raises(DataError, match="has a header but no rows"):
        SOURCE.load(str(tmp_path / "header.csv"))
    (tmp_path / "blob.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError):
        SOURCE.load(str(tmp_path / "blob.csv"))
