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
from entrypoints.dashboard.figures import HEIGHT, number_text

HIGHLIGHT = "font-weight: bold; background-color: rgba(40, 167, 69, 0.25)"  # readable on light and dark
ALL = "(all)"
TABLE_ROWS = 25  # rows shown before a table scrolls
TABLE_CSS = """
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid rgba(128, 128, 128, 0.35); white-space: nowrap; }
th { text-align: left; position: sticky; top: 0; background: var(--panel-background-color, #ffffff); }
td.number { text-align: right; }
"""
log = logging.getLogger("ml_portfolio.dashboard")


def alert(message: str, kind: str = "danger") -> pn.pane.Alert:
    return pn.pane.Alert(message, alert_type=kind, sizing_mode="stretch_width", css_classes=["message"])


def fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}g}"


def table(frame: pd.DataFrame, highlight: list[str] | None = None,
          css_classes: list[str] | None = None) -> pn.pane.HTML:
    """A read-only table drawn as plain HTML (a table widget made the browser lay the page out again
    for seconds): numbers as the plots' axes show them, the lowest value of each `highlight` column
    in bold, a long table scrolling under its header."""
    floats = list(frame.select_dtypes("float").columns)
    numbers = list(frame.select_dtypes("number").columns)
    styled = (frame.style.hide(axis="index").format({c: number_text(frame[c]) for c in floats}, na_rep="-")
              .set_td_classes(pd.DataFrame([["number" if c in numbers else "" for c in frame.columns]] * len(frame),
                                           index=frame.index, columns=frame.columns)))
    columns = list(dict.fromkeys(c for c in highlight or [] if c in frame and frame[c].notna().any()))
    if columns:
        styled = styled.highlight_min(subset=columns, props=HIGHLIGHT)
    tall = len(frame) > TABLE_ROWS
    return pn.pane.HTML(styled.to_html(), css_classes=[*(css_classes or []), "data-table"], stylesheets=[TABLE_CSS],
                        styles={"overflow": "auto", **({"max-height": f"{TABLE_ROWS * 2}rem"} if tall else {})},
                        sizing_mode="stretch_width")


def _guarded(build: Callable[[], Any], slug: str) -> Any:
    """What `build` returns, or a message saying why it failed: a page never takes the session down."""
    try:
        return build()
    except DomainError as exc:
        return [alert(str(exc))]
    except Exception as exc:
        log.exception("page %s failed", slug)
        return [alert(f"this page failed: {type(exc).__name__}: {exc}")]


def shown(build: Callable[[Any], list[Any]]) -> Callable[[Any], pn.Column]:
    """A page's content method: skipped while the page is hidden, a message instead of an error."""

    @functools.wraps(build)
    def content(page: Page) -> pn.Column:
        if not page.active:
            raise param.Skip  # a hidden page is not drawn; it is drawn afresh when shown
        return pn.Column(*_guarded(lambda: build(page), page.slug), sizing_mode="stretch_width")

    return content


def _connected(doc: Any) -> bool:
    """Whether a browser still shows the session: a closed tab's session lives on for a while, and
    drawing its plots would only slow the sessions still open."""
    server_session = getattr(doc.session_context, "_session", None) if doc.session_context else None
    return server_session is None or server_session.connection_count > 0


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
        self._drawing = 0  # counts the page's draws: plots drawn later belong to the newest
        self._layout = pn.Column(pn.pane.Markdown(f"## {self.title}", css_classes=[f"page-{self.slug}"]),
                                 *self.controls(), pn.panel(self.content), sizing_mode="stretch_width")

    content: Callable[[], pn.Column]  # each page declares its own, as above

    def controls(self) -> list[Any]:
        return []

    def later(self, *builds: Callable[[], Any]) -> list[pn.Column]:
        """Plots drawn after what the page shows at once: a slot with a loading spinner each, all
        filled on the server's next turn, once the browser has what the page shows at once. (Filled
        one by one, each plot made the browser lay the whole page out again: slower to the last.)
        A redraw of the page abandons the slots of the one before."""
        self._drawing += 1
        drawing, doc = self._drawing, pn.state.curdoc
        slots = [pn.Column(sizing_mode="stretch_width", height=HEIGHT, loading=True) for _ in builds]

        def fill() -> None:
            if drawing != self._drawing or (doc is not None and not _connected(doc)):
                return
            with pn.io.hold(doc):  # one change for the browser to lay out, not one per plot
                for slot, build in zip(slots, builds):
                    drawn = _guarded(build, self.slug)
                    slot.param.update(objects=drawn if isinstance(drawn, list) else [drawn], loading=False,
                                      height=None)

        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(fill)
        else:  # a test, a script: at once
            fill()
        return slots

    def prepare(self) -> None:
        """What the page needs before it is shown (the app calls this while the page is hidden)."""

    def __panel__(self) -> pn.Column:
        return self._layout
