"""The Panel dashboard: one `Dashboard` per browser session, built from the shared container.

Pages: Overview, Model comparison, Forecasts, Predictions explorer, Benchmark results. The
sidebar picks the run source (MLflow live, the benchmark JSON, the DuckDB warehouse) and the
experiment. Runs are read once per source switch or Reload into a RunSnapshot; filters then
re-rank the snapshot through the same RankRuns use case the benchmark command runs. A failure
to read one source is shown where its data would be; the other pages keep working.
"""

from __future__ import annotations

import io
import logging
import math
import sys
from collections.abc import Callable

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn

from adapters.filesystem.results_json import results_to_json
from adapters.filesystem.results_writer import results_csv
from application.benchmark import BenchmarkReport, BenchmarkRequest
from application.dashboard import RunSnapshot, overview
from application.serving import ForecastRequest, best_champion
from domain.errors import DomainError
from domain.forecasts import DEFAULT_CONFIDENCE, DEFAULT_HORIZON, MAX_HORIZON
from domain.leaderboard import RANKABLE_METRICS, RESULT_METRICS, RunFilter, fold_values, summarise
from domain.models import CHAMPION
from domain.predictions import PredictionTable, score
from entrypoints.container import Container

PAGES = {"Overview": "overview", "Model comparison": "comparison", "Forecasts": "forecasts",
         "Predictions explorer": "predictions", "Benchmark results": "results"}
SOURCES = {"MLflow live": "mlflow", "Benchmark JSON": "json", "DuckDB warehouse": "duckdb"}
ALL = "(all)"
ROW_NUMBER = "(row number)"
PLOT = {"responsive": True, "height": 300}
HIGHLIGHT = "font-weight: bold; background-color: #d4edda"
log = logging.getLogger("ml_portfolio.dashboard")


def _alert(message: str, kind: str = "danger") -> pn.pane.Alert:
    return pn.pane.Alert(message, alert_type=kind, sizing_mode="stretch_width", css_classes=["message"])


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}g}"


def _results_frame(report: BenchmarkReport) -> pd.DataFrame:
    """The benchmark's results table, exactly as its CSV has it."""
    return pd.read_csv(io.StringIO(results_csv(results_to_json(report))))


def _runs_frame(report: BenchmarkReport) -> pd.DataFrame:
    metric = report.leaderboard.rank_by
    rows = [(run.model_name, run.dataset_name, run.run_id, run.metric(metric), run.metric("training_time", None))
            for run in report.runs]
    return pd.DataFrame(rows, columns=["model", "dataset", "run_id", metric, "training_time"])


def _folds_frame(report: BenchmarkReport) -> pd.DataFrame:
    metric = report.leaderboard.rank_by
    rows = [(run.model_name, fold, value) for run in report.runs
            for fold, value in enumerate(fold_values(run, metric), start=1)]
    return pd.DataFrame(rows, columns=["model", "fold", metric])


def _number_formats(frame: pd.DataFrame) -> dict:
    """Sales-sized columns with thousands separators, the rest to four decimals."""
    from bokeh.models.widgets.tables import NumberFormatter

    return {c: NumberFormatter(format="0,0" if frame[c].abs().max() >= 1000 else "0.[0000]")
            for c in frame.select_dtypes("float").columns}


def _table(frame: pd.DataFrame, highlight: list[str] | None = None, **options) -> pn.widgets.Tabulator:
    """A sortable (click a header) read-only table; the lowest value of each `highlight` column in bold."""
    table = pn.widgets.Tabulator(frame, show_index=False, disabled=True, sizing_mode="stretch_width",
                                 layout="fit_data_table", formatters=_number_formats(frame),
                                 pagination="local" if len(frame) > 25 else None, page_size=25, **options)
    columns = list(dict.fromkeys(c for c in highlight or [] if c in frame and frame[c].notna().any()))
    if columns:
        table.style.highlight_min(subset=columns, props=HIGHLIGHT)
    return table


class Dashboard:
    def __init__(self, container: Container, default_source: str) -> None:
        self._container = container
        query = pn.state.location.query_params if pn.state.location else {}
        self._snapshot: RunSnapshot | None = None
        self._read, self._source_error, self._quiet = False, "", False
        self._predictions: PredictionTable | None = None
        self._upload_error = ""

        self.source = pn.widgets.RadioButtonGroup(
            name="Source", options=SOURCES, value=query.get("source") if query.get("source") in SOURCES.values() else default_source,
            orientation="vertical", button_type="primary", button_style="outline", sizing_mode="stretch_width")
        self.experiment = pn.widgets.Select(name="Experiment", options=[ALL], value=ALL, sizing_mode="stretch_width")
        self.reload = pn.widgets.Button(name="Reload", button_type="default", sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("read when a page needs it", css_classes=["source-status"], sizing_mode="stretch_width")
        self.page = pn.widgets.RadioButtonGroup(
            name="Page", options=PAGES, value=query.get("page") if query.get("page") in PAGES.values() else "overview",
            orientation="vertical", button_type="light", sizing_mode="stretch_width")
        self.main = pn.Column(sizing_mode="stretch_width")

        self.dataset = pn.widgets.Select(name="Dataset", options=[ALL], value=ALL)
        self.models = pn.widgets.MultiChoice(name="Models (none = all)", options=[])
        self.metric = pn.widgets.Select(name="Primary metric", options=list(RANKABLE_METRICS), value="mape")

        self.model_name = pn.widgets.Select(name="Registered model", options=[])
        self.version = pn.widgets.Select(name="Version or alias", options=[])
        self.store = pn.widgets.Select(name="Store", options=[])
        self.horizon = pn.widgets.IntSlider(name="Horizon (weeks)", start=1, end=MAX_HORIZON, value=DEFAULT_HORIZON)
        self.confidence = pn.widgets.FloatSlider(name="Interval confidence", start=0.5, end=0.99, step=0.01,
                                                 value=DEFAULT_CONFIDENCE)

        self.upload = pn.widgets.FileInput(accept=".csv,text/csv,text/plain", name="CSV of actual vs predicted")
        self.date_column = pn.widgets.Select(name="Date column", options=[ROW_NUMBER])
        self.actual_column = pn.widgets.Select(name="Actual column", options=[])
        self.predicted_column = pn.widgets.Select(name="Predicted column", options=[])

        # Each page's own controls stay on it whatever its content shows, errors included.
        self._controls = {
            "comparison": pn.FlexBox(self.dataset, self.models, self.metric),
            "forecasts": pn.FlexBox(self.model_name, self.version, self.store, self.horizon, self.confidence),
            "predictions": pn.FlexBox(self.upload, self.date_column, self.actual_column, self.predicted_column),
        }

        self.source.param.watch(lambda _: self._read_source(), "value")
        self.reload.on_click(lambda _: self._read_source())
        for widget in (self.page, self.experiment, self.dataset, self.models, self.metric):
            widget.param.watch(lambda _: self._quiet or self._show(), "value")
        self.model_name.param.watch(lambda _: self._quietly(self._fill_versions), "value")
        self.version.param.watch(lambda _: self._quietly(self._fill_stores), "value")
        for widget in (self.store, self.horizon, self.confidence):
            widget.param.watch(lambda _: self._quiet or self._show(), "value_throttled" if widget is not self.store else "value")
        self.upload.param.watch(lambda _: self._uploaded(), "value")
        for widget in (self.date_column, self.actual_column, self.predicted_column):
            widget.param.watch(lambda _: self._quiet or self._show(), "value")
        if pn.state.location:
            pn.state.location.sync(self.page, {"value": "page"})
            pn.state.location.sync(self.source, {"value": "source"})

        self.template = pn.template.BootstrapTemplate(
            title="ml-portfolio",
            sidebar=[pn.pane.Markdown("### Pages"), self.page, pn.pane.Markdown("### Runs"), self.source,
                     self.experiment, self.reload, self.status],
            main=[self.main],
        )
        pn.state.onload(self.start)

    # -- data ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._show()

    def _read_source(self, show: bool = True) -> None:
        """Read the selected source into a snapshot (now, not when a page first needs it)."""
        source = self.source.value
        try:
            self._snapshot = RunSnapshot(self._container.run_sources(source))
            self._source_error = ""
        except DomainError as exc:
            self._snapshot, self._source_error = None, str(exc)
        self._read = True
        snapshot = self._snapshot
        names = sorted(e.name for e in snapshot.experiments()) if snapshot else []
        everything = list(snapshot.runs([e.experiment_id for e in snapshot.experiments()])) if snapshot else []
        models = sorted({r.model_name for r in everything})
        datasets = sorted({r.dataset_name for r in everything})
        self._quiet = True  # new options are not new choices: no page is redrawn until the read is complete
        try:
            self.experiment.param.update(options=[ALL, *names], value=self.experiment.value if self.experiment.value in names else ALL)
            self.models.param.update(options=models, value=[m for m in self.models.value if m in models])
            self.dataset.param.update(options=[ALL, *datasets], value=self.dataset.value if self.dataset.value in datasets else ALL)
        finally:
            self._quiet = False
        if snapshot:
            self.status.object = (f"**{snapshot.describe()}**  \nread {snapshot.read_at:%Y-%m-%d %H:%M:%S} UTC "
                                  f"in {snapshot.read_seconds:.2f} s, {len(everything):,} finished runs")
        else:
            self.status.object = f"**{source}**: not readable"
        if show:
            self._show()

    def _report(self, rank_by: str, **filters) -> BenchmarkReport:
        """RankRuns over the snapshot, for the sidebar's experiment and the given filters. The
        source is read when a page first needs it, so the other pages never wait for it."""
        if not self._read:
            self._read_source(show=False)
        if self._snapshot is None:
            raise DomainError(self._source_error)
        experiments = () if self.experiment.value == ALL else (self.experiment.value,)
        request = BenchmarkRequest(experiments=experiments, run_filter=RunFilter(**filters), rank_by=rank_by)
        return self._container.rank_runs(source=self._snapshot)(request)

    def _quietly(self, fill: Callable[[], None], show: bool = True) -> None:
        """Change choices without each change redrawing the page; then redraw once."""
        if self._quiet:
            return
        self._quiet = True
        try:
            fill()
        finally:
            self._quiet = False
        if show:
            self._show()

    def _fill_models(self) -> None:
        try:
            names = [entry.name for entry in self._container.describe_registry()()]
        except DomainError:
            names = []
        self.model_name.param.update(options=names, value=self.model_name.value if self.model_name.value in names else
                                     (names[0] if names else None))
        self._fill_versions()

    def _fill_versions(self) -> None:
        refs: list[str] = []
        try:
            entry = next(e for e in self._container.describe_registry()() if e.name == self.model_name.value)
            refs = [*sorted(entry.aliases), "latest", *(str(v) for v in range(entry.newest_version, 0, -1))]
        except (DomainError, StopIteration):
            pass
        self.version.param.update(options=refs, value=CHAMPION if CHAMPION in refs else (refs[0] if refs else None))
        self._fill_stores()

    def _fill_stores(self) -> None:
        try:
            stores = list(self._container.forecast_store().stores(self.model_name.value, self.version.value))
        except DomainError:
            stores = []
        self.store.param.update(options=stores, value=self.store.value if self.store.value in stores else
                                (stores[0] if stores else None))

    def _uploaded(self) -> None:
        self._quietly(self._read_upload)

    def _read_upload(self) -> None:
        self._predictions, self._upload_error = None, ""
        try:
            table, guess = self._container.read_predictions()(self.upload.value or b"", self.upload.filename or "the upload")
        except DomainError as exc:
            self._upload_error = str(exc)
            return
        self._predictions = table
        self.date_column.param.update(options=[ROW_NUMBER, *table.columns], value=guess.date or ROW_NUMBER)
        self.actual_column.param.update(options=list(table.numeric), value=guess.actual)
        self.predicted_column.param.update(options=list(table.numeric), value=guess.predicted)

    # -- pages -----------------------------------------------------------------------------------

    def _show(self) -> None:
        page = self.page.value
        try:
            content = getattr(self, f"_page_{page}")()
        except DomainError as exc:
            content = [_alert(str(exc))]
        except Exception as exc:  # a page must never take the session down
            log.exception("page %s failed", page)
            content = [_alert(f"this page failed: {type(exc).__name__}: {exc}")]
        title = next(label for label, slug in PAGES.items() if slug == page)
        controls = [self._controls[page]] if page in self._controls else []
        self.main[:] = [pn.pane.Markdown(f"## {title}", css_classes=[f"page-{page}"]), *controls, *content]

    def _page_overview(self) -> list:
        items: list = []
        try:
            report = self._report("mape")
        except DomainError as exc:
            items.append(_alert(str(exc)))
        else:
            facts = overview(report)
            best = facts.best
            items += [
                pn.Row(*(pn.indicators.Number(name=label, value=value, format="{value:,}", font_size="28pt",
                                              title_size="12pt", css_classes=[f"count-{label.lower()}"])
                         for label, value in (("Models", facts.models), ("Datasets", facts.datasets), ("Runs", facts.runs)))),
                pn.pane.Markdown(
                    (f"**Best model:** {best.model} on {best.dataset}, test {report.leaderboard.rank_by.upper()} "
                     f"{_fmt(best.value)}" if best else "**Best model:** none ranked")
                    + f"  \n**Average training time:** {_fmt(facts.mean_training_time, 3)} s",
                    css_classes=["overview-best"]),
            ]
            several = facts.datasets > 1
            board = pd.DataFrame([(f"{r.model} ({r.dataset})" if several else r.model, r.value)
                                  for r in report.leaderboard.rankings], columns=["model", "mape"])
            if not board.empty:
                items.append(board.hvplot.bar(x="model", y="mape", title="Best test MAPE per model, % (lower is better)",
                                              rot=30, xlabel="", **PLOT))
        items.append(pn.pane.Markdown("### Model registry"))
        try:
            entries = self._container.describe_registry()()
        except DomainError as exc:
            items.append(_alert(f"registry: {exc}"))
            return items
        if not entries:
            items.append(_alert("no registered models yet; `ml-portfolio train` registers them", "info"))
            return items
        best = best_champion((e.name, e.champion_metrics) for e in entries if e.champion)
        if best:
            entry = next(e for e in entries if e.name == best)
            line = f"**Champion:** {best} version {entry.champion} (test MAPE {_fmt(entry.champion_metrics.get('test_mape'))})"
        else:
            line = "**Champion:** none; `ml-portfolio promote NAME --version V --alias champion` sets one"
        items.append(pn.pane.Markdown(f"{line}  \n**Registered versions:** {sum(e.newest_version for e in entries)} "
                                      f"over {len(entries)} models", css_classes=["overview-registry"]))
        items.append(_table(pd.DataFrame(
            [(e.name, e.newest_version, ", ".join(f"{a}: v{v}" for a, v in sorted(e.aliases.items())) or "-",
              e.champion_metrics.get("test_mape")) for e in entries],
            columns=["model", "newest version", "aliases", "champion test_mape"])))
        return items

    def _page_comparison(self) -> list:
        report = self._report(self.metric.value, dataset=None if self.dataset.value == ALL else self.dataset.value, models=tuple(self.models.value))
        metric = report.leaderboard.rank_by
        results = _results_frame(report)
        several = results["dataset_name"].nunique() > 1
        results["label"] = results["model_name"] + (" (" + results["dataset_name"] + ")" if several else "")
        shown = results.drop(columns=["label"])
        bars = [results.hvplot.bar(x="label", y=m, title=f"test {m}", rot=30, xlabel="", **PLOT)
                for m in ("mape", "rmse", "mae")]
        runs = _runs_frame(report)
        folds = _folds_frame(report)
        plots = [
            pn.Row(*bars, sizing_mode="stretch_width"),
            pn.Row(
                runs.hvplot.scatter(x="training_time", y=metric, by="model", hover_cols=["run_id", "dataset"],
                                    title=f"training time (s) vs test {metric}, one point per run", **PLOT),
                runs.hvplot.box(y=metric, by="model", title=f"test {metric} across runs", **PLOT),
                (folds.hvplot.box(y=metric, by="model", title=f"{metric} across backtest folds", **PLOT)
                 if not folds.empty else _alert("no backtest folds recorded", "info")),
                sizing_mode="stretch_width"),
        ]
        rankings = pd.DataFrame([(r.rank, r.model, r.dataset, r.value) for r in report.leaderboard.rankings],
                                columns=["rank", "model", "dataset", metric])
        test = report.significance
        gap = (f"Top two {test.metric} ({', '.join(r.model for r in report.leaderboard.top_two() or ())}): "
               f"Wilcoxon signed-rank on {test.pairs} {test.paired_by} pairs, p = {test.p_value:.3g}"
               if test else f"Gap between the top two not tested: {report.significance_note}")
        return [pn.pane.Markdown(f"{len(report.runs):,} runs, best run per model and dataset; lowest value "
                                          "per column in bold; click a header to sort"),
                _table(shown, highlight=list(dict.fromkeys((*RESULT_METRICS, metric))), css_classes=["results-table"]),
                *plots, pn.pane.Markdown("### Rankings (lower is better)"),
                _table(rankings, css_classes=["rankings-table"]), pn.pane.Markdown(gap, css_classes=["significance"])]

    def _page_forecasts(self) -> list:
        if not self.model_name.options:
            self._quietly(self._fill_models, show=False)
        if not self.model_name.value or not self.version.value or self.store.value is None:
            return [_alert("no registered model to forecast with; `ml-portfolio train` registers them, "
                                     "or the tracking store is unreachable", "warning")]
        outlook = self._container.forecast_store()(ForecastRequest(
            store_ids=(int(self.store.value),), horizon=self.horizon.value, model_name=self.model_name.value,
            model_version=self.version.value, confidence_level=self.confidence.value))
        history = pd.DataFrame(outlook.history, columns=["week", "sales"])
        history["week"] = pd.to_datetime(history["week"])
        points = pd.DataFrame([(p.date, p.prediction, p.lower, p.upper) for p in outlook.forecast.points],
                              columns=["week", "forecast", "lower", "upper"])
        points["week"] = pd.to_datetime(points["week"])
        level = round(100 * self.confidence.value)
        chart = (points.hvplot.area(x="week", y="lower", y2="upper", alpha=0.25, label=f"{level}% interval", **PLOT)
                 * history.hvplot.line(x="week", y="sales", label="history", **PLOT)
                 * points.hvplot.line(x="week", y="forecast", label="forecast", **PLOT)
                 ).opts(title=f"store {self.store.value}: {outlook.version.name} version {outlook.version.version}",
                        legend_position="top_left", ylabel="weekly sales", yformatter="%.0f")
        aliases = ", ".join(outlook.version.aliases) or "no alias"
        facts = (f"**{outlook.version.name} version {outlook.version.version}** ({aliases}); test MAPE "
                 f"{_fmt(outlook.metrics.get('test_mape'))}; forecast from the week ending "
                 f"{outlook.history[-1][0]:%Y-%m-%d}")
        return [pn.pane.Markdown(facts, css_classes=["forecast-facts"]), chart,
                _table(points.assign(week=points["week"].dt.date), css_classes=["forecast-table"])]

    def _page_predictions(self) -> list:
        if self._upload_error:
            return [_alert(self._upload_error)]
        table = self._predictions
        if table is None:
            return [_alert("upload a CSV with a column of actual values and one of predictions; "
                                      "a date column, if any, is the time axis", "info")]
        result = score(table, self.actual_column.value, self.predicted_column.value)
        frame = pd.DataFrame({"actual": table.columns[self.actual_column.value],
                              "predicted": table.columns[self.predicted_column.value]}, dtype=float)
        frame["residual"] = frame["actual"] - frame["predicted"]
        x = "row"
        frame["row"] = range(1, len(frame) + 1)
        if self.date_column.value != ROW_NUMBER:
            dates = _dates(table.columns[self.date_column.value])
            if dates is not None:
                frame["date"], x = dates, "date"
        frame = frame.dropna(subset=["actual"]).sort_values(x)
        mape = "undefined" if result.mape is None else f"{result.mape:.4g} %"
        metrics = pn.pane.Markdown(f"**MAPE** {mape} · **RMSE** {_fmt(result.rmse)} · **MAE** {_fmt(result.mae)} "
                                   f"· {result.count:,} rows of {table.name}", css_classes=["prediction-metrics"])
        return [metrics, *(_alert(note, "warning") for note in result.notes),
                frame.hvplot.line(x=x, y=["actual", "predicted"], title="actual vs predicted", **PLOT),
                pn.Row(frame.hvplot.scatter(x=x, y="residual", title="residual (actual - predicted) over time", **PLOT),
                       frame.hvplot.hist(y="residual", bins=30, title="residual histogram", **PLOT),
                       sizing_mode="stretch_width")]

    def _page_results(self) -> list:
        report = self._report(self.metric.value)
        metric = report.leaderboard.rank_by
        stats = pd.DataFrame([(s.model, s.dataset, s.runs, s.mean, s.std, s.min, s.max) for s in summarise(report.runs, metric)],
                             columns=["model", "dataset", "runs", "mean", "std", "min", "max"])
        results = _results_frame(report)
        download = pn.widgets.FileDownload(callback=lambda: io.StringIO(results_csv(results_to_json(report))),
                                           filename="mlflow_benchmark_results.csv", label="Download CSV",
                                           button_type="primary", css_classes=["download-csv"])
        return [pn.pane.Markdown(f"### Test {metric} per model over {len(report.runs):,} runs (primary metric: sidebar of "
                                 "Model comparison)"),
                _table(stats, css_classes=["stats-table"]),
                pn.pane.Markdown("### Results (best run per model and dataset)"), download,
                _table(results, highlight=[c for c in RESULT_METRICS if c in results], css_classes=["full-table"])]


def _dates(values: tuple) -> pd.Series | None:
    """The column as dates if every non-empty value reads as one (ISO first, then day-first)."""
    raw = pd.Series(values, dtype=object)
    for options in ({"format": "ISO8601"}, {"dayfirst": True, "format": "mixed"}):
        parsed = pd.to_datetime(raw, errors="coerce", **options)
        if parsed.notna().sum() == raw.notna().sum() and raw.notna().any():
            return parsed
    return None


def create_dashboard(container: Container) -> Callable[[], pn.template.BaseTemplate]:
    """The session factory: one container (and model cache) for the server, one Dashboard per session."""

    def session() -> pn.template.BaseTemplate:
        return Dashboard(container, container.settings().source).template

    return session


def serve(container: Container, host: str, port: int) -> None:
    settings = container.settings()
    pn.extension("tabulator", notifications=False)
    origins = ["*"] if host in ("0.0.0.0", "::") else [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    print(f"dashboard on http://{host}:{port} reading {settings.source} (tracking store {settings.tracking_uri})",
          file=sys.stderr, flush=True)
    pn.serve(create_dashboard(container), address=host, port=port, websocket_origin=origins, show=False,
             title="ml-portfolio", verbose=False)
