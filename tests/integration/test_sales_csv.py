import numpy as np
import pandas as pd
import pytest

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.synthetic import synthetic_walmart
from domain.columns import ColumnSpec, PanelSpec
from domain.errors import DataError, InvalidValueError

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
    assert (info.name, info.series, info.periods, info.frequency.code, info.holidays) == (
        "walmart", 45, 143, "W-FRI", "walmart")
    assert (str(info.first_period), str(info.last_period)) == ("2010-02-05", "2012-10-26")
    assert len(info.sha256) == 64 and table.frame["value"].dtype == float
    assert list(table.panel.series[:3]) == ["1", "2", "3"] and table.panel.sales.shape == (143, 45)


def test_synthetic_default_has_the_walmart_shape_and_is_deterministic():
    first, second = SOURCE.load(None), SOURCE.load(None)
    assert first.info.sha256 == second.info.sha256
    assert (first.info.name, first.info.series, first.info.periods, str(first.info.first_period)) == (
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
    expected = original.frame[["series_id", "date", "value"]]
    frame = _walmart_as(walmart_csv, names)
    as_csv = SOURCE.load(write(tmp_path, frame))
    frame[names["time"]] = pd.to_datetime(frame[names["time"]])  # Parquet keeps dates typed
    frame.to_parquet(tmp_path / "sales.parquet", index=False)  # and ids as numbers
    as_parquet = SOURCE.load(str(tmp_path / "sales.parquet"))
    for table in (as_csv, as_parquet):
        pd.testing.assert_frame_equal(table.frame, expected)
        np.testing.assert_array_equal(table.panel.sales, original.panel.sales)
        assert list(table.panel.series) == list(original.panel.series)
        assert (table.info.series, table.info.periods, table.info.first_period) == (
            original.info.series, original.info.periods, original.info.first_period)
        assert f"id {names['id']!r}, time {names['time']!r}, target {names['target']!r}" in table.info.columns


def test_named_columns_and_a_date_format(tmp_path, small):
    frame = pd.DataFrame({"shop": small["Store"], "day": pd.to_datetime(small["Date"], format="%d-%m-%Y")
                          .dt.strftime("%m/%d/%Y"), "units": small["Weekly_Sales"], "sales": 1.0})
    table = SOURCE.load(write(tmp_path, frame), columns=ColumnSpec(id="shop", time="day", target="units",
                                                                    date_format="%m/%d/%Y"))
    assert table.frame["value"].tolist() == small["Weekly_Sales"].tolist()
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


@pytest.mark.parametrize("value", ["inf", "-inf", "-3"])
def test_infinite_and_negative_values_are_refused(tmp_path, small, value):
    """An inf used to train and register a version (exit 0, a RuntimeWarning)."""
    small["Weekly_Sales"] = small["Weekly_Sales"].astype(object)
    small.loc[2, "Weekly_Sales"] = value
    with pytest.raises(DataError, match=f"line 4: Weekly_Sales '{value}' is not a finite number >= 0"):
        SOURCE.load(write(tmp_path, small))


def test_duplicate_series_period(tmp_path, small):
    frame = pd.concat([small, small.iloc[[3]]], ignore_index=True)
    with pytest.raises(DataError, match="series 1 has more than one row for 2010-02-26 \\(lines 5, 32\\)"):
        SOURCE.load(write(tmp_path, frame))


def test_a_gap_inside_a_series_is_named_unless_a_fill_is_given(tmp_path, small):
    frame = small.drop(index=[13, 14]).reset_index(drop=True)  # series 2, its 4th and 5th weeks
    path = write(tmp_path, frame)
    with pytest.raises(DataError, match="series 2 has a gap: no row for 2 week\\(s\\) \\(2010-02-26, 2010-03-05\\) "
                                        "between its first date 2010-02-05 and 2010-04-09; say what fills them "
                                        "with --fill zero or --fill interpolate"):
        SOURCE.load(path)
    zero = SOURCE.load(path, panel=PanelSpec(fill="zero"))
    assert zero.panel.sales[3:5, 1].tolist() == [0.0, 0.0]
    assert zero.info.filled == "filled 2 missing week(s) in 1 series with zeros"
    line = SOURCE.load(path, panel=PanelSpec(fill="interpolate")).panel.sales[2:6, 1]
    np.testing.assert_allclose(line[1:3], line[0] + (line[3] - line[0]) * np.array([1, 2]) / 3)


def test_ragged_series_with_text_ids(tmp_path):
    """Series start on different dates; ids are text such as CA_1_FOODS_3."""
    dates = pd.date_range("2020-01-06", periods=30, freq="7D")
    frame = pd.concat([pd.DataFrame({"item": "CA_1_FOODS_3", "week": dates, "demand": 5.0}),
                       pd.DataFrame({"item": "TX_2_HOBBIES_1", "week": dates[10:], "demand": 0.0})])
    table = SOURCE.load(write(tmp_path, frame))
    assert list(table.panel.series) == ["CA_1_FOODS_3", "TX_2_HOBBIES_1"]
    assert table.info.frequency.code == "W-MON" and table.info.holidays == "walmart"
    assert np.isnan(table.panel.sales[:10, 1]).all() and (table.panel.sales[10:, 1] == 0).all()
    ended = frame[~((frame["item"] == "TX_2_HOBBIES_1") & (frame["week"] == dates[-1]))]
    with pytest.raises(DataError, match=f"series TX_2_HOBBIES_1 ends on {dates[-2].date()}, before the panel's "
                                        f"last date {dates[-1].date()}"):
        SOURCE.load(write(tmp_path, ended))


def test_digits_of_other_scripts_are_text_ids(tmp_path):
    dates = pd.date_range("2020-01-06", periods=3, freq="7D")
    frame = pd.concat([pd.DataFrame({"item": item, "week": dates, "demand": 5.0}) for item in ("٣", "²", "3", "12")])
    table = SOURCE.load(write(tmp_path, frame))
    assert list(table.panel.series) == ["3", "12", "²", "٣"]  # numbers by value, then text; ٣ is not 3


def test_daily_and_monthly_panels_and_their_calendars(tmp_path):
    daily = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=40).strftime("%Y-%m-%d"),
                          "y": 1.0})
    table = SOURCE.load(write(tmp_path, daily), panel=PanelSpec(holidays="US"))
    assert (table.info.frequency.code, table.info.holidays, table.info.periods) == ("D", "US", 40)
    assert any(event.name == "Independence Day" for event in table.calendar.events)
    monthly = daily.assign(ds=pd.date_range("2020-01-31", periods=40, freq="ME").strftime("%Y-%m-%d"))
    assert SOURCE.load(write(tmp_path, monthly)).info.frequency.code == "ME"
    with pytest.raises(InvalidValueError, match="unknown holiday calendar 'XX'"):
        SOURCE.load(write(tmp_path, daily), panel=PanelSpec(holidays="XX"))
    with pytest.raises(DataError, match="does not fit a weekly panel"):
        SOURCE.load(write(tmp_path, daily), panel=PanelSpec(frequency="weekly"))


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
