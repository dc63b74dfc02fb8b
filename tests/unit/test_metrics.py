import math

import pytest

from domain.errors import InvalidValueError
from domain.metrics import MetricKey, canonical_name, metric_value, parse_metric_key


@pytest.mark.parametrize("key", ["test_mape", "mape", "test_MAPEMetric", "MAPEMetric", "TEST_MAPE", "Mape"])
def test_every_historic_spelling_reads_as_test_mape(key):
    assert parse_metric_key(key) == MetricKey(name="mape", split="test")
    assert metric_value({key: 4.2}, "mape") == 4.2


@pytest.mark.parametrize("name", ["rmse", "mae"])
def test_rmse_and_mae_spellings(name):
    for key in (f"test_{name}", name, f"test_{name.upper()}Metric", f"{name.upper()}Metric"):
        assert metric_value({key: 1.5}, name) == 1.5


def test_zero_is_a_value_not_a_missing_one():
    assert metric_value({"test_MAPEMetric": 0.0}, "mape") == 0.0


def test_nan_is_missing_and_canonical_key_wins():
    assert metric_value({"mape": math.nan}, "mape") is None
    assert metric_value({"MAPEMetric": 9.0, "test_mape": 3.0}, "mape") == 3.0
    assert metric_value({"test_mape": math.nan, "MAPEMetric": 9.0}, "mape") == 9.0


def test_splits_are_kept_apart():
    metrics = {"fold2_mape": 7.0, "backtest_mape": 5.0, "test_mape": 3.0, "training_time": 1.25}
    assert metric_value(metrics, "mape", split="fold2") == 7.0
    assert metric_value(metrics, "mape", split="backtest") == 5.0
    assert metric_value(metrics, "training_time") == 1.25
    assert parse_metric_key("fold2_mape") == MetricKey(name="mape", split="fold2")


def test_unknown_names():
    assert parse_metric_key("accuracy") is None
    assert canonical_name("MAEMetric") == "mae"
    with pytest.raises(InvalidValueError, match="unknown metric 'r2'"):
        canonical_name("r2")
