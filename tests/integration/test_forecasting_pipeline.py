"""The feature pipeline never looks past its origin; intervals behave as intervals."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from adapters.forecasting.calendars import WALMART
from adapters.forecasting.features import FEATURES, Seasonality, YearAgo, origin_rows, training_design
from adapters.forecasting.pyfunc import Calibration, PortfolioForecaster
from adapters.forecasting.statistical import SeasonalNaive

RNG = np.random.default_rng(0)
SALES = RNG.uniform(50, 150, size=(120, 3))
WEEKS = np.arange(np.datetime64("2010-02-05"), np.datetime64("2010-02-05") + 7 * 120, 7).astype("datetime64[D]")
WEEKLY = Seasonality(season=52, period_days=7)


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
    assert WALMART.year_ago_day(date(2012, 11, 22), 364) == date(2011, 11, 24)  # Thanksgiving to Thanksgiving


def test_seasonal_naive_repeats_the_week_a_year_ago():
    predicted = SeasonalNaive(52).forecast(SALES[:81], 12)
    np.testing.assert_allclose(predicted, SALES[81 - 52 : 93 - 52])


def test_conformal_quantile_and_nearest_step():
    steps = np.repeat([1, 2], 9)
    actual = np.full(18, 100.0)
    predicted = np.concatenate([100 / (1 + np.arange(1, 10) / 100), np.full(9, 100.0)])
    calibration = Calibration.from_windows([(steps, actual, predicted)])
    # scores at step 1 pool steps 1..2; the 0.5 quantile of 18 scores is the 10th smallest
    assert calibration.half_width(1, 0.5) == pytest.approx(0.01)
    assert calibration.half_width(1, 0.99) == pytest.approx(0.09)
    assert calibration.half_width(40, 0.9) == calibration.half_width(2, 0.9)


def test_newer_windows_replace_older_ones_per_step():
    old = (np.array([1, 2]), np.array([100.0, 100.0]), np.array([50.0, 50.0]))
    new = (np.array([1]), np.array([100.0]), np.array([100.0]))
    calibration = Calibration.from_windows([old, new])
    assert calibration.half_width(1, 0.9) == 0.0
    assert calibration.half_width(2, 0.9) == 1.0


PREDICTIONS = RNG.uniform(90, 110, size=(3, 52))  # series x steps


def forecaster() -> PortfolioForecaster:
    steps = np.tile(np.arange(1, 13), 30)
    predicted = RNG.uniform(90, 110, size=len(steps))
    calibration = Calibration.from_windows([(steps, np.full(len(steps), 100.0), predicted)])
    return PortfolioForecaster(model_key="lightgbm", series=np.array([3, 7, 9]), periods=WEEKS[-65:],
                               predictions=PREDICTIONS, history=SALES[-65:], calibration=calibration, requirements=[])


def test_forecaster_contract():
    model = forecaster()
    out = model.predict(None, pd.DataFrame({"store_id": [9, 3], "horizon": [2, 1], "confidence_level": [0.8, None]}))
    assert list(out.columns) == ["store_id", "step", "date", "prediction", "lower", "upper"]
    assert out[["store_id", "step"]].values.tolist() == [[9, 1], [9, 2], [3, 1]]
    last = WEEKS[-1].item()
    assert out["date"].tolist() == [date.fromordinal(last.toordinal() + 7 * s).isoformat() for s in (1, 2, 1)]
    assert ((out.lower <= out.prediction) & (out.prediction <= out.upper)).all()
    np.testing.assert_allclose(out.prediction, [PREDICTIONS[2, 0], PREDICTIONS[2, 1], PREDICTIONS[0, 0]])
    assert model.max_horizon == 52 and model.last_period == last


def test_wider_interval_at_higher_confidence():
    model = forecaster()
    narrow = model.forecast([7], 12, 0.5)
    wide = model.forecast([7], 12, 0.99)
    assert ((wide.upper - wide.lower) > (narrow.upper - narrow.lower)).all()


@pytest.mark.parametrize(
    "frame, message",
    [
        ({"store_id": [1], "horizon": [3]}, "unknown store_id 1; this model knows stores 3..9"),
        ({"store_id": [3], "horizon": [53]}, "horizon must be in 1..52"),
        ({"store_id": [3], "horizon": [0]}, "horizon must be in 1..52"),
        ({"store_id": [3], "horizon": [2.5]}, "horizon must be a whole number"),
        ({"store_id": [3], "horizon": [2], "confidence_level": [1.5]}, "confidence_level must be strictly between"),
        ({"store_id": [3]}, "input needs column 'horizon'"),
    ],
)
def test_forecaster_rejects_bad_input(frame, message):
    with pytest.raises(MlflowException, match=message):
        forecaster().predict(None, pd.DataFrame(frame))
