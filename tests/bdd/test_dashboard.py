"""Steps of features/dashboard.feature: a real `ml-portfolio dashboard` process in headless Chromium."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.browser import SECONDS, _number, _rows, _text, poll
from tests.conftest import ROOT, Store, free_port, run_cli, running
from tests.support import RunSpec, log_to_mlflow, write_predictions

scenarios("dashboard.feature")

PAGES = {"Overview": "overview", "Model comparison": "comparison", "Forecasts": "forecasts",
         "Monitoring": "monitoring", "Predictions explorer": "predictions", "Benchmark results": "results"}
SCREENSHOTS = ROOT / "test-artifacts" / "dashboard"
# Another experiment, worse than the trained models, so the trained dataset stays the leading one.
OTHER_RUNS = [RunSpec(f"other-{model}", "other_experiment", {"test_mape": mape, "training_time": 1.0}, {},
                      {"model_type": model, "dataset": "m5"}, minute=900 + i)
              for i, (model, mape) in enumerate((("CatBoost", 9.0), ("XGBoost", 9.5)))]


@pytest.fixture(scope="module")
def benchmarked(synthetic_training, tmp_path_factory):
    """A copy of the synthetic store plus two runs of another experiment: lightgbm 1 promoted to
    champion, benchmarked, synced."""
    source, _, trained = synthetic_training
    assert trained.returncode == 0, trained.stderr
    store = Store(tmp_path_factory.mktemp("dashboard-store"))
    shutil.copy(source.folder / "mlflow.db", store.folder / "mlflow.db")
    log_to_mlflow(store.client(), OTHER_RUNS)
    for command in (["promote", "lightgbm", "--version", "1", "--alias", "champion"], ["benchmark"], ["sync"]):
        result = run_cli(command, store)
        assert result.returncode == 0, result.stderr
    results = store.folder / "results" / "benchmarks"
    return (
        store,
        json.loads((results / "mlflow_benchmark_results.json").read_text()),
        (results / "mlflow_benchmark_results.csv").read_text(),
    )


def _dashboard(store: Store, tracking_uri: str | None = None, *flags: str):
    """A `ml-portfolio [--tracking-uri URI] dashboard FLAGS` process (not started yet) and its URL."""
    port = free_port()
    command = [sys.executable, "-m", "entrypoints.cli", *(["--tracking-uri", tracking_uri] if tracking_uri else []),
               "dashboard", "--port", str(port), *flags]
    return running(command, f"http://127.0.0.1:{port}/", store.folder, store.env()), f"http://127.0.0.1:{port}"


def _started(server, request) -> None:
    server.__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))


@pytest.fixture(scope="module")
def dashboard(benchmarked):
    server, url = _dashboard(benchmarked[0])
    with server:
        yield url


@pytest.fixture
def visit():
    return {}


# -- given ---------------------------------------------------------------------------------------

@given("a dashboard over a trained, benchmarked and synced store", target_fixture="site")
def site(dashboard):
    return dashboard


@given("the dashboard's results file does not exist", target_fixture="site")
def no_results_file(benchmarked, request):
    server, url = _dashboard(
        benchmarked[0], None, "--results-json", str(benchmarked[0].folder / "not-yet" / "results.json")
    )
    _started(server, request)
    return url


@given("a dashboard whose tracking store is unreachable", target_fixture="site")
def unreachable(benchmarked, request):
    server, url = _dashboard(benchmarked[0], f"http://127.0.0.1:{free_port()}")
    _started(server, request)
    return url


@pytest.fixture(scope="module")
def many_series(tmp_path_factory):
    """A store whose seasonal_naive version 1 forecasts 10,000 weekly series (ids 1..10000)."""
    store = Store(tmp_path_factory.mktemp("many-series"))
    for command in (["synthetic", "--series", "10000", "--output", "many.csv"],
                    ["train", "--models", "seasonal_naive", "--data", "many.csv"]):
        result = run_cli(command, store, timeout=900)
        assert result.returncode == 0, result.stderr
    return store


@given("a dashboard over a version that forecasts 10,000 series", target_fixture="site")
def over_many_series(many_series, request):
    server, url = _dashboard(many_series)
    _started(server, request)
    return url


@pytest.fixture(scope="module")
def monitored(benchmarked, synthetic_training, tmp_path_factory):
    """A copy of the dashboard's store where 4 weeks of actuals arrived: lightgbm's own forecast, except
    series 1 to 3, which sold 1.5 times as much."""
    import mlflow
    import pandas as pd

    store = Store(tmp_path_factory.mktemp("monitored"))
    shutil.copy(benchmarked[0].folder / "mlflow.db", store.folder / "mlflow.db")
    shutil.copy(synthetic_training[0].folder / "actuals.duckdb", store.folder / "actuals.duckdb")
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=store.client().get_model_version_download_uri("lightgbm", "1"), tracking_uri=store.uri)
    forecast = mlflow.pyfunc.load_model(local).predict(
        pd.DataFrame({"series_id": [str(s) for s in range(1, 46)], "horizon": 4}))
    shift = forecast.series_id.astype(int).map(lambda s: 1.5 if s <= 3 else 1.0)
    pd.DataFrame({"series_id": forecast.series_id, "date": forecast.date,
                  "value": forecast.prediction * shift}).to_csv(store.folder / "arrived.csv", index=False)
    result = run_cli(["actuals", "add", "--data", "arrived.csv"], store)
    assert result.returncode == 0, result.stderr
    return store


@given("a dashboard over the store after 4 weeks of actuals arrived, series 1 to 3 selling 1.5 times the forecast",
       target_fixture="site")
def over_monitored(monitored, request):
    server, url = _dashboard(monitored)
    _started(server, request)
    return url


@then(parsers.parse("the served table has lightgbm@champion with {periods:d} settled periods and its drift flags "
                    "series {flagged}"))
def served_table(page, periods, flagged):
    """The version itself has not drifted (its MAPE stays inside its backtest's, its interval covers); three
    of its series have."""
    rows = poll(lambda: _rows(page, "served-table"), lambda r: any(row[0] == "lightgbm" for row in r))
    (row,) = [r for r in rows if r[0] == "lightgbm"]
    assert (row[1], row[8], row[10], row[11]) == ("champion", f"{periods}", "no", "3"), row  # 3 of 45: not the version
    drifted = poll(lambda: _rows(page, "drift-table"), lambda r: len(r) > 0)
    assert [r[0] for r in drifted] == flagged.replace(" and ", ", ").split(", ")


@given("a dashboard over the store of the daily and monthly panels", target_fixture="site")
def over_own_panels(own_panels, request):
    server, url = _dashboard(own_panels[0])
    _started(server, request)
    return url


@given("a dashboard over the store of the promotions panel", target_fixture="site")
def over_promotions(promotions, request):
    server, url = _dashboard(promotions["store"])
    _started(server, request)
    return url


# -- when ----------------------------------------------------------------------------------------

def _open(page, site, visit, name: str, source: str | None = None) -> None:
    slug = PAGES[name]
    page.goto(f"{site}/?page={slug}" + (f"&source={source}" if source else ""))
    page.locator(f".page-{slug}").first.wait_for(state="attached", timeout=SECONDS * 1000)
    visit["slug"] = slug


@when(parsers.parse('I open the "{name}" page'))
def open_page(page, site, visit, name):
    _open(page, site, visit, name)


@when(parsers.parse('I open the "{name}" page with the source "{source}"'))
def open_page_with_source(page, site, visit, name, source):
    _open(page, site, visit, name, source)


def _upload(page, tmp_path, name: str, content: bytes) -> None:
    # A new file each time: the browser sends no change for the file it already holds.
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}-{name}"
    path.write_bytes(content)
    before = _text(page, ".prediction-metrics") + _text(page, ".message")
    page.locator("input[type=file]").set_input_files(str(path))
    poll(lambda: _text(page, ".prediction-metrics") + _text(page, ".message"), lambda now: now and now != before)


@when(parsers.parse('I upload a CSV with columns "{columns}" and rows "{rows}"'))
def upload_csv(page, tmp_path, columns, rows):
    lines = [columns, *(row.strip() for row in rows.split(";"))]
    _upload(page, tmp_path, "upload.csv", ("\n".join(lines) + "\n").encode())


@when(parsers.parse("I upload a CSV of {rows:d} rows, each prediction 10 away from an actual of 100"))
def upload_rows(page, tmp_path, rows):
    write_predictions(tmp_path / "rows.csv", rows)
    _upload(page, tmp_path, "rows.csv", (tmp_path / "rows.csv").read_bytes())


@when("I upload a PNG image")
def upload_png(page, tmp_path):
    _upload(page, tmp_path, "chart.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")


def _recent_history(series: str, last: str):
    """The synthetic table's rows of a series up to `last`, in the long format a version takes."""
    import pandas as pd

    from adapters.forecasting.synthetic import synthetic_walmart

    table = synthetic_walmart()
    rows = table[table.Store.astype(str) == series]
    days = pd.to_datetime(rows.Date, format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    frame = pd.DataFrame({"series_id": series, "date": days, "value": rows.Weekly_Sales})
    return frame[frame.date <= last]


@when(parsers.parse("I upload the history of series {series} to {last} as recent history"))
def upload_history(page, tmp_path, visit, series, last):
    path = tmp_path / "recent.csv"
    visit["recent"] = _recent_history(series, last)
    visit["recent"].to_csv(path, index=False)
    poll(lambda: _text(page, ".forecast-facts"), lambda t: "version" in t)
    page.locator(".history-upload input[type=file]").set_input_files(str(path))


@when("I upload the promotions history of series P_03 with its rows of future values as recent history")
def upload_promotions(page, tmp_path, visit, promotions):
    rows = promotions["full"].assign(y=promotions["full"]["y"].where(~promotions["future"]))
    visit["recent"] = rows[rows.unique_id == "P_03"]
    path = tmp_path / "promotions.csv"
    visit["recent"].to_csv(path, index=False)
    page.locator(".history-upload input[type=file]").set_input_files(str(path))
    poll(lambda: _rows(page, "given-forecast-table"), lambda r: len(r) == 12)
    visit["before"] = [_number(row[1]) for row in _rows(page, "given-forecast-table")]


@then(parsers.parse('the covariates shown are "{covariates}"'))
def covariates_shown(page, covariates):
    assert poll(lambda: _text(page, ".forecast-covariates"), lambda t: covariates in t).endswith(covariates)


@when("I set promo to 1 on its first unpromoted forecast week")
def set_promo(page, visit):
    ahead = visit["recent"][visit["recent"].y.isna()]
    visit["week"] = int(np.flatnonzero(ahead.promo.to_numpy() == 0)[0])
    page.locator(".future-date select").select_option(ahead.ds.iloc[visit["week"]])
    page.locator(".future-column select").select_option("promo")
    page.locator(".future-value input").fill("1")
    page.locator(".future-value input").press("Enter")
    page.locator(".future-apply button").click()


@then("the uploaded history's forecast of that week rises by at least 20%, the other weeks staying")
def forecast_rises(page, visit):
    week, before = visit["week"], visit["before"]
    after = poll(lambda: [_number(row[1]) for row in _rows(page, "given-forecast-table")],
                 lambda values: len(values) == 12 and values[week] != before[week])
    assert after[week] >= 1.2 * before[week], (before[week], after[week])
    assert all(abs(a - b) <= 0.02 * b for k, (a, b) in enumerate(zip(after, before)) if k != week)


@then(parsers.parse("the facts name both origins: {stored} from training and {given} from the upload"))
def both_origins(page, stored, given):
    expected = (f"forecast from its training origin {stored}", f"from the uploaded history {given}")
    facts = poll(lambda: _text(page, ".forecast-facts"), lambda t: all(e in t for e in expected))
    assert all(e in facts for e in expected), facts


@then(parsers.parse("the uploaded history's forecast has {weeks:d} weeks from {first}, as the registered version "
                    "forecasts them"))
def uploaded_forecast(page, benchmarked, visit, weeks, first):
    import mlflow

    store = benchmarked[0]
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=store.client().get_model_version_download_uri("lightgbm", "1"), tracking_uri=store.uri)
    expected = mlflow.pyfunc.load_model(local).predict(visit["recent"], params={"horizon": weeks})
    rows = poll(lambda: _rows(page, "given-forecast-table"), lambda r: len(r) == weeks)
    assert [row[0] for row in rows] == expected.date.tolist() and rows[0][0] == first
    for (_, forecast, lower, upper), (_, want) in zip(rows, expected.iterrows(), strict=True):
        for shown, value in ((forecast, want["prediction"]), (lower, want["lower"]), (upper, want["upper"])):
            assert abs(_number(shown) - value) <= 0.5, (shown, value)


@when(parsers.parse('I type "{text}" in the series picker'))
def type_in_picker(page, text):
    box = page.locator(".series-picker input")
    box.wait_for(timeout=SECONDS * 1000)
    poll(box.input_value, bool)  # the first series is chosen once the version is loaded
    box.click()
    box.fill("")
    box.press_sequentially(text)


@when(parsers.parse('I pick "{series}"'))
def pick(page, series):
    page.locator(".bk-menu > *", has_text=series).first.click()


@when(parsers.parse('I choose the model "{model}" and the version "{version}"'))
def choose_version(page, model, version):
    model_select, version_select = page.locator("select").nth(1), page.locator("select").nth(2)  # after the experiment
    poll(lambda: version_select.locator("option").count(), lambda n: n > 0)
    model_select.select_option(model)
    before = _text(page, ".forecast-facts")
    version_select.select_option(version)
    poll(lambda: _text(page, ".forecast-facts"), lambda t: t != before and f"version {version}" in t)


# -- then ----------------------------------------------------------------------------------------

@then(parsers.parse("it draws {count:d} plots"))
def draws_plots(page, count):
    drawn = poll(lambda: page.locator(".bk-Canvas").count(), lambda n: n >= count)
    assert drawn == count
    assert page.locator(".message").count() == 0, _text(page, ".message")


@then("a screenshot of the page is kept")
def screenshot(page, visit, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)[:80]
    path = SCREENSHOTS / f"{visit['slug']}-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path))
    content = path.read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    assert (width, height) == (1500, 1100)  # the whole viewport, as the context was opened


@then("the best model and its MAPE are those the benchmark ranked first")
def best_model(page, benchmarked):
    first = benchmarked[1]["rankings"][0]
    text = poll(lambda: _text(page, ".overview-best"), lambda t: "Best model:" in t)
    found = re.search(r"Best model: (\S+) on (\S+), (overall|test) MAPE ([\d.,]+)", text)
    assert found, text
    assert found[3] == first["split"]  # the other experiment's runs have no overall metrics: the test window
    assert (found[1], found[2]) == (first["model_name"], first["dataset_name"])
    assert _number(found[4]) == pytest.approx(first["value"], rel=1e-3)
    runs = _text(page, ".count-runs")
    assert str(len(benchmarked[1]["runs"])) in runs


@then("the champion shown is lightgbm version 1")
def champion(page):
    text = poll(lambda: _text(page, ".overview-registry"), lambda t: "Champion:" in t)
    assert "Champion: lightgbm version 1" in text


@then(parsers.parse("the rankings table is the benchmark's ranking for each source in turn: {labels}"))
def rankings_per_source(page, benchmarked, labels):
    expected = [
        [str(r["rank"]), r["model_name"], r["dataset_name"], f"{r['value']:.4f}"] for r in benchmarked[1]["rankings"]
    ]
    prefixes = {"MLflow live": "mlflow ", "Benchmark JSON": "json ", "DuckDB warehouse": "duckdb "}
    for label in labels.split(", "):
        if label != "MLflow live":  # the default source; the others are a click away
            page.get_by_role("button", name=label).click()
        prefix = prefixes[label]
        poll(lambda: _text(page, ".source-status"), lambda t, prefix=prefix: t.startswith(prefix))

        def shown():
            return [row[:3] + [f"{_number(row[3]):.4f}"] for row in _rows(page, "rankings-table")]

        assert poll(shown, lambda rows: rows == expected) == expected, label
        assert _text(page, ".source-status").startswith(prefixes[label])


@then("the season table shows each trained model's MAPE in every window, named by its origin")
def seasons(page, benchmarked):
    document = benchmarked[1]
    runs = {run["run_id"]: run for run in document["runs"]}
    trained = [row for row in document["results"] if "windows" in runs[row["run_id"]]["tags"]]
    assert {row["model_name"] for row in trained} == {"LightGBM", "SeasonalNaive"}
    several = len({row["dataset_name"] for row in document["results"]}) > 1  # rows named by model and dataset
    titles = page.locator(".seasons-table thead th")
    headers = poll(lambda: titles.evaluate_all("all => all.map(t => t.innerText.trim())"),
                   lambda found: any("from" in title for title in found))
    shown = {row[0]: row[1:] for row in poll(lambda: _rows(page, "seasons-table"), lambda rows: rows)}
    for row in trained:
        run = runs[row["run_id"]]
        windows = [part.split("=") for part in run["tags"]["windows"].split(",")]
        first = headers.index("model") + 1
        assert headers[first : first + len(windows)] == [f"{split} from {origin}" for split, origin in windows]
        expected = [run["metrics"][f"{split}_mape"] for split, _ in windows]
        label = f"{row['model_name']} ({row['dataset_name']})" if several else row["model_name"]
        assert [_number(v) for v in shown[label][: len(windows)]] == pytest.approx(expected, abs=5e-3)


@then("the forecast shown is the champion's and its table has 12 weeks within their intervals")
def forecast_shown(page):
    facts = poll(lambda: _text(page, ".forecast-facts"), lambda t: "version" in t)
    assert facts.startswith("lightgbm version 1 (champion)"), facts
    rows = poll(lambda: _rows(page, "forecast-table"), lambda r: len(r) == 12)
    assert len(rows) == 12
    for week, forecast, lower, upper in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", week)
        assert _number(lower) <= _number(forecast) <= _number(upper)


@then(parsers.parse('the columns selected are "{date}", "{actual}" and "{predicted}"'))
def columns_selected(page, date, actual, predicted):
    values = [select.input_value() for select in page.locator("select").all()]
    assert [date, actual, predicted] == values[-3:], values


@then(parsers.parse("the scores shown are {scores}"))
def scores_shown(page, scores):
    text = poll(lambda: _text(page, ".prediction-metrics"), lambda t: "MAPE" in t)
    for expected in re.findall(r'"([^"]+)"', scores):
        assert expected in text, text


@then(parsers.parse('the page says "{message}"'))
def page_says(page, message):
    said = poll(lambda: _text(page, ".message"), lambda t: message in t)
    assert message in said, said


@then(parsers.parse('the source shown is "{source}"'))
def source_shown(page, source):
    assert _text(page, ".source-status").startswith(source)


@then("the summary statistics have one row per model with its runs")
def summary_statistics(page, benchmarked):
    runs = {}
    for run in benchmarked[1]["runs"]:
        runs[run["tags"]["model_name"]] = runs.get(run["tags"]["model_name"], 0) + 1
    rows = poll(lambda: _rows(page, "stats-table"), lambda r: len(r) == len(runs))
    assert {row[0]: int(row[2]) for row in rows} == runs


@then("the downloaded CSV has the rows of the results table, as the benchmark wrote them")
def downloaded(page, benchmarked):
    shown = poll(lambda: _rows(page, "full-table"), lambda r: len(r) == len(benchmarked[1]["results"]))
    with page.expect_download(timeout=SECONDS * 1000) as download:
        page.get_by_role("button", name="Download CSV").click()
    content = Path(download.value.path()).read_text()
    assert content == benchmarked[2]
    table = list(csv.DictReader(io.StringIO(content)))
    assert [row["model_name"] for row in table] == [row[0] for row in shown]
    assert [f"{float(row['mape']):.4f}" for row in table] == [f"{_number(row[4]):.4f}" for row in shown]


@given("a dashboard over its own copy of the store", target_fixture="site")
def own_copy(benchmarked, tmp_path, request):
    store = Store(tmp_path)
    shutil.copy(benchmarked[0].folder / "mlflow.db", store.folder / "mlflow.db")
    server, url = _dashboard(store)
    _started(server, request)
    request.node.own_store = store
    return url


def _finished_runs(page) -> int:
    found = re.search(r"([\d,]+) finished runs", _text(page, ".source-status"))
    assert found, _text(page, ".source-status")
    return int(found[1].replace(",", ""))


def _count(page, name: str) -> int:
    """The number a count card shows; -1 while it is being redrawn."""
    shown = _text(page, f".count-{name}").splitlines()
    return int(_number(shown[-1])) if shown else -1


@when(parsers.parse('I pick the experiment "{name}"'))
def pick_experiment(page, name):
    page.locator("select").first.select_option(name)


@when("a finished run is logged to the store")
def log_a_run(page, request, visit):
    poll(lambda: _text(page, ".source-status"), lambda t: "finished runs" in t)
    visit["runs"] = _finished_runs(page)
    log_to_mlflow(request.node.own_store.client(), [RunSpec(
        "late-run", "walmart_sales_forecasting", {"test_mape": 7.0}, {},
        {"model_type": "LightGBM", "dataset": "synthetic_walmart"}, minute=2000)])


@when("I press Reload")
def press_reload(page):
    page.get_by_role("button", name="Reload").click()


@then("the source status and the overview count one run more than before")
def one_more(page, visit):
    expected = visit["runs"] + 1
    assert poll(lambda: _finished_runs(page), lambda n: n == expected) == expected
    assert poll(lambda: _count(page, "runs"), lambda n: n == expected) == expected


@then("the source status names the MLflow store, when it was read and how many finished runs it holds")
def source_status(page, benchmarked):
    text = poll(lambda: _text(page, ".source-status"), lambda t: "finished runs" in t)
    store = benchmarked[0]
    client = store.client()
    finished = client.search_runs([e.experiment_id for e in client.search_experiments()],
                                  filter_string="attributes.status = 'FINISHED'")
    assert re.fullmatch(rf"mlflow {re.escape(store.uri)}\s+read \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC in \d+\.\d\d s, "
                        rf"{len(finished)} finished runs", text), text


@then(parsers.parse("the overview counts {runs:d} runs of {models:d} models"))
def overview_counts(page, runs, models):
    assert poll(lambda: (_count(page, "runs"), _count(page, "models")), lambda c: c == (runs, models)) == (runs, models)


@then("the significance line is the benchmark's test of the top two")
def significance_shown(page, benchmarked):
    test = benchmarked[1]["significance"]
    expected = (f"Top two mape ({', '.join(test['compared'])}): Wilcoxon signed-rank on {test['pairs']} "
                f"{test['paired_by']} pairs, p = {test['p_value']:.3g}")
    assert poll(lambda: _text(page, ".significance"), lambda t: t == expected) == expected


@when(parsers.parse('I choose the dataset "{dataset}"'))
def choose_dataset(page, dataset):
    page.locator("select").nth(1).select_option(dataset)


@when(parsers.parse('I choose the dataset "{dataset}" and the models "{models}"'))
def choose_dataset_and_models(page, dataset, models):
    choose_dataset(page, dataset)
    field = page.locator(".choices__input--cloned").first
    for model in models.split(","):
        field.click()  # opens the list of models; pick the one by its text
        page.locator(".choices__list--dropdown .choices__item--choice", has_text=model).first.click()


@then(parsers.parse("the rankings table shows {models}"))
def rankings_shown(page, models):
    expected = models.split(" then ")

    def shown() -> list[str]:
        rows = _rows(page, "rankings-table")
        return [row[1] for row in rows] if all(len(row) > 1 for row in rows) else []  # [] while redrawn

    assert poll(shown, lambda m: m == expected) == expected


@then(parsers.parse('the significance line says the gap was not tested: "{reason}"'))
def gap_not_tested(page, reason):
    expected = f"Gap between the top two not tested: {reason}"
    assert poll(lambda: _text(page, ".significance"), lambda t: t == expected) == expected


def _shows_the_registered_forecast(page, store) -> None:
    """The forecast table is what the registered version shown forecasts for the series in the picker."""
    import mlflow
    import pandas as pd

    facts = poll(lambda: _text(page, ".forecast-facts"), lambda t: "version" in t)
    name, version = re.match(r"(\S+) version (\d+)", facts).groups()
    shown_series = page.locator(".series-picker input").input_value()
    client = store.client()
    location = client.get_model_version_download_uri(name, version)
    local = mlflow.artifacts.download_artifacts(artifact_uri=location, tracking_uri=store.uri)
    expected = mlflow.pyfunc.load_model(local).predict(
        pd.DataFrame({"series_id": [shown_series], "horizon": [12], "confidence_level": [0.9]}))
    first = f"{expected.prediction[0]:,.0f}"
    rows = poll(lambda: _rows(page, "forecast-table"), lambda r: len(r) == 12 and r[0][1] == first)
    for (week, forecast, lower, upper), (_, want) in zip(rows, expected.iterrows(), strict=True):
        assert week == want["date"]
        for shown, value in ((forecast, want["prediction"]), (lower, want["lower"]), (upper, want["upper"])):
            assert abs(_number(shown) - value) <= 0.5, (week, shown, value)  # the table shows whole sales


@then("its values are those the registered version forecasts for that series")
def registered_values(page, benchmarked):
    _shows_the_registered_forecast(page, benchmarked[0])


@then(parsers.parse('it offers the series whose id holds "{text}", {series} among them'))
def offers(page, text, series):
    offered = poll(lambda: page.locator(".bk-menu > *").all_inner_texts(), lambda items: series in items)
    assert series in offered and offered and all(text in item for item in offered), offered


def _dates_apart(rows, unit: str) -> None:
    days = [date.fromisoformat(row[0]) for row in rows]
    for first, second in itertools.pairwise(days):
        if unit == "day":
            assert second - first == timedelta(days=1)
        elif unit == "week":
            assert second - first == timedelta(weeks=1)
        else:
            assert (second.year * 12 + second.month) - (first.year * 12 + first.month) == 1 and second.day == first.day


@then(parsers.parse("the forecast shown is series {series}'s, {count:d} weeks one week apart"))
def series_shown(page, many_series, series, count):
    assert poll(lambda: page.locator(".series-picker input").input_value(), lambda v: v == series) == series
    _shows_the_registered_forecast(page, many_series)
    _dates_apart(_rows(page, "forecast-table"), "week")


@then(parsers.parse("the forecast table has {count:d} rows one {unit} apart, the horizon slider going to {top:d}"))
def table_apart(page, count, unit, top):
    rows = poll(lambda: _rows(page, "forecast-table"), lambda r: len(r) == count and len({r[0][0], r[1][0]}) == 2)
    assert len(rows) == count
    _dates_apart(rows, unit)
    ends = poll(lambda: page.locator(".noUi-handle").first.get_attribute("aria-valuemax"), lambda v: v == f"{top}.0")
    assert ends == f"{top}.0"
