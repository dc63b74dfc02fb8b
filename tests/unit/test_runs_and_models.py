from datetime import date

import pytest

from domain.errors import InvalidValueError
from domain.forecasts import Forecast, ForecastPoint, check_confidence, check_horizon
from domain.models import ModelVersion
from domain.runs import Run, RunStatus


def test_model_identity_falls_back_in_order():
    assert Run(run_id="r", experiment_id="1", tags={"model_name": "A", "model_type": "B"}).model_name == "A"
    assert (
        Run(run_id="r", experiment_id="1", tags={"model_type": "LightGBM"}, params={"model": "x"}).model_name
        == "LightGBM"
    )
    assert Run(run_id="r", experiment_id="1", params={"model": "xgb"}).model_name == "xgb"
    assert (
        Run(
            run_id="r", experiment_id="1", params={"model._target_": "sklearn.ensemble.RandomForestRegressor"}
        ).model_name
        == "RandomForestRegressor"
    )
    assert Run(run_id="r", experiment_id="1", name="catboost-20261126T101500").model_name == "catboost"


def test_dataset_falls_back_in_order():
    assert (
        Run(run_id="r", experiment_id="1", tags={"dataset": "walmart"}, params={"dataset": "x"}).dataset_name
        == "walmart"
    )
    assert Run(run_id="r", experiment_id="1", params={"dataset_name": "m5"}).dataset_name == "m5"
    assert Run(run_id="r", experiment_id="1").dataset_name == "unknown"


def test_run_is_immutable_and_reads_metrics_in_any_spelling():
    run = Run(run_id="r", experiment_id="1", status="FAILED", metrics={"MAPEMetric": 0.0})
    assert run.status is RunStatus.FAILED
    assert run.metric("mape") == 0.0
    with pytest.raises(TypeError):
        run.metrics["x"] = 1.0  # type: ignore[index]
    with pytest.raises(InvalidValueError):
        Run(run_id="", experiment_id="1")


def test_model_version_validation():
    version = ModelVersion(name="lightgbm", version="3", aliases=("champion", "a"))
    assert version.version == 3 and version.aliases == ("a", "champion")
    assert version.uri == "models:/lightgbm/3"
    for bad in ({"version": 0}, {"version": "latest"}, {"version": 1, "stage": "Prod"}):
        with pytest.raises(InvalidValueError):
            ModelVersion(name="m", **bad)


def test_forecast_points_keep_prediction_inside_the_interval():
    point = ForecastPoint(series_id="1", step=1, date=date(2012, 11, 2), prediction=10.0, lower=8.0, upper=12.0)
    forecast = Forecast(model_name="m", model_version=1, confidence_level=0.9, points=(point,))
    assert forecast.series_ids == ("1",) and forecast.for_series("1") == (point,)
    with pytest.raises(InvalidValueError, match="does not contain"):
        ForecastPoint(series_id="1", step=1, date=date(2012, 11, 2), prediction=13.0, lower=8.0, upper=12.0)
    with pytest.raises(InvalidValueError, match="both"):
        ForecastPoint(series_id="1", step=1, date=date(2012, 11, 2), prediction=10.0, lower=8.0)
    with pytest.raises(InvalidValueError):
        Forecast(model_name="m", model_version=1, confidence_level=0.9, points=())


@pytest.mark.parametrize("horizon", [0, 53, 2.5, True, "12"])
def test_horizon_bounds(horizon):
    with pytest.raises(InvalidValueError, match="1..52"):
        check_horizon(horizon)


def test_confidence_bounds():
    assert check_confidence(0.9) == 0.9
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(InvalidValueError):
            check_confidence(bad)


def test_summary_is_what_a_leaderboard_needs_and_is_stable():
    run = Run(
        run_id="r",
        experiment_id="1",
        name="xgb-1",
        params={"model": "xgb", "dataset": "walmart", "depth": "6"},
        metrics={"MAPEMetric": 3.0, "fold1_rmse": 7.0, "accuracy": 0.5},
        tags={"per_series_errors": "e.csv", "team": "a"},
    )
    summary = run.summary()
    assert summary.metrics == {"test_mape": 3.0, "fold1_rmse": 7.0}
    assert summary.tags == {"model_name": "xgb", "dataset": "walmart", "per_series_errors": "e.csv"}
    assert summary.params == {} and summary.summary() == summary
    assert (summary.model_name, summary.dataset_name, summary.metric("mape")) == (run.model_name, run.dataset_name, 3.0)


def test_runs_of_earlier_versions_name_their_errors_with_the_legacy_tag():
    run = Run(run_id="r", experiment_id="1", tags={"per_store_errors": "per_store_errors.csv"})
    assert run.errors_artifact == "per_store_errors.csv"
    assert run.summary().tags["per_series_errors"] == "per_store_errors.csv"
    assert Run(run_id="s", experiment_id="1").errors_artifact is None
