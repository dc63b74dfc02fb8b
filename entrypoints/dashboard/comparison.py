"""Model comparison: the results table, the ranking with its significance test (as `benchmark` prints
them) beside the primary metric's bars, the spread across runs and folds, each model's error season by
season (every backtest window and the test window, by origin) and accuracy against training time."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param

from adapters.filesystem.results_json import result_docs, results_records
from domain.benchmarks import BenchmarkReport
from domain.leaderboard import RESULT_METRICS, fold_values
from domain.runs import WINDOWS_TAG, Run
from entrypoints.dashboard.common import ALL, alert, shown, table
from entrypoints.dashboard.figures import bars, boxes, lines, scatter
from entrypoints.dashboard.session import RunsPage


def results_frame(report: BenchmarkReport) -> pd.DataFrame:
    """The benchmark's results table, with the columns its CSV has."""
    columns, rows = results_records(result_docs(report))
    return pd.DataFrame(rows, columns=columns)


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


def _windows(run: Run) -> list[tuple[str, str]]:
    """(split, label) of each window the run scored, oldest first: from its windows tag
    (`fold1=2011-08-05,...,test=2012-08-03`), else fold<k> and test by number."""
    tagged = [part.split("=", 1) for part in run.tags.get(WINDOWS_TAG, "").split(",") if "=" in part]
    if tagged:
        return [(split, f"{split} from {origin}") for split, origin in tagged]
    return [(f"fold{k}", f"fold{k}") for k in range(1, len(fold_values(run, "mape")) + 1)] + [("test", "test")]


def _labels(report: BenchmarkReport) -> dict[tuple[str, str], str]:
    """Each result row's label on the plots: its model, and its dataset when there are several."""
    rows = report.leaderboard.results
    several = len({row.dataset for row in rows}) > 1
    return {(row.model, row.dataset): row.model + (f" ({row.dataset})" if several else "") for row in rows}


def seasons_frame(report: BenchmarkReport) -> pd.DataFrame:
    """Per result row, the rank metric in each window of its representative run, oldest first, with
    the window's origin as a date where its run named it."""
    metric, runs, labels = report.leaderboard.rank_by, {run.run_id: run for run in report.runs}, _labels(report)
    rows = [(labels[row.model, row.dataset], label, value) for row in report.leaderboard.results
            if row.run_id in runs for split, label in _windows(runs[row.run_id])
            if (value := runs[row.run_id].metric(metric, split)) is not None]
    frame = pd.DataFrame(rows, columns=["model", "window", metric])
    origins = frame["window"].str.extract(r" from (\d{4}-\d{2}-\d{2})$", expand=False)
    return frame.assign(origin=pd.to_datetime(origins, errors="coerce"))


def _seasons(report: BenchmarkReport) -> list[Any]:
    """The season-by-season heading, table and plot."""
    seasons = seasons_frame(report)
    if seasons.empty:
        return [alert("no per-window metrics recorded", "info")]
    metric = report.leaderboard.rank_by
    counts = seasons.groupby("model", sort=False)["window"].transform("size")  # the longest history sets the order
    order = list(dict.fromkeys(seasons.assign(n=counts).sort_values("n", ascending=False, kind="stable")["window"]))
    wide = seasons.pivot(index="model", columns="window", values=metric)[order]
    dated = seasons["origin"].notna().all()
    title = f"{metric} per window, by its origin" if dated else f"{metric} per window"
    return [pn.pane.Markdown(f"**{metric} season by season** (each window's origin; lower is better)"),
            table(wide.reset_index(), highlight=list(wide.columns), css_classes=["seasons-table"]),
            lines(seasons.sort_values("origin" if dated else "window", kind="stable"),
                  x="origin" if dated else "window", y=metric, by="model", title=title, hover=("window",))]


def _spread(report: BenchmarkReport) -> pn.Row:
    metric, runs, folds = report.leaderboard.rank_by, _runs_frame(report), _folds_frame(report)
    return pn.Row(boxes(runs, metric, "model", f"test {metric} across runs"),
                  boxes(folds, metric, "model", f"{metric} across backtest folds") if not folds.empty
                  else alert("no backtest folds recorded", "info"), sizing_mode="stretch_width")


def _times(report: BenchmarkReport) -> Any:
    metric = report.leaderboard.rank_by
    return scatter(_runs_frame(report), "training_time", metric, "model", hover=("dataset",),
                   title=f"training time (s) vs test {metric}, one point per run")


def _gap(report: BenchmarkReport) -> str:
    test = report.significance
    if test is None:
        return f"Gap between the top two not tested: {report.significance_note}"
    return (f"Top two {test.metric} ({', '.join(r.model for r in report.leaderboard.top_two() or ())}): "
            f"Wilcoxon signed-rank on {test.pairs} {test.paired_by} pairs, p = {test.p_value:.3g}")


class ComparisonPage(RunsPage):
    title, slug = "Model comparison", "comparison"
    dataset = param.Selector(objects=[ALL], default=ALL)
    models = param.ListSelector(default=[], objects=[], doc="none = all")
    revision = param.Integer(default=0, doc="counts the reads of the source this page has seen")

    def controls(self) -> list[Any]:
        return [pn.FlexBox(pn.widgets.Select.from_param(self.param.dataset, name="Dataset"),
                           pn.widgets.MultiChoice.from_param(self.param.models, name="Models (none = all)"),
                           pn.widgets.Select.from_param(self.session.param.metric, name="Primary metric"))]

    @param.depends("session.snapshot", "session.experiment", watch=True)
    def _choices(self) -> None:
        """New runs bring new choices; choices still on offer stay chosen. One redraw for all of it."""
        runs = self.session.runs(self.session.snapshot)
        models, datasets = sorted({r.model_name for r in runs}), sorted({r.dataset_name for r in runs})
        self.param.models.objects, self.param.dataset.objects = models, [ALL, *datasets]
        self.param.update(models=[m for m in self.models if m in models], revision=self.revision + 1,
                          dataset=self.dataset if self.dataset in datasets else ALL)

    @param.depends("active", "revision", "dataset", "models", "session.metric")
    @shown
    def content(self) -> list[Any]:
        """The counts, the tables and the primary metric's bars at once; the other plots when ready."""
        report = self.session.report(dataset=None if self.dataset == ALL else self.dataset, models=tuple(self.models))
        metric = report.leaderboard.rank_by
        results = results_frame(report)
        labels = _labels(report)
        labelled = results.assign(label=[labels[key] for key in zip(results["model_name"], results["dataset_name"])])
        rankings = pd.DataFrame([(r.rank, r.model, r.dataset, r.value) for r in report.leaderboard.rankings],
                                columns=["rank", "model", "dataset", metric])
        shown = metric if metric in labelled else "mape"
        spread, seasons, times = self.later(lambda: _spread(report), lambda: _seasons(report), lambda: _times(report))
        return [
            pn.pane.Markdown(f"{len(report.runs):,} runs, best run per model and dataset; lowest value per column "
                             "in bold", css_classes=["comparison-facts"]),
            table(results, highlight=list(dict.fromkeys((*RESULT_METRICS, metric))), css_classes=["results-table"]),
            pn.Row(pn.Column(pn.pane.Markdown(f"**Rankings by {report.leaderboard.rank_on} {metric}** (lower is "
                                              "better)"), table(rankings, css_classes=["rankings-table"]),
                             pn.pane.Markdown(_gap(report), css_classes=["significance"]), sizing_mode="stretch_width"),
                   bars(labelled, "label", shown, f"test {shown} of each result row"), sizing_mode="stretch_width"),
            spread, seasons, times,
        ]
