"""Steps every feature that runs the real CLI shares (an outcome is {"store", "result", ...}), and
headless Chromium for the features that open the dashboard."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then


@then("the command succeeds")
def succeeds(outcome):
    assert outcome["result"].returncode == 0, outcome["result"].stderr


@then(parsers.parse("the command fails with exit code {code:d}"))
def fails(outcome, code):
    assert outcome["result"].returncode == code, outcome["result"].stderr


@then(parsers.parse('the error is one line naming "{text}"'))
def one_line_error(outcome, text):
    lines = outcome["result"].stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], lines
    assert "Traceback" not in outcome["result"].stderr


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
