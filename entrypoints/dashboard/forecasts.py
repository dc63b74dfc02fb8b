"""Forecasts: one store's history and forecast with its interval band, from a registered version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from application.dashboard import DescribeRegistry, ForecastStore
from application.serving import ForecastRequest
from domain.errors import DomainError
from domain.forecasts import DEFAULT_CONFIDENCE, DEFAULT_HORIZON, MAX_HORIZON
from domain.models import CHAMPION
from entrypoints.dashboard.common import PLOT, Page, alert, fmt, shown, table


class ForecastsPage(Page):
    """The choices cascade: a model lists its versions and aliases, a version its stores; the
    plot depends on the settled `selection`, so one choice redraws the page once."""

    title, slug = "Forecasts", "forecasts"
    model_name = param.Selector(objects=[], doc="a registered model")
    version = param.Selector(objects=[], doc="a version number, latest or an alias")
    store = param.Selector(objects=[])
    horizon = param.Integer(default=DEFAULT_HORIZON, bounds=(1, MAX_HORIZON), label="Horizon (weeks)")
    confidence = param.Number(default=DEFAULT_CONFIDENCE, bounds=(0.5, 0.99), step=0.01, label="Interval confidence")
    selection = param.Tuple(
        default=(None, None, None), length=3, doc="(model, version, store) once the cascade settles"
    )

    def __init__(self, registry: Callable[[], DescribeRegistry], forecasts: Callable[[], ForecastStore],
                 **params: Any) -> None:
        self._registry, self._forecasts = registry, forecasts
        super().__init__(**params)

    def controls(self) -> list[Any]:
        return [pn.FlexBox(
            pn.widgets.Select.from_param(self.param.model_name, name="Registered model"),
            pn.widgets.Select.from_param(self.param.version, name="Version or alias"),
            pn.widgets.Select.from_param(self.param.store, name="Store"),
            pn.widgets.IntSlider.from_param(self.param.horizon, throttled=True),
            pn.widgets.FloatSlider.from_param(self.param.confidence, throttled=True))]

    def _refs(self, name: str | None) -> list[str]:
        try:
            entry = next(e for e in self._registry()() if e.name == name)
        except (DomainError, StopIteration):
            return []
        return [*sorted(entry.aliases), "latest", *(str(v) for v in range(entry.newest_version, 0, -1))]

    def _stores(self, name: str | None, ref: str | None) -> list[int]:
        try:
            return list(self._forecasts().stores(name, ref)) if name and ref else []
        except DomainError:
            return []

    def prepare(self) -> None:
        """The registry is asked for models when the page is first shown, not when the session starts."""
        if not self.param.model_name.objects:
            try:
                names = [entry.name for entry in self._registry()()]
            except DomainError:
                names = []
            self.param.model_name.objects = names
            self.param.update(model_name=names[0] if names else None)
            self._versions()  # also when the first model was already the value

    @param.depends("model_name", watch=True)
    def _versions(self) -> None:
        refs = self._refs(self.model_name)
        self.param.version.objects = refs
        version = CHAMPION if CHAMPION in refs else (refs[0] if refs else None)
        self._settle(version)

    @param.depends("version", watch=True)
    def _version_chosen(self) -> None:
        if self.version != self.selection[1]:  # chosen by hand, not set by _settle
            self._settle(self.version)

    def _settle(self, version: str | None) -> None:
        stores = self._stores(self.model_name, version)
        self.param.store.objects = stores
        store = self.store if self.store in stores else (stores[0] if stores else None)
        self.param.update(version=version, store=store, selection=(self.model_name, version, store))

    @param.depends("store", watch=True)
    def _store_chosen(self) -> None:
        self.selection = (self.model_name, self.version, self.store)

    @param.depends("active", "selection", "horizon", "confidence")
    @shown
    def content(self) -> list[Any]:
        name, version, store = self.selection
        if not name or not version or store is None:
            return [alert("no registered model to forecast with; `ml-portfolio train` registers them, "
                          "or the tracking store is unreachable", "warning")]
        outlook = self._forecasts()(ForecastRequest(store_ids=(int(store),), horizon=self.horizon, model_name=name,
                                                    model_version=version, confidence_level=self.confidence))
        history = pd.DataFrame(outlook.history, columns=["week", "sales"]).astype({"week": "datetime64[ns]"})
        points = pd.DataFrame([(p.date, p.prediction, p.lower, p.upper) for p in outlook.forecast.points],
                              columns=["week", "forecast", "lower", "upper"])
        points["week"] = pd.to_datetime(points["week"])
        level = round(100 * self.confidence)
        chart = (points.hvplot.area(x="week", y="lower", y2="upper", alpha=0.25, label=f"{level}% interval", **PLOT)
                 * history.hvplot.line(x="week", y="sales", label="history", **PLOT)
                 * points.hvplot.line(x="week", y="forecast", label="forecast", **PLOT)
                 ).opts(title=f"store {store}: {outlook.version.name} version {outlook.version.version}",
                        legend_position="top_left", ylabel="weekly sales", yformatter="%.0f")
        aliases = ", ".join(outlook.version.aliases) or "no alias"
        facts = (
            f"**{outlook.version.name} version {outlook.version.version}** ({aliases}); test MAPE "
            f"{fmt(outlook.metrics.get('test_mape'))}; forecast from the week ending {outlook.history[-1][0]:%Y-%m-%d}"
        )
        return [pn.pane.Markdown(facts, css_classes=["forecast-facts"]), chart,
                table(points.assign(week=points["week"].dt.date), css_classes=["forecast-table"])]
