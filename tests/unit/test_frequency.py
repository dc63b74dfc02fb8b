"""The frequency of a panel: inferred from its dates or named, and the periods it steps through."""

from datetime import date, timedelta

import pytest

from domain.columns import PanelSpec
from domain.errors import DataError, InvalidValueError
from domain.forecasts import series_id, series_order
from domain.frequency import frequency, frequency_of_code, infer_frequency, parse_frequency


def days(first: date, count: int, step: int) -> list[date]:
    return [first + timedelta(days=step * i) for i in range(count)]


def test_daily_weekly_on_any_weekday_and_monthly_are_inferred():
    assert infer_frequency(days(date(2024, 1, 1), 30, 1)).code == "D"
    assert infer_frequency(days(date(2024, 1, 1), 30, 7)).code == "W-MON"
    assert infer_frequency(days(date(2010, 2, 5), 30, 7)).code == "W-FRI"
    starts = [date(2020 + m // 12, m % 12 + 1, 1) for m in range(30)]
    assert infer_frequency(starts).code == "MS"
    ends = [frequency("monthly", "end").next(date(2019, 12, 31), m) for m in range(30)]
    assert ends[2] == date(2020, 2, 29) and infer_frequency(ends).code == "ME"


def test_quarterly_and_yearly_on_any_months_are_inferred_and_continue_the_tables_dates():
    prison = [date(2005 + m // 12, m % 12 + 1, 1) for m in range(2, 48, 3)]  # 1 March, 1 June...
    quarterly = infer_frequency(prison)
    assert (quarterly.code, quarterly.season, quarterly.default_horizon) == ("QS-MAR", 4, 8)
    assert quarterly.after(prison[-1], 2) == (date(2009, 3, 1), date(2009, 6, 1))
    assert quarterly.between(prison[0], prison[-1]) == len(prison) - 1
    assert frequency_of_code("QS-MAR") == quarterly and frequency_of_code("QS-DEC") == quarterly
    ends = [frequency("quarterly", "end", 3).next(date(2019, 12, 31), q) for q in range(8)]
    assert ends[1] == date(2020, 3, 31) and infer_frequency(ends).code == "QE-DEC"
    assert infer_frequency([date(1990 + y, 1, 1) for y in range(30)]).code == "YS-JAN"
    yearly = infer_frequency([date(1990 + y, 6, 30) for y in range(30)])
    assert (yearly.code, yearly.season, frequency_of_code("YE-JUN")) == ("YE-JUN", 1, yearly)
    with pytest.raises(DataError, match="2006-04-01 does not fit a quarterly panel: every date must fall on the first "
                                        "day of Mar, Jun, Sep, Dec"):
        infer_frequency([*prison, date(2006, 4, 1)], named="quarterly")
    with pytest.raises(DataError, match="cannot tell the frequency"):  # every other month is no frequency
        infer_frequency([date(2020, m, 1) for m in (1, 3, 5, 7)])
    assert parse_frequency("Q") == "quarterly" and parse_frequency("QS-MAR") == "quarterly"
    assert parse_frequency("annual") == "yearly"
    with pytest.raises(InvalidValueError, match="unknown frequency code 'QS-XYZ'"):
        frequency_of_code("QS-XYZ")


def test_a_date_that_does_not_fit_is_named():
    dates = [*days(date(2024, 1, 5), 10, 7), date(2024, 3, 16)]  # a Saturday among Fridays
    with pytest.raises(DataError, match="2024-03-16 does not fit a weekly panel: every date must fall on a FRI"):
        infer_frequency(dates)
    with pytest.raises(DataError, match="cannot tell the frequency: dates are 3 days apart"):
        infer_frequency(days(date(2024, 1, 1), 10, 3))
    with pytest.raises(DataError, match="does not fit a monthly panel"):
        infer_frequency(days(date(2024, 1, 1), 10, 1), named="monthly")


def test_named_frequencies_and_their_periods():
    assert parse_frequency("D") == "daily" and parse_frequency("W-SUN") == "weekly" and parse_frequency("Monthly")
    with pytest.raises(InvalidValueError, match="unknown frequency 'hourly'"):
        parse_frequency("hourly")
    monthly = frequency("monthly", "start")
    assert monthly.after(date(2022, 11, 1), 3) == (date(2022, 12, 1), date(2023, 1, 1), date(2023, 2, 1))
    assert monthly.between(date(2021, 11, 1), date(2023, 2, 1)) == 15
    assert frequency("weekly", "FRI").after(date(2012, 10, 26), 2) == (date(2012, 11, 2), date(2012, 11, 9))
    assert frequency("daily").between(date(2024, 2, 27), date(2024, 3, 1)) == 3


def test_series_ids_are_text_and_whole_numbers_lose_their_fraction():
    assert [series_id(v) for v in (7, 7.0, " 7 ", "CA_1_FOODS_3")] == ["7", "7", "7", "CA_1_FOODS_3"]
    assert series_order(["10", "b", "2", "a", "1"]) == ["1", "2", "10", "a", "b"]
    for bad in ("", "x" * 201, True):
        with pytest.raises(InvalidValueError):
            series_id(bad)


def test_panel_options_and_the_default_calendar():
    weekly, daily = frequency("weekly", "FRI"), frequency("daily")
    assert PanelSpec().calendar_for(weekly) == "walmart" and PanelSpec().calendar_for(daily) == "none"
    assert PanelSpec(holidays="de").calendar_for(weekly) == "DE"
    assert PanelSpec(frequency="M").frequency == "monthly"
    with pytest.raises(InvalidValueError, match="--fill must be one of none, zero, interpolate"):
        PanelSpec(fill="mean")
    with pytest.raises(InvalidValueError, match="--holidays must be walmart, none or a country code"):
        PanelSpec(holidays="christmas 2012")
