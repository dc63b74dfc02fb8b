"""Steps of features/dashboard.feature: a real `ml-portfolio dashboard` process in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.conftest import ROOT, Store, free_port, run_cli, running

scenarios("dashboard.feature")

PAGES = {"Overview": "overview", "Model comparison": "comparison", "Forecasts": "forecasts",
         "Predictions explorer": "predictions", "Benchmark results": "results"}
SCREENSHOTS = ROOT / "test-artifacts" / "dashboard"
SECONDS = 90  # first page of a session may load a model version from the store


def poll(read: Callable, done: Callable, seconds: float = SECONDS):
    """Read until `done(value)` or the time is up; the last value read either way."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


@pytest.fixture(scope="module")
def benchmarked(synthetic_training, tmp_path_factory):
    """A copy of the synthetic store: lightgbm 1 promoted to champion, benchmarked, synced."""
    source, _, trained = synthetic_training
    assert trained.returncode == 0, trained.stderr
    store = Store(tmp_path_factory.mktemp("dashboard-store"))
    shutil.copy(source.folder / "mlflow.db", store.folder / "mlflow.db")
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # The flags keep Chromium off the network it does not have (no update, sync or QUIC probes).
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def visit():
    return {}


# Panel draws each pane inside its own shadow root, where a host's innerText does not reach.
SHOWN_TEXT = """e => Array.from((e.shadowRoot || e).children)
    .filter(c => !["STYLE", "LINK"].includes(c.tagName)).map(c => c.innerText).join("\\n").trim()"""


def _text(page, selector: str) -> str:
    """The text shown by the elements matching `selector`, one per line; '' if there is none."""
    return "\n".join(found.evaluate(SHOWN_TEXT) for found in page.locator(selector).all())


def _rows(page, table: str) -> list[list[str]]:
    rows = page.locator(f".{table} .tabulator-row")
    cells = '.tabulator-cell[tabulator-field]:not([tabulator-field="_index"])'  # no hidden index, no filler
    return [[cell.inner_text() for cell in row.locator(cells).all()] for row in rows.all()]


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").strip())


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


@when("I upload a PNG image")
def upload_png(page, tmp_path):
    _upload(page, tmp_path, "chart.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")


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
    page.screenshot(path=str(SCREENSHOTS / f"{visit['slug']}-{name}.png"))


@then("the best model and its MAPE are those the benchmark ranked first")
def best_model(page, benchmarked):
    first = benchmarked[1]["rankings"][0]
    text = poll(lambda: _text(page, ".overview-best"), lambda t: "Best model:" in t)
    found = re.search(r"Best model: (\S+) on (\S+), test MAPE ([\d.,]+)", text)
    assert found, text
    assert (found[1], found[2]) == (first["model_name"], first["dataset_name"])
    assert _number(found[3]) == pytest.approx(first["value"], rel=1e-3)
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
