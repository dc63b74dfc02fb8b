Feature: Bring your own series
  `ml-portfolio train` takes any long table of regular series: daily, weekly on any weekday,
  monthly, quarterly or yearly, ids as text or as numbers, series that start late, histories
  shorter than the folds asked for. The frequency sets the season, the
  horizons and the fold spacing. These scenarios run the real CLI on panels that
  `ml-portfolio synthetic` writes, and serve what they register through the app the real
  container builds.

  Scenario Outline: A <frequency> panel trains, registers and serves, and every boosted model beats the baseline
    Given the <frequency> panel of 12 series trained with "lightgbm,xgboost,catboost,seasonal_naive"
    Then every run of it says <code>, a season of <season> and a <horizon>-<unit> horizon
    And every boosted model beats seasonal_naive in every window
    And the API forecasts series "<series>" with its lightgbm version for <horizon> <unit>s, one <unit> apart after its last date

    Examples:
      | frequency | code | season | horizon | unit  | series |
      | daily     | D    | 7      | 14      | day   | D_01   |
      | monthly   | MS   | 12     | 6       | month | M_12   |

  Scenario: A quarterly table dated on the first of March, June... trains with no flag but its columns
    Given the last 32 quarters of the shared prison table
    When I train "seasonal_naive,mstl,lightgbm,autoets,autotheta" on it with "--target-col count"
    Then the command succeeds
    And the output says "32 series x 32 quarters (QS-MAR), 2009-03-01..2016-12-01"
    And the output says "2 backtest fold(s), not 4: 32 quarters hold no more (45 needed for 4)"
    And the lightgbm run is tagged frequency "QS-MAR"
    And the lightgbm run is tagged folds "2 backtest fold(s), not 4: 32 quarters hold no more (45 needed for 4)"
    And every version forecasts the 8 quarters after a history, on the first of March, June...

  Scenario: A one-series daily year is backtested on as many windows two weeks apart as make 24
    Given the shared daily electricity table
    When I train "seasonal_naive,theta" on it
    Then the command succeeds
    And the theta run is tagged folds "24"
    And the theta run has param fold_stride "14"
    And the theta run has param interval_windows "1-14:25,15-28:24"

  Scenario: Series that start late, with text ids, are forecast by the baseline until they have a year
    Given a weekly panel of 20 series with text ids, 3 of which start 100 weeks late
    When I train "lightgbm,seasonal_naive" on it
    Then the command succeeds
    And the output says "lightgbm: the final fit: 3 of 20 series forecast by the baseline (too short for its features)"
    And the lightgbm run is tagged baseline_series "3"
    And its registered version forecasts a late series from that series' own last weeks

  Scenario: A missing week inside a series is an error unless a fill is named
    Given a weekly panel in which series "S_02" has no row for 2 weeks
    When I train "seasonal_naive" on it
    Then the command fails with exit code 2
    And the error is one line naming "series S_02 has a gap: no row for 2 week(s)"
    And the error is one line naming "--fill zero or --fill interpolate"
    When I train "seasonal_naive" on it with "--fill interpolate"
    Then the command succeeds
    And the seasonal_naive run is tagged filled "filled 2 missing week(s) in 1 series with values interpolated between their neighbours"

  Scenario: A country's holidays come from the holidays package
    Given a weekly panel of 20 series with text ids, 3 of which start 100 weeks late
    When I train "aligned_naive" on it with "--holidays DE"
    Then the command succeeds
    And the aligned_naive run is tagged holidays "DE"
    And the output says "holidays: DE"
