"""The dashboard of one browser session: the sidebar, the page shown, and the address that shares it."""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from entrypoints.container import Container
from entrypoints.dashboard.common import Page, alert
from entrypoints.dashboard.comparison import ComparisonPage
from entrypoints.dashboard.forecasts import ForecastsPage
from entrypoints.dashboard.monitoring import MonitoringPage
from entrypoints.dashboard.overview import OverviewPage
from entrypoints.dashboard.predictions import PredictionsPage
from entrypoints.dashboard.results import ResultsPage
from entrypoints.dashboard.session import SOURCES, RunsPage, Session

PAGES = {"Overview": "overview", "Model comparison": "comparison", "Forecasts": "forecasts",
         "Monitoring": "monitoring", "Predictions explorer": "predictions", "Benchmark results": "results"}


def _from_address(name: str, allowed: dict[str, str], default: str, notes: list[str]) -> str:
    """A value the address gives, if it is one of the allowed; else the default, with a note saying so."""
    query = pn.state.location.query_params if pn.state.location else {}
    value = query.get(name)
    if value is None or value in allowed.values():
        return value or default
    notes.append(f"unknown {name} {str(value)[:40]!r} in the address; showing {default} "
                 f"(one of {', '.join(allowed.values())})")
    return default


class Dashboard(param.Parameterized):
    page = param.Selector(objects=PAGES, default="overview")

    def __init__(self, container: Container, default_source: str) -> None:
        notes: list[str] = []
        super().__init__(page=_from_address("page", PAGES, "overview", notes))
        self.session = Session(sources=container.run_sources, ranker=lambda source: container.rank_runs(source=source),
                               source=_from_address("source", SOURCES, default_source, notes))
        pages: list[Page] = [
            OverviewPage(session=self.session, registry=container.describe_registry),
            ComparisonPage(session=self.session),
            ForecastsPage(registry=container.describe_registry, forecasts=container.forecast_series,
                          histories=container.read_history),
            MonitoringPage(measure=container.measure_served, served=container.read_served),
            PredictionsPage(reader=container.read_predictions),
            ResultsPage(session=self.session),
        ]
        self.pages = {page.slug: page for page in pages}
        if isinstance(self.pages[self.page], RunsPage):
            self.session.read_ahead()
        if pn.state.location:  # the address follows the page and source, and corrects what was unknown
            pn.state.location.sync(self, {"page": "page"}, on_error=lambda _: None)
            pn.state.location.sync(self.session, {"source": "source"}, on_error=lambda _: None)
        self.template = pn.template.BootstrapTemplate(
            title="ml-portfolio",
            sidebar=[pn.pane.Markdown("### Pages"),
                     pn.widgets.RadioButtonGroup.from_param(self.param.page, name="Page", orientation="vertical",
                                                            button_type="light", sizing_mode="stretch_width"),
                     *self.session.sidebar()],
            main=[*(alert(note, "warning") for note in notes),
                  pn.panel(self.view, defer_load=True, sizing_mode="stretch_width")],
        )

    @param.depends("page")
    def view(self) -> Any:
        """The chosen page, prepared while hidden and then shown: drawn once."""
        shown = self.pages[self.page]
        for page in self.pages.values():
            if page is not shown:
                page.active = False
        shown.prepare()
        shown.active = True
        return shown
