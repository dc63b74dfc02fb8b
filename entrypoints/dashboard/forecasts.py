"""Forecasts: one series' history and forecast with its interval band, from a registered version: from
its training origin, and from an uploaded recent history beside it, each origin labelled."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from application.dashboard import DescribeRegistry, ForecastSeries, ReadHistory, SeriesOutlook
from application.ports import ForecastModel, History
from application.serving import ForecastRequest, best_champion
from domain.covariates import describe
from domain.errors import DomainError
from domain.forecasts import DEFAULT_CONFIDENCE, DEFAULT_HORIZON, Forecast, SeriesHistory
from domain.frequency import MAX_HORIZON
from domain.models import CHAMPION
from entrypoints.dashboard.common import Page, alert, fmt, shown, table
from entrypoints.dashboard.figures import LEGEND, PLOT


class ForecastsPage(Page):
    """The choices cascade: a model lists its versions and aliases, a version its series; the
    plot depends on the settled `selection`, so one choice redraws the page once. The series
    picker is a search box (type part of an id, pick from the matches), usable at any count. An
    uploaded table of recent history adds, for each of its series, the forecast from its own last
    date (and its series the version never saw to the picker). A version with covariates says
    which; its uploaded history's rows of future values can be changed one value at a time, and the
    forecast from that history is drawn again with it."""

    title, slug = "Forecasts", "forecasts"
    model_name = param.Selector(objects=[], doc="a registered model")
    version = param.Selector(objects=[], doc="a version number, latest or an alias")
    series = param.String(default=None, allow_None=True, doc="a series the version forecasts")
    horizon = param.Integer(default=DEFAULT_HORIZON, bounds=(1, MAX_HORIZON), label="Horizon (periods)")
    confidence = param.Number(default=DEFAULT_CONFIDENCE, bounds=(0.5, 0.99), step=0.01, label="Interval confidence")
    selection = param.Tuple(
        default=(None, None, None), length=3, doc="(model, version, series) once the cascade settles"
    )
    given = param.Parameter(default=None, doc="the uploaded recent history (a History), if any")
    given_error = param.String(default="")

    def __init__(self, registry: Callable[[], DescribeRegistry], forecasts: Callable[[], ForecastSeries],
                 histories: Callable[[], ReadHistory], **params: Any) -> None:
        self._registry, self._forecasts, self._histories = registry, forecasts, histories
        self._upload = pn.widgets.FileInput(accept=".csv,.parquet,text/csv", name="Recent history (CSV or Parquet)",
                                            css_classes=["history-upload"])
        super().__init__(**params)
        pn.bind(self._uploaded, self._upload.param.value, watch=True)

    def controls(self) -> list[Any]:
        # Its options are the version's series; _settle sets them and the value in one update, so the
        # box never holds a series it does not offer (it would empty itself).
        self._picker = pn.widgets.AutocompleteInput.from_param(
            self.param.series, name="Series (type to search)", case_sensitive=False, search_strategy="includes",
            min_characters=1, restrict=True, placeholder="part of a series id", css_classes=["series-picker"])
        return [pn.FlexBox(
            pn.widgets.Select.from_param(self.param.model_name, name="Registered model"),
            pn.widgets.Select.from_param(self.param.version, name="Version or alias"),
            self._picker,
            pn.widgets.IntSlider.from_param(self.param.horizon, throttled=True),
            pn.widgets.FloatSlider.from_param(self.param.confidence, throttled=True), self._upload)]

    async def _uploaded(self, content: bytes | None) -> None:
        """A table of recent history (read on a worker thread, so other sessions go on), or why not."""
        read = functools.partial(self._histories(), content or b"", self._upload.filename or "the upload")
        try:
            given: History = await asyncio.get_running_loop().run_in_executor(None, read)
        except DomainError as exc:
            self.param.update(given=None, given_error=str(exc))
            return
        self.param.update(given=given, given_error="")
        self._settle(self.version, prefer=given.series[0] if given.series else None)

    def _refs(self, name: str | None) -> list[str]:
        try:
            entry = next(e for e in self._registry()() if e.name == name)
        except (DomainError, StopIteration):
            return []
        return [*sorted(entry.aliases), "latest", *(str(v) for v in range(entry.newest_version, 0, -1))]

    def _model(self, name: str | None, ref: str | None) -> ForecastModel | None:
        try:
            return self._forecasts().model(name, ref) if name and ref else None
        except DomainError:
            return None

    def prepare(self) -> None:
        """The registry is asked for models when the page is first shown, not when the session starts;
        the page opens on the model the API serves by default (the best champion), else the first."""
        if not self.param.model_name.objects:
            try:
                entries = self._registry()()
            except DomainError:
                entries = []
            names = [entry.name for entry in entries]
            best = best_champion((e.name, e.champion_metrics) for e in entries if e.champion is not None)
            self.param.model_name.objects = names
            self.param.update(model_name=best or (names[0] if names else None))
            self._versions()  # also when that model was already the value

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

    def _settle(self, version: str | None, prefer: str | None = None) -> None:
        model = self._model(self.model_name, version)
        known = list(model.series_ids) if model else []
        recent = list(self.given.series) if self.given is not None and model else []
        series = known + [s for s in recent if s not in set(known)]
        chosen = next((s for s in (prefer, self.series) if s in series), (series or [None])[0])
        limit = model.max_horizon if model else MAX_HORIZON  # 28 days, 52 weeks, 12 months
        self.param.horizon.bounds = (1, limit)
        self.param.update(version=version, horizon=min(self.horizon, limit),
                          selection=(self.model_name, version, chosen))
        self._picker.param.update(options=series, value=chosen)

    @param.depends("series", watch=True)
    def _series_chosen(self) -> None:
        if self.series in self._picker.options and self.series != self.selection[2]:  # picked by hand
            self.selection = (self.model_name, self.version, self.series)

    @param.depends("active", "selection", "horizon", "confidence", "given", "given_error")
    @shown
    def content(self) -> list[Any]:
        name, version, series = self.selection
        if not name or not version or series is None:
            return [alert("no registered model to forecast with; `ml-portfolio train` registers them, "
                          "or the tracking store is unreachable", "warning")]
        outlook = self._forecasts()(ForecastRequest(series_ids=(series,), horizon=self.horizon, model_name=name,
                                                    model_version=version, confidence_level=self.confidence),
                                    self.given)
        level = round(100 * self.confidence)
        lines, tables = [], []
        given = outlook.given[-len(outlook.history):] if outlook.history else outlook.given  # as much as the other
        for history, forecast, kind, css in ((outlook.history, outlook.forecast, "training origin", "forecast-table"),
                                             (given, outlook.from_given, "uploaded history", "given-forecast-table")):
            if forecast is None:
                continue
            points = _points(forecast)
            label = f"from {forecast.points[0].origin:%Y-%m-%d} ({kind})"
            lines += [points.hvplot.area(x="date", y="lower", y2="upper", alpha=0.2, label=f"{level}% {label}", **PLOT),
                      _history(history).hvplot.line(x="date", y="value", label=f"history ({kind})", **PLOT),
                      points.hvplot.line(x="date", y="forecast", label=f"forecast {label}", **PLOT)]
            tables.append(table(points.assign(date=points["date"].dt.date), css_classes=[css]))
        chart = functools.reduce(lambda a, b: a * b, lines).opts(
            title=f"series {series}: {outlook.version.name} version {outlook.version.version}",
            legend_position=LEGEND, ylabel="value", yformatter="%.0f")
        model = self._model(name, version)
        return [*([alert(self.given_error)] if self.given_error else []),
                pn.pane.Markdown(_facts(outlook), css_classes=["forecast-facts"]),
                *(self._covariates(model, series) if model is not None and model.covariates else []),
                *self.later(lambda: chart), *tables]

    def _covariates(self, model: ForecastModel, series: str) -> list[Any]:
        """Which covariates the version uses, and an editor of the uploaded history's future values of the series."""
        shown = [pn.pane.Markdown(f"Covariates: {describe(model.covariates)}", css_classes=["forecast-covariates"])]
        future = [c.name for c in model.covariates if c.kind == "future"]
        ids, dates, values = self.given.rows() if self.given is not None else ((), (), ())
        ahead = [d for s, d, v in zip(ids, dates, values, strict=True) if s == series and v != v]  # NaN: future row
        if not future or not ahead:
            return shown
        when = pn.widgets.Select(name="Forecast date", options=[str(d) for d in ahead], css_classes=["future-date"])
        column = pn.widgets.Select(name="Future covariate", options=future, css_classes=["future-column"])
        value = pn.widgets.FloatInput(name="Value", value=0.0, css_classes=["future-value"])
        apply = pn.widgets.Button(name="Forecast with this value", button_type="primary", css_classes=["future-apply"])
        apply.on_click(lambda event: self._changed(series, when.value, column.value, float(value.value or 0.0)))
        return [*shown, pn.Row(when, column, value, apply)]

    def _changed(self, series: str, when: str, column: str, value: float) -> None:
        """The uploaded history with one future value changed: the forecast from it is drawn again."""
        given = self.given
        ids, dates, values = given.rows()
        columns = {name: list(cells) for name, cells in given.columns().items()}
        row = next(k for k, (s, d) in enumerate(zip(ids, dates, strict=True)) if s == series and str(d) == when)
        columns.setdefault(column, [None] * len(ids))[row] = value
        self.given = SeriesHistory(series_ids=tuple(map(str, ids)), dates=tuple(dates),
                                   values=tuple(map(float, values)),
                                   covariates={name: tuple(cells) for name, cells in columns.items()})


def _points(forecast: Forecast) -> pd.DataFrame:
    points = pd.DataFrame([(p.date, p.prediction, p.lower, p.upper) for p in forecast.points],
                          columns=["date", "forecast", "lower", "upper"])
    points["date"] = pd.to_datetime(points["date"])
    return points


def _history(history: tuple[Any, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(history), columns=["date", "value"]).astype({"date": "datetime64[ns]"})


def _facts(outlook: SeriesOutlook) -> str:
    aliases = ", ".join(outlook.version.aliases) or "no alias"
    origins = [f"{kind} {f.points[0].origin:%Y-%m-%d}" for kind, f in
               (("forecast from its training origin", outlook.forecast),
                ("from the uploaded history", outlook.from_given)) if f is not None]
    return (f"**{outlook.version.name} version {outlook.version.version}** ({aliases}); test MAPE "
            f"{fmt(outlook.metrics.get('test_mape'))}; {'; '.join(origins)}")
