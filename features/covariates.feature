Feature: Covariates: what the forecaster knows about the future, the past and each series
  A table's other columns are used when the user names them: `--future-cols` for values known
  for every forecast period (a planned promotion, a price), `--past-cols` for values observed up
  to the origin only, `--static-cols` for one value per series. Rows after a series' last value
  with an empty target carry the future values. The machine-learning members use every kind
  through their features, AutoARIMA takes the future ones as regressors, the others none, and
  each run says which. A version lists its covariates, and a forecast from a history carries
  them: without the future values it needs it is refused, naming the column and the dates.
  These scenarios train the real CLI on the promotions panel `ml-portfolio synthetic` writes
  (12 series, its last 12 weeks future rows) and serve it through the app the container builds.

  Background:
    Given the promotions panel of 12 series, its last 12 weeks future rows, trained with "lightgbm,theta" and "--future-cols promo,price --static-cols store_size"

  Scenario: Each run says which covariates its model uses, and the version lists them
    Then the lightgbm run is tagged covariates "uses promo (future, number), price (future, number), store_size (static, text)"
    And the theta run is tagged covariates "not promo, price, store_size: it forecasts each series from its own values alone"
    And GET /models/lightgbm lists promo as future number, price as future number and store_size as static text
    And the lightgbm version's signature takes promo and price as doubles and store_size as a string, and names their kinds
    And the lightgbm run's features end with "promo,promo_season_ago,price,price_season_ago,store_size"

  Scenario: Promotions the version is told about are forecast; without covariates they are missed
    Given lightgbm trained on the same panel without covariates
    Then on the promoted weeks of the future rows, the lightgbm version with covariates has a MAPE at least 40% below the one without

  Scenario: A forecast without the future values it needs is refused, naming them
    When I forecast with its lightgbm version from the table without its future rows
    Then the command exits 2 and says "this version needs the future values of promo for every forecast period"
    And the API answers 400 to that history, saying "needs the future values of promo"
    And the API answers 400 to future rows dated after the horizon, saying "outside the forecast periods"
    And the API answers 400 to future rows without a history, saying "future rows come with a history"

  Scenario: The future rows travel with the forecast, and a changed future value moves it
    When I forecast with its lightgbm version from the table with its future rows
    Then the command succeeds and writes 12 weeks for each of the 12 series
    And mlflow.pyfunc forecasts the same from the table's rows, its rows of future values with an empty value
    And through the API, a week with promo set to 1 at a 30% lower price is forecast at least 20% higher than without
