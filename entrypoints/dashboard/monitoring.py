"""Monitoring: how each served alias does on the actuals, against its backtest; drift; a series'
actuals beside the forecasts served for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from application.monitoring import AccuracyReport, MeasureServed, ReadServed
from domain.errors import DomainError
from entrypoints.dashboard.common import Page, alert, fmt, shown, table
from entrypoints.dashboard.figures import LEGEND, PLOT


def _served_table(reports: list[tuple[tuple[str, ...], AccuracyReport]]) -> pd.DataFrame:
    return pd.DataFrame([{
        "model": r.version.name, "aliases": ", ".join(aliases), "version": r.version.version, "dataset": r.dataset,
        "live_mape": r.live.mape, "live_mase": r.live.mase, "bias_%": r.live.bias, "coverage": r.live.coverage,
        "settled": r.live.periods, "backtest_mape": r.backtest.get("mape"), "drift": "yes" if r.drift.flagged else "no",
        "drifted_series": len(r.drift.flagged_series)} for aliases, r in reports])


class MonitoringPage(Page):
    """The served aliases, measured once per visit (Reload measures again); the chosen one's live MAPE by
    week of arrival inside its backtest band, its drift evidence, and one series' actuals beside the
    forecasts served for it."""

    title, slug = "Monitoring", "monitoring"
    chosen = param.Selector(objects=[], doc="a model@alias")
    series = param.String(default=None, allow_None=True, doc="a series of the chosen version's dataset")
    measured = param.Integer(default=0, doc="how many times the aliases were measured (Reload adds one)")

    def __init__(self, measure: Callable[[], MeasureServed], served: Callable[[], ReadServed], **params: Any) -> None:
        self._measure, self._served = measure, served
        self._reports: dict[str, AccuracyReport] = {}
        self._error = ""
        super().__init__(**params)

    def controls(self) -> list[Any]:
        reload = pn.widgets.Button(name="Measure again", button_type="light", css_classes=["measure-again"])
        reload.on_click(lambda _: self._read())
        return [pn.FlexBox(pn.widgets.Select.from_param(self.param.chosen, name="Model@alias"),
                           pn.widgets.TextInput.from_param(self.param.series, name="Series (actuals beside served)",
                                                           placeholder="a series id"), reload)]

    def _read(self) -> None:
        try:
            found = self._measure()()
            self._error = ""
        except DomainError as exc:
            found, self._error = [], str(exc)
        self._reports = {f"{r.version.name}@{','.join(aliases)}": r for aliases, r in found}
        self.param.chosen.objects = list(self._reports)
        chosen = self.chosen if self.chosen in self._reports else next(iter(self._reports), None)
        self.param.update(chosen=chosen, measured=self.measured + 1)

    def prepare(self) -> None:
        if not self.measured:
            self._read()

    @param.depends("active", "measured", "chosen", "series")
    @shown
    def content(self) -> list[Any]:
        if self._error:
            return [alert(self._error)]
        if not self._reports:
            return [alert("no alias points at a version yet: `ml-portfolio run` promotes a champion", "info")]
        frame = _served_table([(tuple(k.split("@")[1].split(",")), r) for k, r in self._reports.items()])
        report = self._reports[self.chosen]
        over_time, series = self.later(lambda: self._over_time(report), lambda: self._series(report))
        return [table(frame, highlight=["live_mape"], css_classes=["served-table"]),
                pn.pane.Markdown(self._facts(report), css_classes=["monitoring-facts"]),
                over_time, *self._drift(report), series]

    @staticmethod
    def _facts(report: AccuracyReport) -> str:
        live = report.live
        if not live.periods:
            return (f"**{report.version.name} version {report.version.version}** on {report.dataset}: no settled "
                    "period yet; `ml-portfolio actuals add` or POST /actuals brings the actuals")
        return (f"**{report.version.name} version {report.version.version}** on {report.dataset}: live MAPE "
                f"{fmt(live.mape)}% over {live.periods:,} settled periods (backtest {fmt(report.backtest.get('mape'))}"
                f"%), MASE {fmt(live.mase)}, bias {fmt(live.bias)}%, coverage {fmt(live.coverage)}")

    @staticmethod
    def _over_time(report: AccuracyReport) -> Any:
        weeks = pd.DataFrame([(pd.Timestamp(str(k)), a.mape) for k, a in report.per_week],
                             columns=["week", "live_mape"])
        low, high = (min(report.windows.values()), max(report.windows.values())) if report.windows else (0.0, 0.0)
        span = [weeks["week"].min() - pd.Timedelta(days=3), weeks["week"].max() + pd.Timedelta(days=3)]
        band = pd.DataFrame({"week": span, "low": low, "high": high})  # wide enough to see with one week
        title = f"live MAPE by week of arrival, inside the backtest's band ({fmt(low)}-{fmt(high)}%)"
        if weeks.empty:
            return pn.pane.Markdown(f"*{title}: nothing settled yet*")
        return (band.hvplot.area(x="week", y="low", y2="high", alpha=0.2, label="backtest windows", **PLOT)
                * weeks.hvplot.line(x="week", y="live_mape", label="live MAPE", **PLOT)
                * weeks.hvplot.scatter(x="week", y="live_mape", **PLOT)).opts(title=title, ylabel="MAPE %",
                                                                               legend_position=LEGEND)

    @staticmethod
    def _drift(report: AccuracyReport) -> list[Any]:
        drift = report.drift
        state = "**Drift: flagged.** " if drift.flagged else "**Drift: none.** "
        items: list[Any] = [pn.pane.Markdown(state + "; ".join(drift.evidence), css_classes=["drift-facts"])]
        if drift.series_evidence:
            items.append(table(pd.DataFrame(list(drift.series_evidence.items()), columns=["series_id", "why"]),
                               css_classes=["drift-table"]))
        return items

    def _series(self, report: AccuracyReport) -> list[Any]:
        series = self.series or next(iter(report.drift.flagged_series), None) or next(
            (str(k) for k, _ in report.per_series), None)
        if series is None:
            return []
        found = self._served()(report.dataset, series)
        actuals = pd.DataFrame(list(found.actuals), columns=["date", "actual"]).astype({"date": "datetime64[ns]"})
        served = pd.DataFrame([(p.period, p.prediction, str(p.origin)) for p in found.served],
                              columns=["date", "served", "origin"]).astype({"date": "datetime64[ns]"})
        chart = actuals.tail(104).hvplot.line(x="date", y="actual", label="actuals", **PLOT).opts(
            ylabel="value", yformatter="%.0f")
        if not served.empty:
            chart = (chart * served.hvplot.scatter(x="date", y="served", by="origin", **PLOT)).opts(
                legend_position=LEGEND)
        note = f"{len(found.served):,} forecasts served for it" if found.served else "no forecast served for it yet"
        return [pn.pane.Markdown(f"### Series {series}: actuals beside the forecasts served ({note})",
                                 css_classes=["served-facts"]), chart]
