import csv
from datetime import date, datetime, timedelta

import pytest

from domain.calendar import is_holiday_week
from domain.errors import DataError, InvalidValueError
from domain.forecasts import is_number, series_order
from domain.frequency import frequency
from domain.training import EvaluationProtocol, parse_model_keys

FIRST = date(2010, 2, 5)


def test_calendar_reproduces_the_walmart_holiday_flag(walmart_csv):
    with walmart_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    flags = {datetime.strptime(r["Date"], "%d-%m-%Y").date(): r["Holiday_Flag"] == "1" for r in rows}
    assert len(flags) == 143
    assert {week for week, flag in flags.items() if flag} == {week for week in flags if is_holiday_week(week)}


def test_holiday_weeks_after_the_data():
    assert is_holiday_week(date(2012, 11, 23))  # Thanksgiving 2012-11-22
    assert is_holiday_week(date(2012, 12, 28))  # Christmas 2012
    assert not is_holiday_week(date(2012, 11, 30))


def test_protocol_on_the_walmart_calendar():
    protocol = EvaluationProtocol()
    weeks = [FIRST + timedelta(weeks=i) for i in range(143)]
    assert weeks[protocol.test_origin(143)] == date(2012, 8, 3)
    test_weeks = weeks[protocol.test_origin(143) + 1 :]
    assert (test_weeks[0], test_weeks[-1], len(test_weeks)) == (date(2012, 8, 10), date(2012, 10, 26), 12)
    folds = [weeks[o + 1 : o + 1 + protocol.horizon] for o in protocol.fold_origins(143)]
    assert len(folds) == 4 and all(len(f) == 12 for f in folds)
    assert any(f[0] <= date(2011, 11, 25) and date(2011, 12, 30) <= f[-1] for f in folds), (
        "a fold spans Thanksgiving-Christmas 2011"
    )
    assert all(f[-1] < test_weeks[0] for f in folds)


def test_protocol_bounds():
    assert EvaluationProtocol(horizon=26).fold_stride == 26
    with pytest.raises(InvalidValueError):
        EvaluationProtocol(folds=0)
    with pytest.raises(InvalidValueError, match="1..52 for a weekly panel"):
        EvaluationProtocol(horizon=60)
    with pytest.raises(DataError, match="spans 100 weeks; .* needs at least 117"):
        EvaluationProtocol().check_length(100)


@pytest.mark.parametrize(("periods", "folds", "stride"),
                         [(117, 4, 13), (116, 3, 13), (91, 2, 13), (90, 1, 13), (78, 1, 13), (500, 4, 13),
                          (77, 1, 12), (66, 1, 1)])
def test_the_folds_fit_the_history(periods, folds, stride):
    fitted = EvaluationProtocol().fitted_to(periods)
    assert (fitted.folds, fitted.fold_stride) == (folds, stride)
    first = fitted.fold_origins(periods)[0]
    assert first >= fitted.season  # a season of history before the earliest origin, however short the table


def test_a_table_without_room_for_one_fold_is_refused_with_the_numbers():
    with pytest.raises(DataError, match=r"spans 65 weeks; it needs at least 66: a season \(52\) .* 12-week test"):
        EvaluationProtocol().fitted_to(65)


@pytest.mark.parametrize(("name", "season", "horizon", "stride", "longest", "shortest"), [
    ("daily", 7, 14, 91, 28, 7 + 4 * 91 + 14 + 1),
    ("weekly", 52, 12, 13, 52, 52 + 4 * 13 + 12 + 1),
    ("monthly", 12, 6, 6, 12, 12 + 4 * 6 + 6 + 1),
    ("quarterly", 4, 8, 8, 8, 4 + 4 * 8 + 8 + 1),
    ("yearly", 1, 4, 4, 6, 1 + 4 * 4 + 4 + 1),
])
def test_the_protocol_follows_the_frequency(name, season, horizon, stride, longest, shortest):
    protocol = EvaluationProtocol(frequency=frequency(name, "FRI" if name == "weekly" else "start"))
    assert (protocol.season, protocol.horizon, protocol.fold_stride, protocol.min_periods()) == (
        season, horizon, stride, shortest)
    assert EvaluationProtocol(frequency=protocol.frequency, horizon=longest).horizon == longest
    with pytest.raises(InvalidValueError, match=f"1..{longest} for a {name} panel"):
        EvaluationProtocol(frequency=protocol.frequency, horizon=longest + 1)


def test_model_keys():
    assert parse_model_keys("all") == ("lightgbm", "xgboost", "catboost", "randomforest", "aligned_naive", "mstl",
                                       "theta", "autoets", "autoarima", "autotheta", "seasonal_naive", "ensemble")
    assert parse_model_keys(" XGBoost, lightgbm,xgboost") == ("xgboost", "lightgbm")
    with pytest.raises(InvalidValueError, match="prophet"):
        parse_model_keys("lightgbm,prophet")


@pytest.mark.parametrize(("ids", "ordered"), [
    (["10", "2", "b", "a"], ["2", "10", "a", "b"]),
    (["٣", "3", "²", "1"], ["1", "3", "²", "٣"]),  # other scripts' digits are text, never numbers
])
def test_series_order_numbers_by_value_then_text(ids, ordered):
    assert series_order(ids) == ordered
    assert [is_number(s) for s in ordered[:2]] == [True, True] and not any(is_number(s) for s in ordered[2:])


@pytest.mark.parametrize(("series", "folds", "stride"), [(45, 4, 13), (6, 4, 13), (5, 5, 12), (3, 8, 12), (1, 24, 12)])
def test_a_panel_of_few_series_gets_more_folds_one_horizon_apart(series, folds, stride):
    protocol = EvaluationProtocol.for_panel(frequency("weekly"), series)
    assert (protocol.folds, protocol.fold_stride, protocol.horizon) == (folds, stride, 12)
    assert series * protocol.folds >= 24 or protocol.folds == 4


def test_asked_folds_are_kept_and_a_short_history_holds_fewer():
    asked = EvaluationProtocol.for_panel(frequency("daily"), 1, folds=3)
    assert (asked.folds, asked.fold_stride) == (3, 91)
    fitted = EvaluationProtocol.for_panel(frequency("daily"), 1).fitted_to(365)  # a daily year of one series
    assert (fitted.folds, fitted.fold_stride) == (24, 14)
    assert fitted.fold_origins(365)[0] >= 7
    cut = EvaluationProtocol.for_panel(frequency("daily"), 1).fitted_to(337)
    assert (cut.folds, cut.fold_stride) == (22, 14)
