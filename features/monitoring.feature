Feature: The loop around serving: actuals arrive, forecasts are scored live, drift is caught, the portfolio retrains and promotes on evidence
  `ml-portfolio run --no-serve --models seasonal_naive,lightgbm` trained the synthetic weekly panel
  cut 13 weeks before its end (45 series to 2012-07-27) into an MLflow store and the embedded
  actuals store beside it (actuals.duckdb); the 13 weeks that follow (2012-08-03 to 2012-10-26) are
  the actuals that arrive. Every scenario works on a copy of those stores, through the real CLI and
  the app the real container builds.

  Background:
    Given the synthetic stores trained to 2012-07-27

  Scenario: Actuals settle the champion's forecasts, which are scored live
    When the next 13 weeks arrive through `ml-portfolio actuals add`
    Then it says "585 periods added" and scores the champion on them
    And the champion's live MAPE over the 585 settled periods is the MAPE of its stored forecast for them
    And /predict forecasts series 7 from 2012-10-26, the latest actual, and from 2012-07-27 when asked for the training origin

  Scenario: A correction is kept beside what it corrects
    When the next 13 weeks arrive through `ml-portfolio actuals add`
    And series 7's actual of 2012-08-03 is corrected to 1000 through POST /actuals with the token
    Then GET /actuals/7 shows both values of 2012-08-03, the correction in force
    And POST /actuals without the token is refused with 401 and stores nothing

  Scenario Outline: Bad actuals are refused whole, with a clear message
    When actuals arrive through POST /actuals with <problem>
    Then the status is 400 and the error says "<message>"
    And the store holds nothing new

    Examples:
      | problem                       | message                                           |
      | a Saturday                    | is not a period of dataset 'synthetic_walmart'   |
      | a missing value               | the value is missing                              |
      | a negative value              | the value -5.0 is negative                        |
      | a date before the series' first | is before its first actual 2010-02-05           |
      | a week skipped                | would have a gap                                  |

  Scenario: A level shift is flagged from its second period, and only where it happened
    When the next 13 weeks arrive with series 1 to 5 selling 1.5 times as much from 2012-10-19
    Then the champion's drift flags exactly series 1, 2, 3, 4 and 5, each with its evidence

  Scenario: Retrain promotes only on evidence, trains nothing when nothing is new, and loses nothing added meanwhile
    When the first 6 of the next 13 weeks arrive through `ml-portfolio actuals add`
    And `ml-portfolio retrain` runs while the other 7 arrive through `ml-portfolio actuals add`
    Then both succeed and the store holds the 13 weeks
    And the retrain registered new versions and says why it promoted or kept the champion
    When `ml-portfolio retrain` runs again
    Then it trains only if the 7 weeks were not in the first retrain's table
    When `ml-portfolio retrain` runs a third time
    Then it registers nothing, says "no new actuals", and exits 0

  Scenario: /metrics is Prometheus text: requests, latencies, errors, loaded versions, live accuracy and drift
    When the next 13 weeks arrive through `ml-portfolio actuals add`
    And a forecast is asked for and /metrics is read
    Then the metrics parse with prometheus_client's parser
    And they count the /predict request under the model that answered, with its latency
    And they give the champion's live MAPE and drift under its model and alias, never per series
