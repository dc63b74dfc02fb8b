"""Steps of features/cluster.feature: PostgreSQL, `mlflow server` and a Dask cluster on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pandas as pd
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.browser import SECONDS, _text, poll
from tests.cluster import DaskCluster, mlflow_on, postgres
from tests.conftest import CLI, Lines, Store, free_port, run_cli, running
from tests.support import WEEKLY_MODELS

scenarios("cluster.feature")

METRICS = ("fold", "test_", "backtest_", "overall_")  # everything but the seconds a fit took


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An `mlflow server` on 127.0.0.1 keeping its runs in a PostgreSQL cluster of its own."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    with postgres() as database, mlflow_on(database, folder) as uri:
        yield uri


@pytest.fixture(scope="module")
def on_server(server, tmp_path_factory) -> Store:
    """A working directory whose commands reach the server through MLFLOW_TRACKING_URI alone."""
    return Store(tmp_path_factory.mktemp("on-server"), tracking=server)


@pytest.fixture(scope="module")
def portfolio(on_server, tmp_path_factory):
    """`ml-portfolio train --models all --scheduler ...` on a cluster of two workers, into the server, once: 9
    members (the ensemble combines them in the driver) x 6 windows."""
    cluster = DaskCluster(tmp_path_factory.mktemp("dask-portfolio")).start(2)
    try:
        return run_cli(["train", "--models", "all", "--scheduler", cluster.address], on_server, timeout=1200)
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> Store:
    """The same training in one process, into a SQLite store."""
    store = Store(tmp_path_factory.mktemp("sequential"))
    result = run_cli(["train", "--models", "all"], store, timeout=1200)
    assert result.returncode == 0, result.stderr
    return store


@pytest.fixture(scope="module")
def in_one_process(one_process) -> dict[str, dict[str, float]]:
    """model -> the metrics of its run in one process."""
    return _metrics(one_process)


def _newest(store: Store, experiment: str = "synthetic_walmart") -> dict:
    """The newest run of each model in the experiment."""
    client = store.client()
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id],
                               order_by=["attributes.start_time DESC"])
    newest: dict = {}
    for run in found:
        newest.setdefault(run.data.params.get("model") or run.data.tags["model_type"].lower(), run)
    return newest


def _metrics(store: Store) -> dict[str, dict[str, float]]:
    return {model: {k: v for k, v in run.data.metrics.items() if k.startswith(METRICS)}
            for model, run in _newest(store).items() if run.info.status == "FINISHED"}


@given("an mlflow server that keeps its runs in PostgreSQL")
def a_server(server):
    assert server.startswith("http://127.0.0.1:")


@given("a Dask scheduler with 2 workers", target_fixture="cluster")
def a_cluster(tmp_path, request):
    cluster = DaskCluster(tmp_path).start(2)
    request.addfinalizer(cluster.stop)
    return cluster


@given("the portfolio trained on the cluster into the server", target_fixture="outcome")
def trained(portfolio, on_server):
    return {"store": on_server, "result": portfolio, "models": "all"}


@then("the output says the fits ran on the cluster")
def ran_on_the_cluster(outcome):
    assert "54 fits of 9 model(s) run on the Dask cluster at tcp://127.0.0.1:" in outcome["result"].stderr


@then("every run's metrics are those of the same training in one process")
def same_metrics(outcome, in_one_process):
    found = _metrics(outcome["store"])
    models = list(in_one_process) if outcome["models"] == "all" else outcome["models"].split(",")
    for model in models:
        assert found[model].keys() == in_one_process[model].keys(), model
        for name, value in in_one_process[model].items():
            assert found[model][name] == pytest.approx(value, rel=1e-9, abs=1e-12), (model, name)


def _forecast(store: Store, model: str, series: str) -> pd.DataFrame:
    """What the version of the store's newest run of `model` forecasts for the series."""
    import mlflow

    (version,) = store.client().search_model_versions(f"run_id = '{_newest(store)[model].info.run_id}'")
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    return mlflow.pyfunc.load_model(f"models:/{model}/{version.version}").predict(
        pd.DataFrame({"series_id": [series], "horizon": [12], "confidence_level": [0.9]}))


@then(parsers.parse('every model has a version on the server that forecasts series "{series}" as its version '
                    "from one process does"))
def versions_forecast(outcome, one_process, series):
    for model in _newest(outcome["store"]):
        on_server, at_home = _forecast(outcome["store"], model, series), _forecast(one_process, model, series)
        assert len(on_server) == 12, model
        for column in ("prediction", "lower", "upper"):
            assert on_server[column].tolist() == pytest.approx(at_home[column].tolist(), rel=1e-9), (model, column)


def _started(command: list[str], store: Store):
    """A CLI process whose error output is read line by line."""
    process = subprocess.Popen(CLI + command, cwd=store.folder, env=store.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    return process, Lines(process.stderr)


@when(parsers.parse('I train "{models}" on the cluster into the server and kill {which} once the fits are running'),
      target_fixture="outcome")
def train_and_kill(on_server, cluster, models, which):
    process, lines = _started(["train", "--models", models, "--scheduler", cluster.address], on_server)
    lines.until(lambda line: "run on the Dask cluster" in line, seconds=300)
    time.sleep(3)  # every fit is submitted: each worker is in the middle of one
    for worker in cluster.workers[: 1 if which == "a worker" else None]:
        cluster.kill(worker)
    stderr = lines.rest(seconds=600)
    return {"store": on_server, "models": models,
            "result": subprocess.CompletedProcess(process.args, process.wait(timeout=60), process.stdout.read(),
                                                  stderr)}


@then(parsers.parse('its output ends with one error line naming "{text}"'))
def ends_with_one_error(outcome, text):
    lines = outcome["result"].stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [lines[-1]] and text in lines[-1], lines[-5:]
    assert "Traceback" not in outcome["result"].stderr


@then(parsers.parse("the {model} run on the server is FAILED and no version came of it"))
def failed_run(outcome, model):
    run = _newest(outcome["store"])[model]
    assert run.info.status == "FAILED"
    assert outcome["store"].client().search_model_versions(f"run_id = '{run.info.run_id}'") == []


@pytest.fixture
def versions_before(on_server, portfolio) -> set[tuple[str, str]]:
    return {(v.name, str(v.version)) for v in on_server.client().search_model_versions()}


@then("every version registered before is still there")
def still_there(outcome, versions_before):
    now = {(v.name, str(v.version)) for v in outcome["store"].client().search_model_versions()}
    assert versions_before and versions_before <= now


@when(parsers.parse('I forecast every series of "{model}" for {weeks:d} weeks on the cluster into "{path}"'),
      target_fixture="outcome")
def batch_forecast(on_server, cluster, model, weeks, path):
    result = run_cli(["forecast", "--model", model, "--horizon", str(weeks), "--output", path, "--chunk", "10",
                      "--scheduler", cluster.address], on_server)
    return {"store": on_server, "result": result, "path": on_server.folder / path, "model": model}


@then(parsers.parse("the file holds {weeks:d} weeks of each of the {series:d} series with intervals, "
                    "as the API forecasts them"))
def file_as_the_api(outcome, weeks, series):
    from litestar.testing import TestClient

    from entrypoints.config import Settings
    from entrypoints.http import create_app

    found = pd.read_parquet(outcome["path"])
    assert len(found) == weeks * series and found["series_id"].nunique() == series
    assert "5 chunk(s), run on the Dask cluster" in outcome["result"].stderr  # 45 series, 10 a chunk
    name, version = outcome["model"].split("/")
    settings = Settings(tracking_uri=outcome["store"].uri)
    with TestClient(app=create_app(settings)) as client:
        body = client.post("/predict", json={"series_ids": list(found["series_id"].unique()), "horizon": weeks,
                                             "model_name": name, "model_version": version}).json()
    for forecast in body["forecasts"]:
        rows = found[found["series_id"] == forecast["series_id"]].sort_values("step")
        assert rows["prediction"].tolist() == pytest.approx(forecast["predictions"], rel=1e-12)
        assert rows["lower"].tolist() == pytest.approx(forecast["confidence_intervals"]["lower"], rel=1e-12)
        assert [d.isoformat() for d in rows["date"]] == forecast["timestamps"]


@when("I sync, benchmark and promote the best ranked model to champion", target_fixture="ranked")
def sync_benchmark_promote(on_server):
    import json

    for command in (["sync"], ["benchmark"]):
        result = run_cli(command, on_server)
        assert result.returncode == 0, result.stderr
    document = json.loads((on_server.folder / "results" / "benchmarks" / "mlflow_benchmark_results.json").read_text())
    best = document["rankings"][0]
    run_id = next(r["run_id"] for r in document["results"] if r["model_name"] == best["model_name"])
    (version,) = on_server.client().search_model_versions(f"run_id = '{run_id}'")
    promoted = run_cli(["promote", version.name, "--version", str(version.version), "--alias", "champion"], on_server)
    assert promoted.returncode == 0, promoted.stderr
    return {"document": document, "champion": (version.name, int(version.version))}


@then("the warehouse holds every run of the server and the benchmark ranks every model")
def warehouse_and_ranking(on_server, ranked):
    import duckdb

    client = on_server.client()
    on_the_server = {r.info.run_id for e in client.search_experiments() for r in client.search_runs([e.experiment_id])}
    with duckdb.connect(str(on_server.folder / "results" / "warehouse.duckdb"), read_only=True) as warehouse:
        synced = {row[0] for row in warehouse.execute("SELECT run_id FROM runs").fetchall()}
    assert on_the_server and on_the_server <= synced
    assert len(ranked["document"]["rankings"]) == len(WEEKLY_MODELS)


@then("the API answers with the champion and the dashboard shows it")
def api_and_dashboard(on_server, ranked, page):
    name, version = ranked["champion"]
    port = free_port()
    with running(CLI + ["serve", "--port", str(port)], f"http://127.0.0.1:{port}/health", on_server.folder,
                 on_server.env()):
        body = httpx.post(f"http://127.0.0.1:{port}/predict", json={"series_id": "1"}, timeout=60).json()
    assert (body["model_name"], body["model_version"]) == (name, version)
    port = free_port()
    with running([sys.executable, "-m", "entrypoints.cli", "dashboard", "--port", str(port)],
                 f"http://127.0.0.1:{port}/", on_server.folder, on_server.env()):
        page.goto(f"http://127.0.0.1:{port}/?page=forecasts")
        facts = poll(lambda: _text(page, ".forecast-facts"), lambda t: "version" in t, SECONDS)
    assert facts.startswith(f"{name} version {version} (champion)"), facts


@when(parsers.parse('I train "{models}" into experiment "{experiment}" on the cluster with "{flags}"'),
      target_fixture="outcome")
def train_with_flags(on_server, cluster, models, experiment, flags):
    result = run_cli(["train", "--models", models, "--experiment-name", experiment, "--scheduler", cluster.address,
                      *flags.split()], on_server, timeout=1200)
    return {"store": on_server, "models": models, "experiment": experiment, "result": result}


@then(parsers.parse('the lightgbm run says it fit with "{lightgbm}" and the xgboost run with "{xgboost}"'))
def fit_with(outcome, lightgbm, xgboost):
    runs = _newest(outcome["store"], outcome["experiment"])
    assert runs["lightgbm"].data.params["test_fit_fit"] == lightgbm
    assert runs["xgboost"].data.params["test_fit_fit"] == xgboost
    assert "lightgbm and xgboost fit with lightgbm.dask and xgboost.dask" in outcome["result"].stderr


@then("both beat seasonal_naive in every window")
def both_beat_the_baseline(outcome):
    runs = _newest(outcome["store"], outcome["experiment"])
    baseline = runs["seasonal_naive"].data.metrics
    for model in ("lightgbm", "xgboost"):
        for window in ("fold1", "fold2", "fold3", "fold4", "test"):
            assert runs[model].data.metrics[f"{window}_mape"] < baseline[f"{window}_mape"], (model, window)
