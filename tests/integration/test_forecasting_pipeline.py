"""The feature pipeline never looks past its origin; intervals behave as intervals."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from adapters.forecasting.calendars import WALMART, holiday_calendar
from adapters.forecasting.calibration import Calibration
from adapters.forecasting.features import FEATURES, origin_rows, training_design
from adapters.forecasting.fitted import FittedSeries
from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.forecasting.seasonality import Seasonality, YearAgo
from adapters.forecasting.statistical import SeasonalNaive, with_baseline
from domain.frequency import WEEKLY_FRIDAY, frequency

RNG = np.random.default_rng(0)
SALES = RNG.uniform(50, 150, size=(120, 3))
WEEKS = np.arange(np.datetime64("2010-02-05"), np.datetime64("2010-02-05") + 7 * 120, 7).astype("datetime64[D]")
WEEKLY = Seasonality(WEEKLY_FRIDAY)


def year_ago() -> YearAgo:
    return YearAgo(WEEKS[0].item(), WEEKLY)


@pytest.mark.parametrize("origin", [12, 60, 100])
def test_features_do_not_change_when_the_future_does(origin):
    before = origin_rows(SALES, origin, 19, year_ago(), WEEKLY)
    changed = SALES.copy()
    changed[origin + 1 :] *= 10
    after = origin_rows(changed, origin, 19, year_ago(), WEEKLY)
    np.testing.assert_array_equal(before.X, after.X)
    np.testing.assert_array_equal(before.base, after.base)


def test_training_design_rows_point_forward_stay_in_the_data_and_have_a_base():
    design = training_design(SALES, year_ago(), WEEKLY, 52)
    steps = design.target - design.origin
    assert steps.min() == 1 and steps.max() == 52
    assert design.target.max() == len(SALES) - 1
    assert design.target.min() >= 52  # the first season has no year-ago value to correct
    assert np.isfinite(design.base).all()
    np.testing.assert_array_equal(design.X[:, FEATURES.index("step")], steps)


def test_a_design_past_its_budget_is_a_seeded_sample_of_the_whole():
    whole = training_design(SALES, year_ago(), WEEKLY, 52)
    sample = training_design(SALES, year_ago(), WEEKLY, 52, budget=len(whole.base) // 4)
    again = training_design(SALES, year_ago(), WEEKLY, 52, budget=len(whole.base) // 4)
    np.testing.assert_array_equal(sample.X, again.X)
    assert len(whole.base) / 20 < len(sample.base) < len(whole.base) / 3
    rows = {tuple(r) for r in np.column_stack([whole.origin, whole.target, whole.series])}
    assert {tuple(r) for r in np.column_stack([sample.origin, sample.target, sample.series])} <= rows


def test_a_series_that_starts_late_has_rows_only_once_it_has_a_year_behind_them():
    sales = SALES.copy()
    sales[:40, 2] = np.nan  # the third series starts 40 weeks in
    design = training_design(sales, year_ago(), WEEKLY, 52)
    late = design.series == 2
    assert design.target[late].min() >= 40 + 52 and np.isfinite(design.base).all()


def test_weeks_near_thanksgiving_and_christmas_compare_with_the_same_days_a_year_before():
    aligned = year_ago()
    thanksgiving_2011 = int((np.datetime64("2011-11-25") - WEEKS[0]).astype(int)) // 7  # the week holding it
    assert aligned.weights(thanksgiving_2011) == pytest.approx(
        {52: 1.0}
    )  # 2010-11-26 is 52 weeks back and holds Thanksgiving
    christmas_week_2011 = int((np.datetime64("2011-12-23") - WEEKS[0]).astype(int)) // 7
    weights = aligned.weights(christmas_week_2011)  # 2011-12-17..23 against 2010-12-17..23: one day moved
    assert weights == pytest.approx({52: 6 / 7, 53: 1 / 7})  # 2010-12-17 lies in the week 53 back
    plain = int((np.datetime64("2011-06-03") - WEEKS[0]).astype(int)) // 7
    assert aligned.weights(plain) == pytest.approx({52: 1.0})
    assert WALMART.event_day(date(2012, 11, 22)) == date(2011, 11, 24)  # Thanksgiving to Thanksgiving
    assert WALMART.event_day(date(2012, 6, 1)) is None  # no event: the plain lag


def test_a_country_calendar_aligns_its_own_holidays_and_a_monthly_panel_its_months():
    german = holiday_calendar("DE", range(2010, 2013))
    assert german.event_day(date(2012, 4, 9)) == date(2011, 4, 25)  # Easter Monday to Easter Monday
    assert german.event_day(date(2012, 12, 26)) == date(2011, 12, 26)
    monthly = YearAgo(date(2010, 1, 1), Seasonality(frequency("monthly", "start"), german))
    easter_2012 = 27  # April 2012: Easter falls in April as in 2011, the plain twelve months back
    assert monthly.weights(easter_2012)[12] == pytest.approx(1.0)
    march_2013 = 38  # Easter 2013 is in March, 2012's in April: the Easter days of March 2013 look at April 2012
    assert set(monthly.weights(march_2013)) == {12, 11}


def test_seasonal_naive_repeats_the_week_a_year_ago():
    predicted = SeasonalNaive(52).forecast(SALES[:81], 12)
    np.testing.assert_allclose(predicted, SALES[81 - 52 : 93 - 52])
    daily = SeasonalNaive(7).forecast(SALES[:30], 28)  # beyond one season: the same weekday of the last week
    np.testing.assert_allclose(daily, np.tile(SALES[23:30], (4, 1)))


def test_what_a_member_cannot_forecast_the_baseline_does():
    history = SALES[:60].copy()
    history[:50, 1] = np.nan  # ten weeks of history: no season behind it
    history[:, 2] = np.nan  # not started yet
    grid = np.full((4, 3), 1.0)
    grid[:, 1:] = np.nan
    filled, baseline = with_baseline(grid, history, 52)
    assert baseline.tolist() == [False, True, False] and (filled[:, 0] == 1.0).all()
    assert (filled[:, 1] == history[-1, 1]).all()  # shorter than a season: its last value
    assert np.isnan(filled[:, 2]).all()


def test_conformal_quantile_and_nearest_step():
    steps = np.repeat([1, 2], 9)
    actual = np.full(18, 100.0)
    predicted = np.concatenate([100 / (1 + np.arange(1, 10) / 100), np.full(9, 100.0)])
    calibration = Calibration.from_windows([(steps, actual, predicted)])
    # scores at step 1 pool steps 1..2; the 0.5 quantile of 18 scores is the 10th smallest
    assert calibration.half_width(1, 0.5) == pytest.approx(0.01)
    assert calibration.half_width(1, 0.99) == pytest.approx(0.09)
    assert calibration.half_width(40, 0.9) == calibration.half_width(2, 0.9)


def test_every_window_calibrates_each_step_and_is_counted():
    old = (np.array([1, 2]), np.array([100.0, 100.0]), np.array([50.0, 50.0]))
    new = (np.array([1]), np.array([100.0]), np.array([100.0]))
    calibration = Calibration.from_windows([old, new])
    # step 1 pools steps 1..2 of both windows: scores 0, 1, 1; step 2 pools steps 1..3: the same three
    assert calibration.half_width(1, 0.2) == 0.0 and calibration.half_width(1, 0.9) == 1.0  # ranks 1 and 3 of 3
    assert calibration.windows == {1: 2, 2: 1}
    assert calibration.describe() == "1:2,2:1"
    many = [(np.arange(1, 13), np.full(12, 100.0), np.full(12, 100.0))] * 3 + [
        (np.arange(1, 5), np.full(4, 100.0), np.full(4, 100.0))]
    assert Calibration.from_windows(many).describe() == "1-4:4,5-12:3"


PREDICTIONS = RNG.uniform(90, 110, size=(3, 52))  # series x steps


def forecaster() -> PortfolioForecaster:
    steps = np.tile(np.arange(1, 13), 30)
    predicted = RNG.uniform(90, 110, size=len(steps))
    calibration = Calibration.from_windows([(steps, np.full(len(steps), 100.0), predicted)])
    return PortfolioForecaster(model_key="seasonal_naive", dataset="test",
                               member=FittedSeries("seasonal_naive", SeasonalNaive(52)),
                               seasonality=WEEKLY, series=np.array(["3", "7", "CA_9"]), periods=WEEKS,
                               predictions=PREDICTIONS, baseline=np.zeros(3, dtype=bool), history=SALES,
                               calibration=calibration, history_periods=52, requirements=[])


def test_forecaster_contract():
    model = forecaster()
    out = model.predict(None, pd.DataFrame({"series_id": ["CA_9", "3"], "horizon": [2, 1],
                                            "confidence_level": [0.8, None]}))
    assert list(out.columns) == ["series_id", "step", "date", "prediction", "lower", "upper"]
    assert out[["series_id", "step"]].values.tolist() == [["CA_9", 1], ["CA_9", 2], ["3", 1]]
    legacy = model.predict(None, pd.DataFrame({"store_id": [7], "horizon": [1]}))
    assert legacy["series_id"].tolist() == ["7"] and legacy["prediction"].tolist() == [PREDICTIONS[1, 0]]
    last = WEEKS[-1].item()
    assert out["date"].tolist() == [date.fromordinal(last.toordinal() + 7 * s).isoformat() for s in (1, 2, 1)]
    assert ((out.lower <= out.prediction) & (out.prediction <= out.upper)).all()
    np.testing.assert_allclose(out.prediction, [PREDICTIONS[2, 0], PREDICTIONS[2, 1], PREDICTIONS[0, 0]])
    assert model.max_horizon == 52 and model.last_period == last


def test_wider_interval_at_higher_confidence():
    model = forecaster()
    narrow = model.forecast(["7"], 12, 0.5)
    wide = model.forecast(["7"], 12, 0.99)
    assert ((wide.upper - wide.lower) > (narrow.upper - narrow.lower)).all()


@pytest.mark.parametrize(
    "frame, message",
    [
        ({"series_id": ["1"], "horizon": [3]}, "unknown series_id 1; this model knows 3 series: 3, 7, CA_9"),
        ({"store_id": [3], "horizon": [53]}, "horizon must be in 1..52 weeks"),
        ({"series_id": ["3"], "horizon": [0]}, "horizon must be in 1..52 weeks"),
        ({"series_id": ["3"], "horizon": [2.5]}, "horizon must be a whole number"),
        ({"series_id": ["3"], "horizon": [2], "confidence_level": [1.5]}, "confidence_level must be strictly between"),
        ({"series_id": ["3"]}, "input needs columns series_id, horizon, confidence_level"),
        ({"horizon": [3]}, "input needs columns series_id, horizon, confidence_level"),
    ],
)
def test_forecaster_rejects_bad_input(frame, message):
    with pytest.raises(MlflowException, match=message):
        forecaster().predict(None, pd.DataFrame(frame))
