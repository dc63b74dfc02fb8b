"""Uploaded actual-vs-predicted tables: column guessing and scoring (pure domain)."""

from __future__ import annotations

import math

import pytest

from domain.errors import DataError
from domain.predictions import PredictionTable, guess_columns, score


def table(**columns) -> PredictionTable:
    numeric = tuple(name for name, values in columns.items() if all(v is None or isinstance(v, float) for v in values))
    return PredictionTable(name="upload.csv", columns={k: tuple(v) for k, v in columns.items()}, numeric=numeric)


def test_columns_are_guessed_by_name_exact_names_first():
    guess = guess_columns(table(Date=["2012-01-06", "2012-01-13"], predicted_sales=[1.0, 2.0], Weekly_Sales=[1.5, 2.5]))
    assert (guess.date, guess.actual, guess.predicted) == ("Date", "Weekly_Sales", "predicted_sales")
    guess = guess_columns(table(ds=["a", "b"], yhat=[1.0, 2.0], y=[1.0, 2.0]))
    assert (guess.date, guess.actual, guess.predicted) == ("ds", "y", "yhat")


def test_unnamed_numeric_columns_fall_back_to_order_and_text_is_never_a_value():
    guess = guess_columns(table(when=["x", "y"], first=[1.0, 2.0], second=[3.0, 4.0], note=["a", "b"]))
    assert (guess.date, guess.actual, guess.predicted) == (None, "first", "second")


def test_a_table_without_two_numeric_columns_is_refused():
    with pytest.raises(DataError, match="has no numeric column among a, b; it needs one of actual values"):
        table(a=["x"], b=["y"])
    with pytest.raises(DataError, match=r"has only one numeric column \(store\) among store, city"):
        table(store=[1.0], city=["Austin"])


def test_score_is_mape_rmse_mae_on_the_given_columns():
    result = score(
        table(actual=[100.0, 200.0, 400.0, 50.0], predicted=[110.0, 190.0, 400.0, 40.0]), "actual", "predicted"
    )
    assert result.count == 4
    assert result.mape == pytest.approx(8.75)
    assert result.rmse == pytest.approx(math.sqrt(75))
    assert result.mae == pytest.approx(7.5)
    assert result.notes == ()


def test_zero_actuals_make_mape_undefined_and_name_the_rows():
    result = score(table(actual=[0.0, 10.0, 0.0], predicted=[1.0, 9.0, 1.0]), "actual", "predicted")
    assert result.mape is None and result.mae == pytest.approx(1.0)
    assert result.notes == ("MAPE is undefined: the actual is 0 in row(s) 2, 4",)


def test_missing_values_on_one_side_are_mismatched_lengths():
    with pytest.raises(
        DataError, match=r"mismatched lengths: 'actual' has 3 values, 'predicted' 2 \(no prediction in row\(s\) 3\)"
    ):
        score(table(actual=[1.0, 2.0, 3.0], predicted=[1.0, None, 3.0]), "actual", "predicted")


@pytest.mark.parametrize(("actual", "predicted", "message"), [
    ("actual", "actual", "the same column"),
    ("actual", "label", "not numeric"),
    ("nope", "predicted", "no column 'nope'"),
])
def test_columns_that_cannot_be_compared(actual, predicted, message):
    with pytest.raises(DataError, match=message):
        score(table(actual=[1.0], predicted=[1.0], label=["x"]), actual, predicted)


def test_infinite_values_are_named_not_scored():
    """An inf actual used to show "MAPE nan %, RMSE inf" with no warning."""
    with pytest.raises(DataError, match=r"the actual column 'actual' is infinite in row\(s\) 3: no error can be"):
        score(table(actual=[1.0, math.inf, 3.0], predicted=[1.0, 2.0, 3.0]), "actual", "predicted")
    with pytest.raises(DataError, match=r"the predicted column 'p' is infinite in row\(s\) 2, 4"):
        score(table(actual=[1.0, 2.0, 3.0], p=[-math.inf, 2.0, math.inf]), "actual", "p")
