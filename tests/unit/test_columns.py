"""Which columns of a user's table are the series id, the time and the target."""

from __future__ import annotations

import pytest

from domain.columns import ISO, WALMART_DATE_FORMAT, ColumnSpec, choose_columns
from domain.errors import DataError


@pytest.mark.parametrize("header, taken, date_format", [
    (["Store", "Date", "Weekly_Sales", "Holiday_Flag"], ("Store", "Date", "Weekly_Sales"), WALMART_DATE_FORMAT),
    (["unique_id", "ds", "y"], ("unique_id", "ds", "y"), ISO),
    (["store", "date", "sales"], ("store", "date", "sales"), ISO),
    (["ITEM", "Week", "Demand", "price"], ("ITEM", "Week", "Demand"), ISO),
    (["series", "timestamp", "quantity"], ("series", "timestamp", "quantity"), ISO),
    (["id", "date", "value"], ("id", "date", "value"), ISO),
])
def test_columns_are_recognised_by_name_in_any_case(header, taken, date_format):
    choice = choose_columns(header)
    assert (choice.id, choice.time, choice.target) == taken
    assert choice.date_format == date_format and choice.named == ()


def test_named_columns_win_and_the_rest_are_still_recognised():
    choice = choose_columns(["shop", "date", "sales", "units"], ColumnSpec(id="shop", target="units"))
    assert (choice.id, choice.time, choice.target, choice.named) == ("shop", "date", "units", ("id", "target"))
    assert "id 'shop' (named)" in choice.describe() and "time 'date'," in choice.describe()


def test_the_walmart_columns_read_dd_mm_yyyy_dates_unless_a_format_is_named():
    walmart = ["Store", "Date", "Weekly_Sales"]
    assert choose_columns(walmart, ColumnSpec(id="Store")).date_format == WALMART_DATE_FORMAT
    assert choose_columns(walmart, ColumnSpec(date_format="%m/%d/%Y")).date_format == "%m/%d/%Y"


@pytest.mark.parametrize("header, spec, message", [
    (["shop", "date", "sales"], ColumnSpec(), "no id column among shop, date, sales: name it with --id-col"),
    (["store", "item", "date", "sales"], ColumnSpec(),
     "more than one id column (store, item): choose one with --id-col"),
    (["store", "date", "sales"], ColumnSpec(target="revenue"), "--target-col 'revenue' is not a column of the table"),
])
def test_a_missing_or_ambiguous_role_names_the_header_and_the_flag(header, spec, message):
    with pytest.raises(DataError) as raised:
        choose_columns(header, spec)
    assert message in str(raised.value)
