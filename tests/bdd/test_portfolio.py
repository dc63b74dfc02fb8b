"""Steps of features/portfolio.feature: the real `ml-portfolio run` in an empty working directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from adapters.forecasting.synthetic import synthetic_walmart
from tests.conftest import CLI, Lines, free_port, run_cli
from tests.support import every_experiment

scenarios("portfolio.feature")


@pytest.fixture
def job():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _start(store, job, models: str, api: int, dashboard: int) -> dict:
    process = subprocess.Popen(
        CLI + ["run", "--models", models, "--api-port", str(api), "--dashboard-port", str(dashboard)],
        cwd=store.folder, env=store.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    job.append(process)
    return {"process": process, "stdout": Lines(process.stdout), "stderr": Lines(process.stderr),
            "api": api, "dashboard": dashboard}


@when(parsers.parse('I run the main job for "{models}"'), target_fixture="served")
def run_and_serve(store, job, models):
    served = _start(store, job, models, free_port(), free_port())
    # the job prints its URLs once both servers answer (training and start-up take a while)
    served["stdout"].until(lambda line: line.startswith("Ctrl-C stops both"), seconds=600)
    served["printed"] = served["stdout"].seen
    return served


@given("the API port is taken by another program", target_fixture="taken")
def taken_port():
    listener = socket.create_server(("127.0.0.1", 0))
    yield listener.getsockname()[1]
    listener.close()


@when(parsers.parse('I run the main job for "{models}" and it ends'), target_fixture="served")
def run_until_it_ends(store, job, taken, models):
    served = _start(store, job, models, taken, free_port())
    served["code"] = served["process"].wait(timeout=600)
    return served


@then("it exits with code 2 and the error names the taken port")
def refused(served, taken):
    assert served["code"] == 2
    assert served["stderr"].rest().strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{taken}: Address already in use; pick another with --api-port / "
        "--dashboard-port"]


@then("no run was recorded")
def no_run(store):
    assert not (store.folder / "mlflow.db").exists() or store.client().search_runs(
        [e.experiment_id for e in store.client().search_experiments()]) == []


@when(parsers.parse("I run the main job without serving on {given_input}"), target_fixture="ended")
def run_on_bad_input(store, given_input):
    if given_input == "a CSV without Weekly_Sales":
        synthetic_walmart(stores=2).drop(columns=["Weekly_Sales"]).to_csv(store.folder / "sales.csv", index=False)
        return run_cli(["run", "--no-serve", "--models", "seasonal_naive", "--data", "sales.csv"], store)
    unreachable = f"http://127.0.0.1:{free_port()}"
    return run_cli(["--tracking-uri", unreachable, "run", "--no-serve", "--models", "seasonal_naive"], store,
                   timeout=300)


@then(parsers.parse('it exits with code 2 and the error says "{message}"'))
def exits_2(ended, message):
    assert ended.returncode == 2, ended.stderr
    errors = [line for line in ended.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in ended.stderr, ended.stderr


@when("I send the job SIGTERM")
def sigterm(served):
    served["process"].send_signal(signal.SIGTERM)


@when("the API process dies")
def api_dies(served):
    (api,) = [pid for pid in _children(served["process"].pid)
              if b"serve" in (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")]
    os.kill(api, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    return [int(c) for c in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()]


@then("the job says the API stopped and exits with code 1")
def job_exits_1(served):
    assert served["process"].wait(timeout=60) == 1
    assert "error: the API stopped (exit code -9); stopping the rest" in served["stderr"].rest()


@then("both ports are closed")
def ports_closed(served):
    for port in (served["api"], served["dashboard"]):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, port


@then("it prints the URLs of the API and the dashboard and a curl for /predict")
def prints_urls(served):
    text = "".join(served["printed"])
    assert f"API        http://127.0.0.1:{served['api']}" in text, text
    assert f"Dashboard  http://127.0.0.1:{served['dashboard']}" in text, text
    curl = next(line for line in served["printed"] if line.startswith("Try"))
    assert f"curl -s http://127.0.0.1:{served['api']}/predict" in curl
    served["body"] = json.loads(curl.split(" -d ", 1)[1].strip().strip("'"))


@then(parsers.parse("the curl gets {weeks:d} weeks from {model} version {version:d}"))
def curl_answers(served, weeks, model, version):
    answer = httpx.post(f"http://127.0.0.1:{served['api']}/predict", json=served["body"], timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["model_name"], body["model_version"]) == (model, version)
    assert len(body["forecasts"][0]["predictions"]) == weeks


@then("the dashboard answers")
def dashboard_answers(served):
    assert httpx.get(f"http://127.0.0.1:{served['dashboard']}/", timeout=60).status_code == 200


@then(parsers.parse("the promotion of {model} to champion records the benchmark as its evidence"))
def evidence(served, model):
    promotions = httpx.get(f"http://127.0.0.1:{served['api']}/models/{model}/promotions", timeout=60).json()[
        "promotions"
    ]
    assert [(p["alias"], p["to_version"]) for p in promotions] == [("champion", 1)]
    assert promotions[0]["evidence"].startswith("ranked 1 of 1 models by overall mape")
    assert "results/benchmarks/mlflow_benchmark_results.json" in promotions[0]["evidence"]


@when("I press Ctrl-C")
def ctrl_c(served):
    served["process"].send_signal(signal.SIGINT)


@then("the job exits with code 0 and both ports are closed")
def stopped(served):
    assert served["process"].wait(timeout=60) == 0
    assert served["stderr"].rest().strip().splitlines()[-1] == "stopped"
    ports_closed(served)


def _no_serve(store, models: str) -> subprocess.CompletedProcess:
    return run_cli(["run", "--no-serve", "--models", models, "--data", "sales.csv"], store)


@given(parsers.parse('the main job ran once without serving for "{models}" on a 3-store table'), target_fixture="runs")
def ran_once(store, models):
    synthetic_walmart(stores=3).to_csv(store.folder / "sales.csv", index=False)
    first = _no_serve(store, models)
    assert first.returncode == 0, first.stderr
    assert "promoted" in first.stdout
    return {"models": models}


@when("it runs again the same way")
def again(store, runs):
    runs["second"] = _no_serve(store, runs["models"])
    assert runs["second"].returncode == 0, runs["second"].stderr


@then(parsers.parse("it says the champion stays at version {version:d}"))
def stays(runs, version):
    assert f"@champion stays at version {version}" in runs["second"].stdout
    assert "promoted" not in runs["second"].stdout


@then(parsers.parse("the experiment has {count:d} FINISHED runs"))
def finished_runs(store, runs, count):
    client = store.client()
    found = client.search_runs(every_experiment(client))
    assert len(found) == count and {r.info.status for r in found} == {"FINISHED"}
    runs["ids"] = {r.info.run_id for r in found}


@then("each model has versions 1 and 2, each from its own run")
def versions(store, runs):
    client = store.client()
    used = []
    for model in runs["models"].split(","):
        found = client.search_model_versions(f"name = '{model}'")
        assert sorted(int(v.version) for v in found) == [1, 2]
        used += [v.run_id for v in found]
    assert len(used) == len(set(used)) and set(used) == runs["ids"]


@then("one promotion is recorded")
def one_promotion(store, runs):
    client = store.client()
    tags = [key for model in runs["models"].split(",") for v in client.search_model_versions(f"name = '{model}'")
            for key in v.tags if key.startswith("promotion.")]
    assert len(tags) == 1
