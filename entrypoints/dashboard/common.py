"""What every page shares: the page base class, messages, number formats and tables."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from domain.errors import DomainError

PLOT = {"responsive": True, "height": 300}
HIGHLIGHT = "font-weight: bold; background-color: #d4edda"
ALL = "(all)"
log = logging.getLogger("ml_portfolio.dashboard")


def alert(message: str, kind: str = "danger") -> pn.pane.Alert:
    return pn.pane.Alert(message, alert_type=kind, sizing_mode="stretch_width", css_classes=["message"])


def fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}g}"


def _number_formats(frame: pd.DataFrame) -> dict[str, Any]:
    """Sales-sized columns with thousands separators, the rest to four decimals."""
    from bokeh.models.widgets.tables import NumberFormatter

    return {c: NumberFormatter(format="0,0" if frame[c].abs().max() >= 1000 else "0.[0000]")
            for c in frame.select_dtypes("float").columns}


def table(frame: pd.DataFrame, highlight: list[str] | None = None, **options: Any) -> pn.widgets.Tabulator:
    """A sortable (click a header) read-only table; the lowest value of each `highlight` column in bold."""
    shown = pn.widgets.Tabulator(frame, show_index=False, disabled=True, sizing_mode="stretch_width",
                                 layout="fit_data_table", formatters=_number_formats(frame),
                                 pagination="local" if len(frame) > 25 else None, page_size=25, **options)
    columns = list(dict.fromkeys(c for c in highlight or [] if c in frame and frame[c].notna().any()))
    if columns:
        shown.style.highlight_min(subset=columns, props=HIGHLIGHT)
    return shown


def shown(build: Callable[[Any], list[Any]]) -> Callable[[Any], pn.Column]:
    """A page's content method: skipped while the page is hidden, a message instead of an error."""

    @functools.wraps(build)
    def content(page: Page) -> pn.Column:
        if not page.active:
            raise param.Skip  # a hidden page is not drawn; it is drawn afresh when shown
        try:
            items = build(page)
        except DomainError as exc:
            items = [alert(str(exc))]
        except Exception as exc:  # a page must never take the session down
            log.exception("page %s failed", page.slug)
            items = [alert(f"this page failed: {type(exc).__name__}: {exc}")]
        return pn.Column(*items, sizing_mode="stretch_width")

    return content


class Page(Viewer):
    """A page: its title, its own controls (kept whatever its content shows) and its content.

    Subclasses declare `content` with `@param.depends("active", ...)` and `@shown`, listing the
    parameters its plots depend on; the app prepares, then activates the page it shows, so a
    page is drawn once when shown and once per change of what it depends on."""

    title: ClassVar[str]
    slug: ClassVar[str]

    active = param.Boolean(default=False, doc="whether the page is the one shown")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._layout = pn.Column(pn.pane.Markdown(f"## {self.title}", css_classes=[f"page-{self.slug}"]),
                                 *self.controls(), pn.panel(self.content), sizing_mode="stretch_width")

    content: Callable[[], pn.Column]  # each page declares its own, as above

    def controls(self) -> list[Any]:
        return []

    def prepare(self) -> None:
        """What the page needs before it is shown (the app calls this while the page is hidden)."""

    def __panel__(self) -> pn.Column:
        return self._layout
