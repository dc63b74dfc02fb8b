Feature: The dashboard in a browser
  `ml-portfolio dashboard` shows the portfolio read from MLflow live, the benchmark JSON or the
  DuckDB warehouse. These scenarios drive a real dashboard process on 127.0.0.1 in headless
  Chromium, over a store whose runs were trained, benchmarked and synced by the real CLI, with
  lightgbm version 1 promoted to champion.

  The store also holds two runs of a second experiment, other_experiment, on dataset m5.

  Background:
    Given a dashboard over a trained, benchmarked and synced store

  Scenario Outline: Every page draws its plots
    When I open the "<page>" page
    Then it draws <plots> plots
    And a screenshot of the page is kept

    Examples:
      | page             | plots |
      | Overview         | 1     |
      | Model comparison | 5     |
      | Forecasts        | 1     |

  Scenario: The overview shows the benchmark's best model and the champion
    When I open the "Overview" page
    Then the best model and its MAPE are those the benchmark ranked first
    And the champion shown is lightgbm version 1

  Scenario: Every source gives the same ranking
    When I open the "Model comparison" page
    Then the rankings table is the benchmark's ranking for each source in turn: MLflow live, Benchmark JSON, DuckDB warehouse

  Scenario: A forecast comes from the registry with its interval band
    When I open the "Forecasts" page
    Then the forecast shown is the champion's and its table has 12 weeks within their intervals
    And its values are those the registered version forecasts for that series

  Scenario: A forecast from an uploaded recent history is drawn beside the stored one
    When I open the "Forecasts" page
    And I upload the history of series 7 to 2012-08-03 as recent history
    Then the facts name both origins: 2012-10-26 from training and 2012-08-03 from the upload
    And the uploaded history's forecast has 12 weeks from 2012-08-10, as the registered version forecasts them
    And a screenshot of the page is kept

  Scenario: A version with covariates says which, and a changed future value moves the forecast
    Given a dashboard over the store of the promotions panel
    When I open the "Forecasts" page
    And I choose the model "lightgbm" and the version "1"
    And I upload the promotions history of series P_03 with its rows of future values as recent history
    Then the covariates shown are "promo (future, number), price (future, number), store_size (static, text)"
    When I set promo to 1 on its first unpromoted forecast week
    Then the uploaded history's forecast of that week rises by at least 20%, the other weeks staying
    And a screenshot of the page is kept

  Scenario: The Monitoring page shows each served alias on the actuals, against its backtest, with drift
    Given a dashboard over the store after 4 weeks of actuals arrived, series 1 to 3 selling 1.5 times the forecast
    When I open the "Monitoring" page
    Then the served table has lightgbm@champion with 180 settled periods and its drift flags series 1, 2 and 3
    And it draws 2 plots
    And a screenshot of the page is kept

  Scenario: The series picker finds one series among 10,000
    Given a dashboard over a version that forecasts 10,000 series
    When I open the "Forecasts" page
    And I type "999" in the series picker
    Then it offers the series whose id holds "999", 9999 among them
    When I pick "9999"
    Then the forecast shown is series 9999's, 12 weeks one week apart

  Scenario: Daily and monthly versions are drawn day by day and month by month
    Given a dashboard over the store of the daily and monthly panels
    When I open the "Forecasts" page
    And I choose the model "lightgbm" and the version "1"
    Then the forecast table has 12 rows one day apart, the horizon slider going to 28
    When I choose the model "lightgbm" and the version "2"
    Then the forecast table has 12 rows one month apart, the horizon slider going to 12

  Scenario: The source status says what was read, when, and how much
    When I open the "Overview" page
    Then the source status names the MLflow store, when it was read and how many finished runs it holds

  Scenario: The experiment picker narrows the pages to one experiment
    When I open the "Overview" page
    And I pick the experiment "other_experiment"
    Then the overview counts 2 runs of 2 models

  Scenario: Reload reads the runs logged since the page opened
    Given a dashboard over its own copy of the store
    When I open the "Overview" page
    And a finished run is logged to the store
    And I press Reload
    Then the source status and the overview count one run more than before

  Scenario: The comparison shows each model season by season
    When I open the "Model comparison" page
    Then the season table shows each trained model's MAPE in every window, named by its origin

  Scenario: Comparison filters re-rank, and the gap is the benchmark's
    When I open the "Model comparison" page
    Then the significance line is the benchmark's test of the top two
    When I choose the dataset "m5"
    Then the rankings table shows CatBoost then XGBoost
    When I choose the dataset "(all)" and the models "LightGBM"
    Then the rankings table shows LightGBM
    And the significance line says the gap was not tested: "fewer than two models to compare"

  Scenario: An uploaded CSV is scored and its columns detected
    When I open the "Predictions explorer" page
    And I upload a CSV with columns "week,actual_sales,predicted_sales" and rows "2012-01-06,100,110; 2012-01-13,200,190; 2012-01-20,400,400; 2012-01-27,50,40"
    Then the columns selected are "week", "actual_sales" and "predicted_sales"
    And the scores shown are "MAPE 8.75 %", "RMSE 8.66" and "MAE 7.5"
    And it draws 3 plots
    And a screenshot of the page is kept

  Scenario: A million-row upload is scored in full and drawn in part
    When I open the "Predictions explorer" page
    And I upload a CSV of 1000000 rows, each prediction 10 away from an actual of 100
    Then the scores shown are "MAPE 10 %", "RMSE 10", "MAE 10" and "1,000,000 rows"
    And the page says "every 200th row drawn (5,000 of 1,000,000)"

  Scenario Outline: A malformed upload says what is wrong and the session goes on
    When I open the "Predictions explorer" page
    And I upload <upload>
    Then the page says "<message>"
    When I upload a CSV with columns "actual,predicted" and rows "10,11; 20,18"
    Then the scores shown are "MAPE 10 %"

    Examples:
      | upload                                                        | message                          |
      | a PNG image                                                   | not a CSV file                   |
      | a CSV with columns "city,state" and rows "Austin,TX; Boston,MA" | no numeric column              |
      | a CSV with columns "store,city" and rows "1,Austin; 2,Boston" | only one numeric column (store)  |
      | a CSV with columns "actual,predicted" and rows "10,11; 20,"   | mismatched lengths               |
      | a CSV with columns "actual,predicted" and rows "0,1; 20,18"   | MAPE is undefined: the actual is 0 in row(s) 2 |

  Scenario: The benchmark results page downloads the table it shows
    When I open the "Benchmark results" page
    Then the summary statistics have one row per model with its runs
    And the downloaded CSV has the rows of the results table, as the benchmark wrote them
    And a screenshot of the page is kept

  Scenario: No benchmark JSON yet
    Given the dashboard's results file does not exist
    When I open the "Overview" page with the source "json"
    Then the page says "ml-portfolio benchmark writes them"
    And the source shown is "json"

  Scenario: The tracking store is unreachable
    Given a dashboard whose tracking store is unreachable
    When I open the "Overview" page
    Then the page says "failed while"
    When I open the "Predictions explorer" page
    And I upload a CSV with columns "actual,predicted" and rows "10,11; 20,18"
    Then the scores shown are "MAPE 10 %"
