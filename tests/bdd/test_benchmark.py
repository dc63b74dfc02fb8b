"""Steps of features/benchmark.feature: real MLflow client, real CLI processes."""

from __future__ import annotations

import json

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.conftest import run_cli
from tests.support import RunSpec, log_to_mlflow

scenarios("benchmark.feature")


@pytest.fixture
def outcome():
    return {"rankings": []}


@given("an MLflow store with these runs, logged through the MLflow client")
def logged_runs(store, datatable):
    header, *rows = datatable
    specs = []
    for minute, row in enumerate(rows):
        cells = dict(zip(header, row))
        metrics = {k.strip(): float(v) for k, v in (pair.split("=") for pair in cells["metrics"].split(","))}
        specs.append(RunSpec(cells["run"], cells["experiment"], metrics, {},
                             {"model_type": cells["model_type"], "dataset": cells["dataset"]}, minute=minute))
    log_to_mlflow(store.client(), specs)


def _benchmark(store, outcome, flags: str, env: dict[str, str] | None = None):
    result = run_cli(["benchmark", *flags.split(), "--output-dir", "out"], store, env=env)
    outcome["result"] = result
    if result.returncode == 0:
        data = json.loads((store.folder / "out" / "mlflow_benchmark_results.json").read_text())
        outcome["rankings"].append([(r["model_name"], r["value"]) for r in data["rankings"]])
        outcome["metric"] = data["filters"]["rank_by"]
        outcome["data"] = data


@when(parsers.parse('I run the benchmark with "{flags}"'))
def run_benchmark(store, outcome, flags):
    _benchmark(store, outcome, flags)


@when(parsers.parse('I sync the warehouse and run the benchmark with "{flags}"'))
def sync_then_benchmark(store, outcome, flags):
    synced = run_cli(["sync"], store)
    assert synced.returncode == 0, synced.stderr
    _benchmark(store, outcome, flags)


@then(parsers.parse('the ranking by {metric} is "{expected}"'))
def ranking_is(outcome, metric, expected):
    assert outcome["result"].returncode == 0, outcome["result"].stderr
    assert outcome["metric"] == metric
    wanted = [(name, float(value)) for name, value in (pair.split("=") for pair in expected.split(", "))]
    assert outcome["rankings"][-1] == wanted


@then(parsers.parse('the error says "{text}"'))
def error_says(outcome, text):
    stderr = outcome["result"].stderr
    assert text in stderr and "Traceback" not in stderr, stderr


@then("the three rankings are identical")
def identical(outcome):
    assert len(outcome["rankings"]) == 3
    assert outcome["rankings"][0] == outcome["rankings"][1] == outcome["rankings"][2]
    assert outcome["rankings"][0] == [
        ("Oracle", 0.0),
        ("LightGBM", 3.1),
        ("XGBoost", 3.4),
        ("SeasonalNaive", 5.5),
        ("LightGBM", 8.0),
    ]


@given(parsers.parse("a RUNNING {model} run on {dataset} with test_mape={value:f}"))
def running_run(store, model, dataset, value):
    log_to_mlflow(store.client(), [RunSpec("still-running", "retail", {"test_mape": value}, {},
                                           {"model_type": model, "dataset": dataset}, status="RUNNING", minute=30)])


@when(parsers.parse('I run the benchmark with "{flags}" and ML_PORTFOLIO_SOURCE={source}'))
def run_with_source_env(store, outcome, flags, source):
    _benchmark(store, outcome, flags, env={**store.env(), "ML_PORTFOLIO_SOURCE": source})


@then(parsers.parse('the last results were read from "{source}"'))
def read_from(outcome, source):
    assert outcome["data"]["source"].split()[0] == source


@then("the last two rankings are identical")
def last_two(outcome):
    assert outcome["rankings"][-1] == outcome["rankings"][-2]


@then(parsers.parse("the {model} row counts {runs:d} runs with a {metric} std of {std:f}"))
def mean_row(outcome, model, runs, metric, std):
    (row,) = [r for r in outcome["data"]["results"] if r["model_name"] == model]
    assert row["runs"] == runs and row["std"][metric] == pytest.approx(std, abs=5e-5)
