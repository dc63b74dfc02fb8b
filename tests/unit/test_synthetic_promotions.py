"""The synthetic promotions panel: deterministic, with irregular promotions that cut the price and lift sales."""

import pandas as pd
from pandas.api.types import is_float_dtype, is_integer_dtype, is_string_dtype

from adapters.forecasting.synthetic import synthetic_panel, synthetic_promotions


def test_the_same_seed_gives_the_same_panel_and_another_seed_another():
    assert synthetic_promotions().equals(synthetic_promotions())
    assert not synthetic_promotions().equals(synthetic_promotions(seed=1))


def test_columns_and_types():
    frame = synthetic_promotions(series=4, weeks=30)
    assert list(frame.columns) == ["unique_id", "ds", "y", "promo", "price", "store_size"]
    assert is_string_dtype(frame["unique_id"]) and is_string_dtype(frame["ds"])
    assert is_float_dtype(frame["y"]) and is_float_dtype(frame["price"]) and is_integer_dtype(frame["promo"])
    assert is_string_dtype(frame["store_size"])
    assert set(frame["promo"]) <= {0, 1}
    assert frame["unique_id"].iloc[0] == "P_1" and synthetic_promotions()["unique_id"].iloc[0] == "P_01"
    assert len(frame) == 4 * 30


def test_weekly_fridays_from_the_seventh_of_january_2011():
    frame = synthetic_promotions(series=2, weeks=10)
    dates = pd.to_datetime(frame.loc[frame["unique_id"] == "P_1", "ds"])
    assert dates.iloc[0] == pd.Timestamp("2011-01-07")
    assert (dates.dt.day_name() == "Friday").all() and (dates.diff().dropna() == pd.Timedelta(days=7)).all()


def test_store_size_is_static_and_every_size_present():
    frame = synthetic_promotions()
    assert (frame.groupby("unique_id")["store_size"].nunique() == 1).all()
    assert set(frame["store_size"]) == {"small", "medium", "large"}


def test_large_stores_sell_about_three_times_small_ones():
    frame = synthetic_promotions()
    regular = frame[frame["promo"] == 0].groupby("store_size")["y"].mean()
    assert 2.4 < regular["large"] / regular["small"] < 3.6


def test_about_one_week_in_seven_is_promoted_in_runs_of_one_or_two():
    frame = synthetic_promotions()
    assert 0.10 < frame["promo"].mean() < 0.20
    for _, promo in frame.groupby("unique_id")["promo"]:
        run_lengths = promo.groupby((promo != promo.shift()).cumsum()).sum()
        assert run_lengths.max() <= 2


def test_promoted_weeks_sell_clearly_more():
    frame = synthetic_promotions()
    for _, series in frame.groupby("unique_id"):
        uplift = series.loc[series["promo"] == 1, "y"].mean() / series.loc[series["promo"] == 0, "y"].mean()
        assert uplift > 1.3


def test_the_price_is_lower_on_promoted_weeks():
    frame = synthetic_promotions()
    for _, series in frame.groupby("unique_id"):
        regular = series.loc[series["promo"] == 0, "price"]
        assert series.loc[series["promo"] == 1, "price"].max() < regular.mean()


def test_synthetic_panel_makes_the_promotions_kind():
    frame = synthetic_panel("promotions", 3)
    assert frame["unique_id"].nunique() == 3 and len(frame) == 3 * 156
    assert len(synthetic_panel("promotions", 3, 20)) == 3 * 20
