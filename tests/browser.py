"""What the browser tests read (the `browser` and `page` fixtures are in tests/bdd/conftest.py): text
inside Panel's shadow roots, Tabulator rows, and polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

SECONDS = 90  # first page of a session may load a model version from the store


def poll(read: Callable, done: Callable, seconds: float = SECONDS):
    """Read until `done(value)` or the time is up; the last value read either way."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


# Panel draws each pane inside its own shadow root, where a host's innerText does not reach.
SHOWN_TEXT = """e => Array.from((e.shadowRoot || e).children)
    .filter(c => !["STYLE", "LINK"].includes(c.tagName)).map(c => c.innerText).join("\\n").trim()"""


def _text(page, selector: str) -> str:
    """The text shown by the elements matching `selector`, one per line; '' if there is none."""
    return "\n".join(page.locator(selector).evaluate_all(f"all => all.map({SHOWN_TEXT})"))


def _rows(page, table: str) -> list[list[str]]:
    """The table's rows as shown (the cells of its body); [] while it is being redrawn."""
    from playwright.sync_api import Error

    try:
        return page.locator(f".{table} tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))")
    except Error:
        return []


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").strip())
