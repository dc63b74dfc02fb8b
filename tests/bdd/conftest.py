"""Steps every feature that runs the real CLI shares: an outcome is {"store", "result", ...}."""

from __future__ import annotations

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
