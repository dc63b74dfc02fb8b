"""Covariates: how they are declared, read from a table, turned into features and checked in a request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adapters.forecasting.covariates import CovariateGrid, CovariateLayout
from adapters.forecasting.features import FEATURES, origin_rows
from adapters.forecasting.seasonality import Seasonality
from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.table import read_history, read_table
from domain.columns import ColumnSpec
from domain.covariates import Covariate, Covariates, describe, parse_columns, parse_described
from domain.errors import DataError, InvalidValueError
from domain.frequency import frequency


def _table(rows: pd.DataFrame, **kinds: tuple[str, ...]):
    return read_table(rows, source="t", name="t", content=rows.to_csv().encode(),
                      columns=ColumnSpec(covariates=Covariates(**kinds)))


def _panel(weeks: int = 120, ahead: int = 4) -> pd.DataFrame:
    """Two weekly series with a promo (future), an index (past) and a size (static); the last `ahead`
    weeks are rows of future values (no sales)."""
    days = pd.date_range("2020-01-03", periods=weeks + ahead, freq="7D")
    frames = []
    for k, size in enumerate(("small", "large")):
        promo = (np.arange(weeks + ahead) % 5 == k).astype(int)
        sales = 100.0 * (k + 1) * (1 + promo)
        frames.append(pd.DataFrame({"series_id": f"S{k}", "date": days.strftime("%Y-%m-%d"),
                                    "value": np.where(np.arange(weeks + ahead) < weeks, sales, np.nan),
                                    "promo": promo, "index": np.arange(weeks + ahead, dtype=float), "size": size}))
    return pd.concat(frames, ignore_index=True)


def test_a_column_has_one_kind_and_lists_are_comma_separated():
    with pytest.raises(InvalidValueError, match="named by --future-cols and --past-cols"):
        Covariates(future=("a",), past=("a",))
    assert parse_columns(" a, b,a ") == ("a", "b")
    with pytest.raises(InvalidValueError):
        parse_columns(" , ")
    listed = (Covariate(name="promo", kind="future", type="number"), Covariate(name="size", kind="static", type="text"))
    assert parse_described(describe(listed)) == listed


def test_rows_after_a_series_last_value_carry_the_future():
    table = _table(_panel(), future=("promo",), past=("index",), static=("size",))
    assert table.info.periods == 120 and str(table.info.last_period) == "2022-04-15"
    assert table.layout.future == ("promo",) and table.layout.categories == {"size": ("large", "small")}
    grid = table.covariates
    assert grid.future.shape[0] == 120 + frequency("weekly").max_horizon
    np.testing.assert_array_equal(grid.future[120:124, 0, 0], (np.arange(120, 124) % 5 == 0).astype(float))
    assert np.isnan(grid.future[124:, :, 0]).all()  # nobody said what comes after the rows of future values
    assert grid.past.shape[0] == 120  # past values stop at the last period: none read from a future row
    np.testing.assert_array_equal(grid.static[:, 0], [1.0, 0.0])  # S0 small, S1 large, coded by category


@pytest.mark.parametrize(("change", "kinds", "message"), [
    (lambda f: f.assign(value=f["value"].where(f.index != 3)), {"future": ("promo",)}, "line 5: value empty"),
    (lambda f: f, {}, "value empty is not a number"),
    (lambda f: f.assign(value=np.where(f["series_id"] == "S1", np.nan, f["value"])), {"future": ("promo",)},
     "line 126: value empty is not a number"),
    (lambda f: f.dropna(subset=["value"]).assign(size=np.where(f.index == 7, "tiny", f["size"])[f["value"].notna()]),
     {"static": ("size",)},
     "--static-cols 'size' takes more than one value in series S0"),
    (lambda f: f.assign(promo=f["promo"].astype(object).where(f.index != 2, "yes")), {"future": ("promo",)},
     "line 4: promo 'yes' is not a finite number"),
    (lambda f: f, {"future": ("discount",)}, "--future-cols 'discount' is not a column"),
    (lambda f: f, {"future": ("value",)}, "'value' is the table's target column, not a covariate"),
])
def test_a_table_that_breaks_a_covariate_rule_is_refused_by_name(change, kinds, message):
    with pytest.raises(DataError, match=message):
        _table(change(_panel()), **kinds)


def test_future_rows_reach_no_further_than_the_longest_horizon():
    with pytest.raises(DataError, match="more than the longest horizon"):
        _table(_panel(weeks=100, ahead=60), future=("promo",))


def test_walmart_holiday_flag_is_the_calendar_the_version_computes():
    table = _table(synthetic_walmart(stores=3), future=("Holiday_Flag", "Temperature"))
    assert (table.layout.calendar, table.layout.future) == (("Holiday_Flag",), ("Temperature",))
    flags = table.covariates.future[:, 0, 1]  # the calendar's column comes after the sent ones
    assert np.isfinite(flags).all() and flags.sum() >= 4 * 2  # known for the forecast periods too


def test_a_feature_row_never_reads_a_past_value_after_its_origin():
    weekly = Seasonality(frequency("weekly"))
    sales = np.full((120, 2), 100.0)
    layout = CovariateLayout(future=("promo",), past=("index",), static=("size",))
    grid = CovariateGrid(np.random.default_rng(1).random((132, 2, 1)), np.random.default_rng(2).random((120, 2, 1)),
                         np.array([[1.0], [0.0]]))
    origin, year_ago = 80, weekly.year_ago(pd.Timestamp("2020-01-03").date())
    before = origin_rows(sales, origin, 12, year_ago, weekly, grid.upto(origin, 12))
    later = grid.past.copy()
    later[origin + 1:] = 99.0
    after = origin_rows(sales, origin, 12, year_ago, weekly, CovariateGrid(grid.future, later, grid.static))
    np.testing.assert_array_equal(before.X, after.X)
    assert before.X.shape[1] == len(FEATURES) + len(layout.feature_names())
    moved = grid.future.copy()
    moved[origin + 3] += 1.0  # a future value of the third step: its rows change, no other
    changed = origin_rows(sales, origin, 12, year_ago, weekly, CovariateGrid(moved, grid.past, grid.static))
    differs = ~((changed.X == before.X) | (np.isnan(changed.X) & np.isnan(before.X))).all(axis=1)
    assert set(changed.target[differs]) == {origin + 3}


def test_a_table_to_forecast_keeps_every_other_column_and_its_rows_of_future_values():
    found = read_history(_panel(), source="t")
    assert set(found.columns()) == {"promo", "index", "size"}
    assert np.isnan(found.values).sum() == 8 and len(found.select(["S1"]).columns()["promo"]) == 124


def test_a_row_without_a_value_inside_a_history_is_a_missing_value_not_the_future():
    from adapters.forecasting.requested import CovariateError, RequestRows

    days = np.array(["2020-01-03", "2020-01-10", "2020-01-17", "2020-01-24"], dtype="datetime64[D]")
    rows = RequestRows(np.array(["S"] * 4, dtype=object), days, np.array([0, 1, 2, 3]),
                       np.array([False, True, False, True]), {"promo": np.array([0, 1, 0, 1], dtype=object)})
    with pytest.raises(CovariateError, match="series S, 2020-01-10: the value is missing"):
        rows.check_future({"S": (0, 2)}, 4, str)
    late = RequestRows(rows.series, days, rows.number, np.array([False, False, False, True]), rows.columns)
    with pytest.raises(CovariateError, match="future values for series S on 2020-01-24, outside"):
        late.check_future({"S": (0, 1)}, 1, str)
