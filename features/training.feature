Feature: Training the forecasting portfolio
  `ml-portfolio train` fits each model, evaluates it out of time, logs the run to MLflow and
  registers a version that forecasts on its own, with prediction intervals: from the last period
  it was trained on, or from any history it is given.

  Scenario: Training on the synthetic default registers servable versions
    When I train "seasonal_naive,lightgbm" on the synthetic default into an empty working directory
    Then the command succeeds
    And the runs are in mlflow.db in the working directory
    And experiment "synthetic_walmart" has one FINISHED run per model on dataset "synthetic_walmart"
    And each run logs its protocol and estimator parameters
    And each model is registered as version 1 created by its run

  Scenario: A dataset name and no registration
    When I train "seasonal_naive" with "--dataset shop --no-register" on the synthetic default
    Then the command succeeds
    And experiment "shop" has one FINISHED run per model on dataset "shop"
    And no model is registered

  Scenario: A registered version forecasts 12 weeks inside its interval
    Given a store where "lightgbm" was trained on the synthetic default
    When I load "models:/lightgbm/1" and forecast series "7" for 12 weeks
    Then I get 12 rows for series "7", one per week after the last training week
    And every row has lower <= prediction <= upper

  Scenario: A registered version forecasts from the history it is given
    Given a store where "lightgbm" was trained on the synthetic default
    When I load "models:/lightgbm/1" and forecast from the history of series "7" to 2012-08-03 for 4 weeks
    Then I get 4 rows for series "7", one per week after 2012-08-03, each saying its origin
    And every row has lower <= prediction <= upper
    And the history to 2012-10-26 gives the forecast the version stored

  Scenario: Two years and a horizon of weekly data train every member, with the folds the history holds
    Given a synthetic weekly table of 6 series and 116 weeks
    When I run ml-portfolio train with "--models seasonal_naive,lightgbm,mstl" on that CSV
    Then the command succeeds
    And it says "3 backtest fold(s), not 4: 116 weeks hold no more (117 needed for 4)"
    And each run is tagged with those folds and logs 3 folds
    And no window of the lightgbm run needed the baseline

  Scenario: A table too short for one fold a full stride back trains one fold as far back as a season allows
    Given a synthetic weekly table of 6 series and 70 weeks
    When I run ml-portfolio train with "--models seasonal_naive,mstl" on that CSV
    Then the command succeeds
    And it says "1 backtest fold 5 weeks before the test window, not 4 13 weeks apart: 70 weeks hold no more (78 needed for one a full stride back)"
    And the seasonal_naive run logs fold1_mape and test_mape, its first origin a season after the first week

  Scenario: Only a table that cannot hold a season, a fold and the test window is refused, with the numbers
    Given a synthetic weekly table of 4 series and 65 weeks
    When I run ml-portfolio train with "--models seasonal_naive" on that CSV
    Then the command fails with exit code 2
    And the error is one line naming "the table spans 65 weeks; it needs at least 66: a season (52)"

  Scenario: A CSV without a target column fails with a message naming the flag that decides
    Given a sales CSV without the "Weekly_Sales" column
    When I run ml-portfolio train on that CSV
    Then the command fails with exit code 2
    And the error is one line naming "no target column among Store, Date"
    And the error is one line naming "--target-col"
    And no run was recorded

  Scenario: The seasonal-naive run matches a hand-computed value on a tiny table
    Given a table of 2 stores and 78 weeks whose last 12 weeks sell 10% more than the same weeks a year before
    When I run ml-portfolio train with "--models seasonal_naive --folds 1" on that CSV
    Then the command succeeds
    And the seasonal_naive run logs test_mape 9.0909 to 4 decimals

  Scenario: The statistical members and the ensemble are full citizens
    When I train "mstl,theta,ensemble" with "--folds 2" on the synthetic default
    Then the command succeeds
    And experiment "synthetic_walmart" has one FINISHED run per model on dataset "synthetic_walmart"
    And each run logs every window, its origin and the overall mean
    And the ensemble logs the weight of each member it chose from: a third to each of three
    And each model is registered as version 1 created by its run
    And each registered version forecasts series "7" for 12 weeks inside its interval

  Scenario: The ranking weighs every window, not the test window alone
    Given runs where catboost wins the test window but loses every fold to lightgbm
    When I benchmark them
    Then lightgbm ranks first and catboost second, by overall mape
    When I benchmark them with "--rank-on test"
    Then catboost ranks first and lightgbm second, by test mape

  Scenario: The main job promotes the model that is best over every window
    When I run the main job with "--models seasonal_naive,aligned_naive --no-serve" on the synthetic default
    Then the command succeeds
    And the champion is the model with the lowest overall_mape, its evidence saying "by overall mape"
