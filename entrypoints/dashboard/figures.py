"""How the dashboard draws, so every plot reads at a glance on any screen: plots stretch to the width
they are given; categories (models, series) go down the vertical axis, each given a row of its own
height, so their labels never overlap however many there are; legends sit beside the plot, never
over its data; values on axes and in hover boxes are formatted as the tables format them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd

HEIGHT = 300  # a plot with a time or number axis
ROW = 24  # pixels per category on a categorical axis: room for one line of 12 px labels
FRAME = 90  # a plot's title, axis and padding around its rows
LEGEND = "right"  # outside the plot's frame
PLOT = {"responsive": True, "height": HEIGHT, "min_width": 320}


def number_format(values: pd.Series) -> str:
    """Numeral.js format of a column of numbers: sales-sized with thousands separators, the rest to
    four decimals (the tables' and the plots' axes and hover boxes)."""
    largest = pd.to_numeric(values, errors="coerce").abs().max()
    return "0,0" if pd.notna(largest) and largest >= 1000 else "0.[0000]"


def number_text(values: pd.Series) -> Callable[[Any], str]:
    """The same format for Python text (the tables)."""
    if number_format(values) == "0,0":
        return lambda value: f"{value:,.0f}"
    return lambda value: f"{value:.4f}".rstrip("0").rstrip(".")


def _formatter(values: pd.Series) -> Any:
    from bokeh.models import NumeralTickFormatter

    return NumeralTickFormatter(format=number_format(values))


def rows_height(count: int) -> int:
    """The height of a plot with `count` categories down its vertical axis."""
    return FRAME + ROW * max(count, 1)


def _tooltip(frame: pd.DataFrame, column: str) -> tuple[str, str]:
    if pd.api.types.is_numeric_dtype(frame[column]):
        return column, f"@{{{column}}}{{{number_format(frame[column])}}}"
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        return column, f"@{{{column}}}{{%F}}"
    return column, f"@{{{column}}}"


def tooltips(frame: pd.DataFrame, *columns: str) -> dict[str, Any]:
    """Hover boxes naming each column, numbers formatted as in the tables."""
    listed = [_tooltip(frame, c) for c in dict.fromkeys(columns) if c in frame]
    dates = {f"@{{{c}}}": "datetime" for c in columns if c in frame and pd.api.types.is_datetime64_any_dtype(frame[c])}
    return {"hover_tooltips": listed, **({"hover_formatters": dates} if dates else {})}


def bars(frame: pd.DataFrame, label: str, value: str, title: str) -> Any:
    """One horizontal bar per label, in the frame's order from the top."""
    shown = frame[[label, value]].dropna()
    return shown.iloc[::-1].hvplot.barh(x=label, y=value, title=title, xlabel="", ylabel=value,
                                        responsive=True, min_width=320, height=rows_height(len(shown))).opts(
        xformatter=_formatter(shown[value]), **tooltips(shown, label, value))


def boxes(frame: pd.DataFrame, value: str, by: str, title: str) -> Any:
    """The spread of `value` per `by`, one horizontal box each."""
    count = frame[by].nunique()
    return frame.hvplot.box(y=value, by=by, invert=True, title=title, xlabel="", ylabel=value, responsive=True,
                            min_width=320, height=rows_height(count)).opts(xformatter=_formatter(frame[value]))


def scatter(frame: pd.DataFrame, x: str, y: str, by: str, title: str, hover: tuple[str, ...] = ()) -> Any:
    return frame.hvplot.scatter(x=x, y=y, by=by, title=title, legend=LEGEND, **PLOT).opts(
        yformatter=_formatter(frame[y]), **tooltips(frame, by, x, y, *hover))


def lines(frame: pd.DataFrame, x: str, y: str, by: str, title: str, hover: tuple[str, ...] = ()) -> Any:
    """One line per `by`; the plot as tall as its legend, so the legend stays beside it."""
    tall = max(HEIGHT, rows_height(frame[by].nunique()))
    return frame.hvplot.line(x=x, y=y, by=by, title=title, xlabel="", legend=LEGEND, **{**PLOT, "height": tall}).opts(
        yformatter=_formatter(frame[y]), **tooltips(frame, by, *hover, x, y))
