"""Steps of features/dashboard_at_a_glance.feature: a real `ml-portfolio dashboard` over stores built as
benchmarks/dashboard_load.py builds them, in headless Chromium."""

from __future__ import annotations

import re
import sys

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from benchmarks.benchmark_query import build_store
from tests.browser import SECONDS, _text, poll
from tests.conftest import ROOT, Store, free_port, run_cli, running

scenarios("dashboard_at_a_glance.feature")

SCREENSHOTS = ROOT / "test-artifacts" / "dashboard"
VIEWPORT = {"width": 1500, "height": 1100}
# Each page, what shows it has its headline, and the plots it draws over a store of runs with no
# registered model, no actuals and no upload (those pages show what to do instead).
PAGES = {"overview": (".count-runs", 1), "comparison": (".results-table", 5), "forecasts": (".page-forecasts", 0),
         "monitoring": (".page-monitoring", 0), "predictions": (".page-predictions", 0),
         "results": (".stats-table", 0)}
KEPT_SECONDS = 24 * 3600


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Stores by size, built once a module: runs logged, benchmarked and synced."""
    built: dict[int, Store] = {}

    def store(runs: int) -> Store:
        if runs not in built:
            made = Store(tmp_path_factory.mktemp(f"runs-{runs}"))
            build_store(made.folder, runs, folds=4)
            for command in (["benchmark"], ["sync"]):
                result = run_cli(command, made)
                assert result.returncode == 0, result.stderr
            built[runs] = made
        return built[runs]

    return store


@given(parsers.parse("a dashboard over a store of {runs:d} runs, benchmarked and synced"), target_fixture="site")
def site(stores, runs, request):
    store = stores(runs)
    port = free_port()
    server = running([sys.executable, "-m", "entrypoints.cli", "dashboard", "--port", str(port)],
                     f"http://127.0.0.1:{port}/", store.folder, store.env())
    server.__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))
    return {"url": f"http://127.0.0.1:{port}", "runs": runs}


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _widths(page) -> tuple[float, list[float]]:
    """The width of the page's main area and of each plot drawn in it."""
    main = page.evaluate("document.querySelector('#main').clientWidth")
    return main, [box["width"] for box in (c.bounding_box() for c in page.locator(".bk-Canvas").all()) if box]


@when(parsers.parse('I open each page with the source "{source}"'), target_fixture="visits")
def each_page(page, site, source):
    statics: list = []
    page.on("response", lambda response: statics.append(response) if "/static/" in response.url
            or "/assets/" in response.url else None)
    visits = {}
    for slug, (headline, plots) in PAGES.items():
        page.goto(f"{site['url']}/?page={slug}&source={source}")
        page.locator(headline).first.wait_for(state="attached", timeout=SECONDS * 1000)
        drawn = poll(lambda: page.locator(".bk-Canvas").count(), lambda n, plots=plots: n >= plots)
        page.wait_for_timeout(500)  # the last plot laid out
        visits[slug] = {"plots": drawn, "widths": _widths(page), "text": _text(page, headline),
                        "facts": _text(page, ".comparison-facts")}
        _shot(page, f"glance-{site['runs']}-runs-{slug}")
    return {"pages": visits, "statics": statics}


@then("each page shows its headline, draws its plots at least 40% as wide as the page, and a screenshot of each "
      "is kept")
def headline_and_widths(visits, site):
    for slug, (_, plots) in PAGES.items():
        seen = visits["pages"][slug]
        assert seen["text"], slug
        assert seen["plots"] == plots, (slug, seen["plots"])
        main, widths = seen["widths"]
        assert all(width >= 0.4 * main for width in widths), (slug, main, widths)
        assert (SCREENSHOTS / f"glance-{site['runs']}-runs-{slug}.png").stat().st_size > 0
    assert f"{site['runs']:,} runs" in visits["pages"]["comparison"]["facts"]


@when(parsers.parse('a browser that prefers dark opens the "{name}" page'), target_fixture="dark")
def dark_browser(browser, site, name):
    context = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
    tab = context.new_page()
    tab.goto(f"{site['url']}/?page=comparison&source=duckdb")
    tab.locator(".results-table").first.wait_for(state="attached", timeout=SECONDS * 1000)
    poll(lambda: tab.locator(".bk-Canvas").count(), lambda n: n >= PAGES["comparison"][1])
    yield tab
    context.close()


@then("the page is drawn in the dark theme, its address saying so, and a screenshot of it is kept")
def dark_theme(dark):
    assert "theme=dark" in dark.url and "page=comparison" in dark.url, dark.url
    assert "navbar-dark" in dark.locator("#header").get_attribute("class")
    assert _brightness(dark.evaluate("getComputedStyle(document.body).backgroundColor")) < 80  # not only the bar
    text, ground = dark.locator(".rankings-table th").first.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    assert _brightness(text) - _brightness(ground) > 100, (text, ground)  # light headers on a dark ground
    _shot(dark, "glance-dark-comparison")


def _brightness(css_color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (red + green + blue) / 3


@then("every script, style sheet and font the pages loaded may be kept by the browser for a day")
def kept(visits):
    loaded = {response.url: response for response in visits["statics"] if response.status == 200}
    assert any("theme.js" in url for url in loaded) and any(url.endswith(".js") for url in loaded)
    for url, response in loaded.items():
        cache = response.headers.get("cache-control", "")
        found = re.search(r"max-age=(\d+)", cache)
        assert found and int(found[1]) >= KEPT_SECONDS, (url, cache)
