Feature: Forecasts and promotions over HTTP
  The API serves registered model versions with prediction intervals and promotes versions
  safely. A version forecasts from its training origin, or from the history a request sends:
  each series from the last date of its own rows, a series the version never saw too. It runs
  on the app the real container builds, over an MLflow store trained on the synthetic default
  (lightgbm version 1, seasonal_naive versions 1 and 2; weekly, 2010-02-05 to 2012-10-26),
  copied afresh for each scenario, with no alias set.

  Background:
    Given the API over the trained store, with promotion token "s3cret"

  Scenario: Forecast one series with intervals
    When I POST /predict with {"series_id": "7", "model_name": "lightgbm"}
    Then the status is 200
    And series "7" gets 12 weekly predictions from 2012-11-02 inside their intervals
    And the answer names lightgbm version 1 with the test metrics of its run

  Scenario: A numbered series can be named by number
    When I POST /predict with {"series_id": 7, "model_name": "lightgbm"}
    Then the status is 200
    And series "7" gets 12 weekly predictions from 2012-11-02 inside their intervals

  Scenario: Forecast a batch of series without intervals
    When I POST /predict with {"series_ids": ["1", "2", "45"], "horizon": 4, "model_name": "seasonal_naive", "model_version": "1", "include_intervals": false}
    Then the status is 200
    And series 1, 2, 45 get 4 predictions each and no intervals

  Scenario: Without a history a version forecasts from its training origin, and says so
    When I POST /predict with {"series_id": "7", "model_name": "lightgbm"}
    Then the forecast of series "7" is from 2012-10-26 and not the baseline's

  Scenario: With a history each series is forecast from the last date of its own rows
    When I ask lightgbm for the history of series "7" to 2012-08-03 and of series "8" to 2012-09-07
    Then the status is 200
    And the forecast of series "7" is from 2012-08-03 and not the baseline's
    And the forecast of series "8" is from 2012-09-07 and not the baseline's
    And series "7" is forecast for the 12 weeks from 2012-08-10

  Scenario: A series the version never saw is forecast from its history
    When I ask lightgbm for the history of series "7" to 2012-10-26 under the id "opened-today"
    Then the status is 200
    And the forecast of "opened-today" is the stored forecast of series "7"

  Scenario: A history too short for the member's features is answered by the baseline, and says so
    When I ask lightgbm for the last 20 weeks of series "7"
    Then the status is 200
    And the forecast of series "7" is from 2012-10-26 and the baseline's

  Scenario Outline: A bad history is refused whole, naming the series and the date
    When I ask lightgbm for the history of series "7" to 2012-08-03 <broken>
    Then the status is 400
    And the error says "<detail>"

    Examples:
      | broken                                | detail                                                                     |
      | without its row for 2012-03-02        | series 7 has a gap: no row for 1 week(s) (2012-03-02)                     |
      | with its row for 2012-03-02 twice     | series 7 has more than one row for 2012-03-02                             |
      | with 2012-03-02 dated 2012-03-03      | series 7, 2012-03-03 is not a date of this version's weekly (W-FRI) periods |
      | with -5 for 2012-03-02                | series 7, 2012-03-02: the value -5.0 is negative                          |
      | with no value for 2012-03-02          | series 7, 2012-03-02: the value is missing                                |

  Scenario: More history than the limit is refused before any work
    When I ask lightgbm for 50,001 rows of history
    Then the status is 400
    And the error names the field "history"

  Scenario: Digits of other scripts are text ids, never numbers
    When I POST /predict with {"series_id": "٣", "model_name": "lightgbm"}
    Then the status is 404
    And the error says "unknown series_id ٣"
    When I ask lightgbm for the history of series "7" to 2012-10-26 under the id "²"
    Then the status is 200
    And the forecast of "²" is the stored forecast of series "7"

  Scenario: A version says what a forecast request to it needs
    When I GET /models/lightgbm
    Then the status is 200
    And the answer says lightgbm forecasts weekly (W-FRI) periods from 2012-10-26 and needs 119 of history

  Scenario: The deprecated store_id still works and says so
    When I POST /predict with {"store_id": 7, "model_name": "lightgbm"}
    Then the status is 200
    And the answer is the forecast of series "7" and says "store_id and store_ids are deprecated"

  Scenario: A higher confidence level gives a wider interval
    When I forecast series "3" with lightgbm at confidence 0.8 and at 0.99
    Then every interval at 0.99 is wider than at 0.8

  Scenario: Without a model name the best champion serves, not the latest lightgbm
    Given seasonal_naive version 1 is the champion
    When I POST /predict with {"series_id": "5"}
    Then the status is 200
    And the answer names seasonal_naive version 1 with the test metrics of its run

  Scenario: Without any champion the latest lightgbm serves
    When I POST /predict with {"series_id": "5"}
    Then the status is 200
    And the answer names lightgbm version 1 with the test metrics of its run

  Scenario: A named model without a version serves its latest
    When I POST /predict with {"series_id": "5", "model_name": "seasonal_naive"}
    Then the status is 200
    And the answer names seasonal_naive version 2 with the test metrics of its run

  Scenario: List and describe models
    When I GET /models
    Then the status is 200
    And the list holds lightgbm at version 1 and seasonal_naive at version 2, each with test_mape
    When I GET /models/seasonal_naive?version=1
    Then the status is 200
    And the answer is version 1 of seasonal_naive

  Scenario: Promotion needs the token
    When I promote seasonal_naive version 2 to alias "challenger" with token "wrong"
    Then the status is 401
    When I promote seasonal_naive version 2 to alias "challenger" without a token
    Then the status is 401
    And seasonal_naive has no alias "challenger" and no promotion recorded

  Scenario: Promotion is refused when the server has no token
    Given the API over the trained store, with no promotion token
    When I promote seasonal_naive version 2 to alias "challenger" with token "s3cret"
    Then the status is 403
    And the error says "ML_PORTFOLIO_API_TOKEN"
    And seasonal_naive has no alias "challenger" and no promotion recorded

  Scenario: A promotion is recorded and served
    When I promote seasonal_naive version 1 to alias "challenger" with token "s3cret"
    And I promote seasonal_naive version 2 to alias "challenger" with token "s3cret"
    Then the status is 200
    And the promotion moved challenger from version 1 to version 2
    When I POST /predict with {"series_id": "1", "model_name": "seasonal_naive", "model_version": "challenger"}
    Then the answer names seasonal_naive version 2 with the test metrics of its run
    When I GET /models/seasonal_naive/promotions
    Then the history ends with challenger from version 1 to version 2 by "tester"

  Scenario: A legacy stage is honoured as an alias and reported as deprecated
    When I promote seasonal_naive version 2 to stage "Staging" with token "s3cret"
    Then the status is 200
    And the promotion set alias challenger and says stages are deprecated

  Scenario Outline: Errors are JSON with the right status
    When I <request>
    Then the status is <status>
    And the error says "<detail>"

    Examples:
      | request                                                              | status | detail                                  |
      | POST /predict with {"series_id": "1", "model_name": "prophet"}          | 404    | no registered model 'prophet'           |
      | POST /predict with {"series_id": "1", "model_name": "lightgbm", "model_version": "9"} | 404 | model 'lightgbm' has no version 9 |
      | POST /predict with {"series_id": "1", "model_name": "lightgbm", "model_version": "gold"} | 404 | model 'lightgbm' has no alias 'gold' |
      | POST /predict with {"series_id": "99", "model_name": "lightgbm"}     | 404    | this model knows 45 series: 1..45       |
      | POST /predict with {"series_id": "", "model_name": "lightgbm"}       | 400    | Validation failed                       |
      | POST /predict with {"series_id": "1", "horizon": 53}                    | 400    | Validation failed                       |
      | POST /predict with {"series_id": "1", "confidence_level": 0.3}          | 400    | Validation failed                       |
      | POST /predict with {"horizon": 4}                                    | 400    | exactly one of series_id and series_ids |
      | POST /predict with {"horizon": 4, "history": []}                     | 400    | Validation failed                       |
      | POST /predict with {"series_id": "1", "store_id": 1}                 | 400    | exactly one of series_id and series_ids |
      | POST /predict with {"series_id": "1", "colour": "red"}                  | 400    | Validation failed                       |
      | GET /models/nope                                                     | 404    | no registered model 'nope'              |
      | GET /models/..%2Fetc                                                 | 404    | Not Found                               |
      | GET /models/bad%20name                                               | 400    | Validation failed                       |

  Scenario: An invalid body names the field
    When I POST /predict with {"series_id": "1", "horizon": 53}
    Then the status is 400
    And the error names the field "horizon"
