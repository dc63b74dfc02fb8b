Feature: Benchmarking runs straight from MLflow
  `ml-portfolio benchmark` answers: which model is best right now, on which data, by how much,
  and is the gap real? It reads runs logged by any tool, under any historic metric spelling.

  Background:
    Given an MLflow store with these runs, logged through the MLflow client
      | experiment | run     | model_type    | dataset | metrics                                |
      | retail     | lgb-a   | LightGBM      | walmart | test_MAPEMetric=3.1, test_RMSEMetric=90 |
      | retail     | lgb-b   | LightGBM      | walmart | test_MAPEMetric=3.6, test_RMSEMetric=95 |
      | retail     | xgb-a   | XGBoost       | walmart | MAPEMetric=3.4, RMSEMetric=80           |
      | retail     | oracle  | Oracle        | walmart | mape=0.0, rmse=0.0                      |
      | retail     | naive-a | SeasonalNaive | walmart | test_mape=5.5, test_rmse=150            |
      | other      | lgb-m5  | LightGBM      | m5      | test_mape=8.0                           |

  Scenario: Historic metric names rank correctly and a 0.0 metric is kept
    When I run the benchmark with "--dataset walmart"
    Then the ranking by mape is "Oracle=0, LightGBM=3.1, XGBoost=3.4, SeasonalNaive=5.5"

  Scenario: Ranking by another metric uses each model's best run for that metric
    When I run the benchmark with "--dataset walmart --rank-by rmse"
    Then the ranking by rmse is "Oracle=0, XGBoost=80, LightGBM=90, SeasonalNaive=150"

  Scenario: Dataset and model filters are case-insensitive
    When I run the benchmark with "--dataset M5 --models lightgbm"
    Then the ranking by mape is "LightGBM=8"

  Scenario: A filter that matches nothing says which one
    When I run the benchmark with "--dataset walmart --models prophet"
    Then the command fails with exit code 1
    And the error says "--models prophet matched none"

  Scenario: An unknown experiment lists the ones that exist
    When I run the benchmark with "--experiment-name nope"
    Then the command fails with exit code 1
    And the error says "unknown experiment(s) nope; mlflow"
    And the error says "has Default, other, retail"

  Scenario: The three sources give the same ranking for the same runs
    When I run the benchmark with "--source mlflow"
    And I sync the warehouse and run the benchmark with "--source duckdb"
    And I run the benchmark with "--source json"
    Then the three rankings are identical

  Scenario: The latest run or the mean of the runs instead of the best
    When I run the benchmark with "--dataset walmart --models lightgbm --aggregate latest"
    Then the ranking by mape is "LightGBM=3.6"
    When I run the benchmark with "--dataset walmart --models lightgbm --aggregate mean"
    Then the ranking by mape is "LightGBM=3.35"
    And the LightGBM row counts 2 runs with a mape std of 0.3536

  Scenario: Unfinished runs count only when asked for
    Given a RUNNING CatBoost run on walmart with test_mape=1.0
    When I run the benchmark with "--dataset walmart --models catboost,lightgbm"
    Then the ranking by mape is "LightGBM=3.1"
    When I run the benchmark with "--dataset walmart --models catboost,lightgbm --include-unfinished"
    Then the ranking by mape is "CatBoost=1, LightGBM=3.1"

  Scenario: The default source comes from ML_PORTFOLIO_SOURCE
    When I run the benchmark with "--dataset walmart"
    And I run the benchmark with "--dataset walmart" and ML_PORTFOLIO_SOURCE=json
    Then the last results were read from "json"
    And the last two rankings are identical
