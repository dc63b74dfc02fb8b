"""A registered version forecasts from the history it is given: each series from its own last date,
nothing spliced from the stored table, and every broken rule named by series and date."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from adapters.forecasting.calibration import Calibration
from adapters.forecasting.fitted import FittedSeries
from adapters.forecasting.history import Periods, panels
from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.forecasting.seasonality import Seasonality
from adapters.forecasting.statistical import SeasonalNaive
from adapters.mlflow.loader import PyfuncForecastModel
from domain.errors import InvalidValueError
from domain.forecasts import MAX_HISTORY_ROWS, SeriesHistory
from domain.frequency import WEEKLY_FRIDAY, frequency

FIRST = date(2010, 2, 5)  # a Friday
WEEKS = np.array([FIRST + timedelta(weeks=k) for k in range(120)], dtype="datetime64[D]")
SALES = np.arange(1.0, 121.0)[:, None] * np.array([1.0, 10.0])  # two series, each week one more than the last


def naive() -> PortfolioForecaster:
    """A seasonal-naive version trained on SALES (series "1" and "2")."""
    steps = np.tile(np.arange(1, 13), 10)
    calibration = Calibration.from_windows([(steps, np.full(len(steps), 100.0), np.full(len(steps), 90.0))])
    stored = SeasonalNaive(52).forecast(SALES, 52).T
    return PortfolioForecaster(model_key="seasonal_naive", dataset="test",
                               member=FittedSeries("seasonal_naive", SeasonalNaive(52)),
                               seasonality=Seasonality(WEEKLY_FRIDAY), series=np.array(["1", "2"]), periods=WEEKS,
                               predictions=stored, baseline=np.zeros(2, dtype=bool), history=SALES,
                               calibration=calibration, history_periods=52, requirements=[])


def rows(series: str, first: int, last: int, scale: float = 1.0) -> list[tuple[str, date, float]]:
    """Weeks first..last (indexes of WEEKS) of a series whose value is its week number x scale."""
    return [(series, WEEKS[k].item(), (k + 1) * scale) for k in range(first, last + 1)]


def history(*parts: list[tuple[str, date, float]]) -> SeriesHistory:
    found = [row for part in parts for row in part]
    return SeriesHistory(series_ids=tuple(r[0] for r in found), dates=tuple(r[1] for r in found),
                         values=tuple(r[2] for r in found))


def test_the_whole_training_table_gives_the_stored_forecast():
    model = PyfuncForecastModel(naive())
    given = history(rows("1", 0, 119), rows("2", 0, 119, 10.0))
    assert model.forecast_history(given, None, 12, 0.9) == model.forecast(["1", "2"], 12, 0.9)


def test_each_series_from_the_last_date_of_its_own_rows():
    model = PyfuncForecastModel(naive())
    points = model.forecast_history(history(rows("2", 10, 89, 10.0), rows("new", 0, 59)), None, 3, None)
    by_series = {s: [p for p in points if p.series_id == s] for s in ("2", "new")}
    assert [p.origin for p in by_series["2"]] == [WEEKS[89].item()] * 3
    assert [p.date for p in by_series["2"]] == [WEEKS[89].item() + timedelta(weeks=h) for h in (1, 2, 3)]
    # the seasonal naive of week 90 is week 38 (x 10): nothing came from the stored table, which runs to week 120
    assert [p.prediction for p in by_series["2"]] == [390.0, 400.0, 410.0]
    assert [p.prediction for p in by_series["new"]] == [9.0, 10.0, 11.0] and not by_series["new"][0].baseline
    short = model.forecast_history(history(rows("tiny", 0, 9)), None, 2, None)  # under a season: its last value
    assert [(p.prediction, p.baseline) for p in short] == [(10.0, True), (10.0, True)]


def test_only_the_series_asked_for_and_a_series_the_history_lacks_is_named():
    model = PyfuncForecastModel(naive())
    given = history(rows("1", 0, 59), rows("2", 0, 59, 10.0))
    assert {p.series_id for p in model.forecast_history(given, ["2"], 4, 0.9)} == {"2"}
    with pytest.raises(InvalidValueError, match="no rows for series 7"):
        model.forecast_history(given, ["7"], 4, 0.9)


def _broken(kind: str) -> SeriesHistory:
    good = rows("A", 0, 59)
    if kind == "gap":
        return history(good[:30] + good[32:])
    if kind == "duplicate":
        return history(good + [good[-1]])
    if kind == "weekday":
        return history(good[:-1] + [("A", good[-1][1] + timedelta(days=1), 5.0)])
    broken = {"missing": float("nan"), "infinite": float("inf"), "negative": -5.0}[kind]
    return history(good[:-1] + [("A", good[-1][1], broken)])


@pytest.mark.parametrize("kind, message", [
    ("gap", r"series A has a gap: no row for 2 week\(s\) \(2010-09-03, 2010-09-10\) between 2010-08-27 and "
            r"2010-09-17"),
    ("duplicate", "series A has more than one row for 2011-03-25"),
    ("weekday", "series A, 2011-03-26 is not a date of this version's weekly \\(W-FRI\\) periods: every date "
                "must be a FRI"),
    ("missing", "series A, 2011-03-25: the value is missing"),
    ("infinite", "series A, 2011-03-25: the value inf is not finite"),
    ("negative", "series A, 2011-03-25: the value -5.0 is negative"),
])
def test_a_broken_history_is_refused_whole_naming_the_series_and_date(kind, message):
    with pytest.raises(InvalidValueError, match=message):
        PyfuncForecastModel(naive()).forecast_history(_broken(kind), None, 4, 0.9)
    frame = pd.DataFrame(_broken(kind).rows(), index=["series_id", "date", "value"]).T
    frame["date"] = frame["date"].astype(str)
    with pytest.raises(MlflowException, match=message) as raised:  # the pyfunc says the same, as a 400
        naive().predict(None, frame, params={"horizon": 4})
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_the_row_limit_is_checked_before_any_work():
    too_many = MAX_HISTORY_ROWS + 1
    with pytest.raises(InvalidValueError, match="1..50,000 rows, not 50,001"):
        SeriesHistory(series_ids=("A",) * too_many, dates=(FIRST,) * too_many, values=(1.0,) * too_many)
    frame = pd.DataFrame({"series_id": ["A"] * too_many, "date": ["not a date"] * too_many, "value": 1.0})
    with pytest.raises(MlflowException, match="1..50,000 rows, not 50,001"):
        naive().predict(None, frame)


def test_the_pyfunc_answers_a_history_with_its_params_and_origin_and_baseline_columns():
    frame = pd.DataFrame(rows("7.0", 0, 59), columns=["series_id", "date", "value"]).astype({"date": str})
    out = naive().predict(None, frame, params={"horizon": 2, "confidence_level": 0.5})
    assert list(out.columns) == ["series_id", "step", "date", "prediction", "lower", "upper", "origin", "baseline"]
    assert out.series_id.tolist() == ["7.0", "7.0"] and out.origin.tolist() == ["2011-03-25"] * 2
    assert out.prediction.tolist() == [9.0, 10.0] and (out.lower < out.prediction).all()
    default = naive().predict(None, frame)
    assert len(default) == 12  # the frequency's default horizon
    with pytest.raises(MlflowException, match="is not an ISO date"):
        naive().predict(None, frame.assign(date="05/02/2010"))


@pytest.mark.parametrize("ids", [("²", "٣"), ("³",)])
def test_unicode_digits_are_text_ids(ids):
    given = history(*(rows(s, 0, 59) for s in ids))
    points = PyfuncForecastModel(naive()).forecast_history(given, None, 1, None)
    assert [p.series_id for p in points] == list(ids)


@pytest.mark.parametrize("name, anchor, days", [
    ("weekly", "WED", ["2012-01-04", "2012-01-11", "2012-02-29"]),
    ("monthly", "start", ["2012-01-01", "2012-02-01", "2013-12-01"]),
    ("monthly", "end", ["2012-01-31", "2012-02-29", "2013-12-31"]),
    ("daily", "", ["2012-02-28", "2012-02-29", "2012-03-01"]),
])
def test_periods_number_and_name_the_dates_of_a_frequency(name, anchor, days):
    periods = Periods(frequency(name, anchor))
    found = np.array(days, dtype="datetime64[D]")
    assert periods.fits(found).all() and periods.fits(found + 2).all() == (name == "daily")
    assert [periods.date(n).isoformat() for n in periods.number(found)] == days
    laid = panels(["s"] * 2, found[:2], [1.0, 2.0], frequency(name, anchor))
    assert laid[0].origin.isoformat() == days[1] and laid[0].values.ravel().tolist() == [1.0, 2.0]
