Feature: Training on a Dask cluster, tracking on PostgreSQL
  When one machine is not enough, the fits (each model x each backtest fold, the test window and
  the final fit) run as tasks on a Dask cluster, and the runs go to an `mlflow server` that keeps
  them in PostgreSQL; every command reaches it through MLFLOW_TRACKING_URI alone. These scenarios
  start PostgreSQL, `mlflow server --serve-artifacts` and a `dask scheduler` with two
  `dask worker` processes, all on 127.0.0.1, and train the synthetic default.

  Background:
    Given an mlflow server that keeps its runs in PostgreSQL

  Scenario: The portfolio trained on the cluster logs what it logs in one process
    Given the portfolio trained on the cluster into the server
    Then the command succeeds
    And the output says the fits ran on the cluster
    And every run's metrics are those of the same training in one process
    And every model has a version on the server that forecasts series "7" as its version from one process does

  Scenario: Sync, benchmark, promotion, the API and the dashboard read the server through MLFLOW_TRACKING_URI alone
    Given the portfolio trained on the cluster into the server
    When I sync, benchmark and promote the best ranked model to champion
    Then the warehouse holds every run of the server and the benchmark ranks every model
    And the API answers with the champion and the dashboard shows it

  Scenario: Every series' forecast, computed on the cluster, into one Parquet file
    Given the portfolio trained on the cluster into the server
    And a Dask scheduler with 2 workers
    When I forecast every series of "lightgbm/1" for 12 weeks on the cluster into "forecasts.parquet"
    Then the command succeeds
    And the file holds 12 weeks of each of the 45 series with intervals, as the API forecasts them

  Scenario: A worker killed mid-run: its tasks run on the other one and the run finishes
    Given a Dask scheduler with 2 workers
    When I train "lightgbm,xgboost" on the cluster into the server and kill a worker once the fits are running
    Then the command succeeds
    And every run's metrics are those of the same training in one process

  Scenario: No worker left: the run fails with one line and what was registered stays
    Given the portfolio trained on the cluster into the server
    And a Dask scheduler with 2 workers
    When I train "randomforest" on the cluster into the server and kill every worker once the fits are running
    Then the command fails with exit code 2
    And its output ends with one error line naming "has no worker left"
    And the randomforest run on the server is FAILED and no version came of it
    And every version registered before is still there

  Scenario: lightgbm and xgboost train with their libraries' own distributed training
    Given a Dask scheduler with 2 workers
    When I train "lightgbm,xgboost,seasonal_naive" into experiment "distributed" on the cluster with "--distributed-fit"
    Then the command succeeds
    And the lightgbm run says it fit with "lightgbm.dask" and the xgboost run with "xgboost.dask"
    And both beat seasonal_naive in every window
