Feature: One command runs the whole portfolio
  `ml-portfolio run` trains the portfolio, benchmarks it, promotes the ensemble (or, without it, the best model) to champion
  with its evidence, and serves the API and the dashboard until Ctrl-C. These scenarios run the
  real command in an empty working directory: SQLite MLflow store, no server.

  Scenario: The job serves the champion until Ctrl-C stops both servers
    When I run the main job for "seasonal_naive"
    Then it prints the URLs of the API and the dashboard and a curl for /predict
    And the curl gets 12 weeks from seasonal_naive version 1
    And the dashboard answers
    And the promotion of seasonal_naive to champion records the benchmark as its evidence
    When I press Ctrl-C
    Then the job exits with code 0 and both ports are closed

  Scenario: A supervisor's SIGTERM stops both servers
    When I run the main job for "seasonal_naive"
    And I send the job SIGTERM
    Then the job exits with code 0 and both ports are closed

  Scenario: A server that dies stops the other and the job exits 1
    When I run the main job for "seasonal_naive"
    And the API process dies
    Then the job says the API stopped and exits with code 1
    And both ports are closed

  Scenario: A taken port is refused before any training
    Given the API port is taken by another program
    When I run the main job for "seasonal_naive" and it ends
    Then it exits with code 2 and the error names the taken port
    And no run was recorded

  Scenario Outline: Bad data or an unreachable store exits 2 in one line
    When I run the main job without serving on <input>
    Then it exits with code 2 and the error says "<message>"

    Examples:
      | input                     | message                        |
      | a CSV without Weekly_Sales | no target column among Store, Date |
      | an unreachable tracking server | failed while opening experiment |

  Scenario: Running the job twice keeps every run and version and promotes nothing new
    Given the main job ran once without serving for "seasonal_naive,lightgbm" on a 3-store table
    When it runs again the same way
    Then it says the champion stays at version 1
    And the experiment has 4 FINISHED runs
    And each model has versions 1 and 2, each from its own run
    And one promotion is recorded
