Feature: The dashboard reads at a glance, on a small store and on a large one
  `ml-portfolio dashboard` over stores of 100 and 10,000 runs (five models, three datasets, three
  experiments, four backtest folds a run), benchmarked and synced by the real CLI, in headless
  Chromium on a 1500 x 1100 screen. Each page shows its headline (counts, tables) at once and its
  plots as they are ready; plots stretch to the page, categories (models, series) run down the
  vertical axis with a row each so their labels never overlap, and legends sit beside the plots.
  Screenshots are kept in test-artifacts/dashboard/.

  Scenario Outline: Every page over <runs> runs shows its headline and plots as wide as the page
    Given a dashboard over a store of <runs> runs, benchmarked and synced
    When I open each page with the source "duckdb"
    Then each page shows its headline, draws its plots at least 40% as wide as the page, and a screenshot of each is kept

    Examples:
      | runs  |
      | 100   |
      | 10000 |

  Scenario: A browser that prefers dark gets the dark theme
    Given a dashboard over a store of 100 runs, benchmarked and synced
    When a browser that prefers dark opens the "Model comparison" page
    Then the page is drawn in the dark theme, its address saying so, and a screenshot of it is kept

  Scenario: A returning browser keeps the static files
    Given a dashboard over a store of 100 runs, benchmarked and synced
    When I open each page with the source "duckdb"
    Then every script, style sheet and font the pages loaded may be kept by the browser for a day
