from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidValueError
from domain.leaderboard import Aggregate, EmptySelection, RunFilter, build_leaderboard, select, summarise
from domain.runs import Run

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(run_id, model, dataset="walmart", minutes=0, status="FINISHED", **metrics):
    return Run(
        run_id=run_id,
        experiment_id="1",
        name=f"{model}-x",
        status=status,
        start_time=T0 + timedelta(minutes=minutes),
        tags={"model_type": model, "dataset": dataset},
        metrics=metrics,
    )


RUNS = [
    run(
        "a1",
        "LightGBM",
        minutes=1,
        test_mape=4.0,
        test_rmse=10.0,
        test_mae=8.0,
        training_time=2.0,
        fold1_mape=5.0,
        fold2_mape=6.0,
    ),
    run("a2", "LightGBM", minutes=5, test_mape=3.0, test_rmse=12.0, test_mae=9.0, training_time=4.0),
    run("b1", "XGBoost", minutes=2, test_MAPEMetric=3.5, RMSEMetric=11.0, training_time=1.0),
    run("c1", "Naive", minutes=3, mape=0.0, rmse=20.0),
    run("d1", "LightGBM", dataset="m5", minutes=4, test_mape=7.0),
]


def test_best_aggregate_ranks_per_dataset_and_keeps_zero():
    board = build_leaderboard(RUNS, "mape", Aggregate.BEST)
    assert [(r.rank, r.model, r.dataset, r.value) for r in board.rankings] == [
        (1, "Naive", "walmart", 0.0),
        (2, "LightGBM", "walmart", 3.0),
        (3, "XGBoost", "walmart", 3.5),
        (1, "LightGBM", "m5", 7.0),
    ]
    lightgbm = next(r for r in board.results if r.model == "LightGBM" and r.dataset == "walmart")
    assert (lightgbm.run_id, lightgbm.runs, lightgbm.values["rmse"], lightgbm.values["training_time"]) == (
        "a2",
        2,
        12.0,
        4.0,
    )


def test_latest_and_mean_aggregates():
    latest = build_leaderboard(RUNS[:2], "rmse", Aggregate.LATEST)
    assert latest.results[0].run_id == "a2" and latest.results[0].values["rmse"] == 12.0
    mean = build_leaderboard(RUNS[:2], "mape", Aggregate.MEAN)
    row = mean.results[0]
    assert row.values["mape"] == pytest.approx(3.5) and row.std["mape"] == pytest.approx(0.7071, abs=1e-4)
    assert row.run_id == "a2"  # the representative run of a mean is the best one


def test_fold_values_of_the_representative_run_give_the_spread():
    board = build_leaderboard([RUNS[0]], "mape", Aggregate.BEST)
    assert board.results[0].folds == (5.0, 6.0)


def test_rows_without_the_rank_metric_are_listed_but_not_ranked():
    board = build_leaderboard(RUNS[:4], "mae")
    assert {r.model for r in board.results} == {"LightGBM", "XGBoost", "Naive"}
    assert [r.model for r in board.rankings] == ["LightGBM"]


def test_top_two_come_from_the_leading_dataset():
    best, second = build_leaderboard(RUNS, "mape").top_two()
    assert (best.model, second.model) == ("Naive", "LightGBM")
    assert build_leaderboard([RUNS[4]], "mape").top_two() is None


def test_unknown_rank_metric_lists_the_choices():
    with pytest.raises(InvalidValueError, match="choose one of mape, rmse, mae, smape, mase, wmape"):
        build_leaderboard(RUNS, "r2")


def test_filters_are_case_insensitive_and_name_what_emptied_the_result():
    runs = RUNS + [run("e1", "CatBoost", status="FAILED", test_mape=1.0)]
    assert {r.run_id for r in select(runs, RunFilter(dataset="WALMART", models=("lightgbm", "xgboost")), "exp")} == {
        "a1",
        "a2",
        "b1",
    }
    assert "e1" in {r.run_id for r in select(runs, RunFilter(include_unfinished=True), "exp")}
    with pytest.raises(
        EmptySelection, match="--dataset tesco matched none of the 5 run\\(s\\) left in exp; they have: m5, walmart"
    ):
        select(runs, RunFilter(dataset="tesco"), "exp")
    with pytest.raises(EmptySelection, match="--models prophet matched none"):
        select(runs, RunFilter(dataset="m5", models=("prophet",)), "exp")
    with pytest.raises(EmptySelection, match="status FINISHED matched none"):
        select([runs[-1]], RunFilter(), "exp")
    with pytest.raises(EmptySelection, match="no runs in exp"):
        select([], RunFilter(), "exp")


def test_summary_statistics_per_model_and_dataset_over_runs_that_logged_the_metric():
    stats = {(s.model, s.dataset): s for s in summarise(RUNS, "mape")}
    lgb = stats[("LightGBM", "walmart")]
    assert (lgb.runs, lgb.mean, lgb.min, lgb.max) == (2, 3.5, 3.0, 4.0)
    assert lgb.std == pytest.approx(0.7071, abs=1e-4)
    assert stats[("Naive", "walmart")].mean == 0.0 and stats[("Naive", "walmart")].std is None
    # per dataset, best mean first; a tie goes by name
    assert [(s.dataset, s.model) for s in summarise(RUNS, "mape")] == [
        ("m5", "LightGBM"), ("walmart", "Naive"), ("walmart", "LightGBM"), ("walmart", "XGBoost")]
