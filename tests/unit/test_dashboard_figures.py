"""The dashboard's plots read at a glance whatever the count of models (rows of their own on a
vertical categorical axis, legends beside the frame, numbers formatted as the tables format them),
its tables say the same numbers, and a page's slow plots follow what it shows at once."""

from __future__ import annotations

import re

import holoviews as hv
import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import FactorRange, Legend, NumeralTickFormatter

from entrypoints.dashboard.common import Page, table
from entrypoints.dashboard.figures import FRAME, HEIGHT, ROW, bars, boxes, lines, number_text, scatter


def _labels(count: int) -> list[str]:
    return [f"Model{i} (dataset {i % 3})" for i in range(count)]


@pytest.mark.parametrize("count", [3, 15, 60])
def test_bars_give_each_label_a_row_of_its_own_down_the_vertical_axis(count):
    frame = pd.DataFrame({"label": _labels(count), "mape": [3.0 + i / 10 for i in range(count)]})
    figure = hv.render(bars(frame, "label", "mape", "test mape"))
    assert isinstance(figure.y_range, FactorRange) and len(figure.y_range.factors) == count
    assert (figure.height - FRAME) / count >= ROW
    assert list(figure.y_range.factors) == frame["label"].tolist()[::-1]  # the first row on top
    assert isinstance(figure.xaxis[0].formatter, NumeralTickFormatter)


@pytest.mark.parametrize("count", [2, 40])
def test_box_plots_give_each_model_a_row_of_its_own(count):
    frame = pd.DataFrame({"model": [m for m in _labels(count) for _ in range(5)],
                          "mape": [float(i % 7) for i in range(5 * count)]})
    figure = hv.render(boxes(frame, "mape", "model", "spread"))
    assert isinstance(figure.y_range, FactorRange) and len(figure.y_range.factors) == count
    assert (figure.height - FRAME) / count >= ROW


def _legends(figure) -> tuple[list, list]:
    return [r for r in figure.center if isinstance(r, Legend)], [r for r in figure.right if isinstance(r, Legend)]


def test_legends_sit_beside_the_plot_never_over_its_points():
    runs = pd.DataFrame({"training_time": [1.0, 2.0, 3.0, 4.0], "mape": [3.0, 4.0, 5.0, 6.0],
                         "model": ["a", "b", "a", "b"], "dataset": ["w", "w", "m", "m"]})
    inside, beside = _legends(hv.render(scatter(runs, "training_time", "mape", "model", "t", hover=("dataset",))))
    assert not inside and beside


def test_a_line_plot_is_as_tall_as_its_legend():
    frame = pd.DataFrame({"model": [m for m in _labels(30) for _ in range(3)], "window": ["f1", "f2", "test"] * 30,
                          "mape": [1.0, 2.0, 3.0] * 30})
    figure = hv.render(lines(frame, "window", "mape", "model", "per window"))
    inside, beside = _legends(figure)
    assert not inside and beside
    assert figure.height >= 30 * ROW > HEIGHT


def test_numbers_read_as_the_tables_show_them():
    sales, errors = pd.Series([1234.5, 20_000.0]), pd.Series([3.14159, 90.0])
    assert [number_text(sales)(v) for v in sales] == ["1,234", "20,000"]
    assert [number_text(errors)(v) for v in errors] == ["3.1416", "90"]


def test_a_table_formats_its_numbers_and_marks_each_columns_lowest():
    frame = pd.DataFrame({"model": ["a", "b"], "mape": [3.14159, 2.5], "rmse": [1234.5, float("nan")]})
    html = table(frame, highlight=["mape", "rmse"], css_classes=["results-table"]).object
    assert "3.1416" in html and "1,234" in html and ">-<" in html
    bold = re.findall(r"#(T_\w+_row\d+_col\d+)", html.split("</style>")[0])
    assert sorted(cell.split("_", 2)[2] for cell in bold) == ["row0_col2", "row1_col1"]  # 2.5 and 1,234


class _Doc(Document):
    """A browser session's document, as far as Page.later uses it: its next-turn callbacks run when
    the test says."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled: list = []

    @property
    def session_context(self):  # a session with a browser, seen from the page
        return type("Context", (), {"request": type("Request", (), {"arguments": {}})()})()

    def add_next_tick_callback(self, callback):
        self.scheduled.append(callback)


class _Plots(Page):
    title, slug = "Plots", "plots"

    def content(self) -> list:
        return []


def test_plots_drawn_later_are_spinners_until_the_next_turn_and_a_redraw_abandons_them(monkeypatch):
    doc, page = _Doc(), _Plots()
    monkeypatch.setattr(type(pn.state), "curdoc", property(lambda _: doc))  # as in a browser session
    first = page.later(lambda: pn.pane.Markdown("one"), lambda: pn.pane.Markdown("two"))
    newer = page.later(lambda: pn.pane.Markdown("three"))
    monkeypatch.undo()
    assert all(slot.loading and not slot.objects for slot in first + newer)
    for callback in doc.scheduled:
        callback()
    assert all(slot.loading and not slot.objects for slot in first)  # abandoned: the page was drawn again
    assert not newer[0].loading and newer[0].objects[0].object == "three"


def test_without_a_browser_session_plots_are_drawn_at_once():
    failing = _Plots().later(lambda: pn.pane.Markdown("drawn"), lambda: 1 / 0)
    assert failing[0].objects[0].object == "drawn"
    assert "ZeroDivisionError" in failing[1].objects[0].object  # a message where the plot would be
