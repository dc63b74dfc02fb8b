"""Benchmark results: the primary metric's statistics per model, the full results table and its CSV."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import panel as pn
import param

from adapters.filesystem.results_json import RESULTS_JSON, result_docs
from adapters.filesystem.results_writer import results_csv
from domain.leaderboard import RESULT_METRICS, summarise
from entrypoints.dashboard.common import shown, table
from entrypoints.dashboard.comparison import results_frame
from entrypoints.dashboard.session import RunsPage


class ResultsPage(RunsPage):
    title, slug = "Benchmark results", "results"

    @param.depends("active", "session.snapshot", "session.experiment", "session.metric")
    @shown
    def content(self) -> list[Any]:
        report = self.session.report()
        metric = report.leaderboard.rank_by
        stats = pd.DataFrame([(s.model, s.dataset, s.runs, s.mean, s.std, s.min, s.max)
                              for s in summarise(report.runs, metric)],
                             columns=["model", "dataset", "runs", "mean", "std", "min", "max"])
        results = results_frame(report)
        download = pn.widgets.FileDownload(callback=lambda: io.StringIO(results_csv(result_docs(report))),
                                           filename=RESULTS_JSON.replace(".json", ".csv"), label="Download CSV",
                                           button_type="primary", css_classes=["download-csv"])
        return [pn.pane.Markdown(f"### Test {metric} per model over {len(report.runs):,} runs (primary metric: "
                                 "chosen on Model comparison)"),
                table(stats, css_classes=["stats-table"]),
                pn.pane.Markdown("### Results (best run per model and dataset)"), download,
                table(results, highlight=[c for c in RESULT_METRICS if c in results], css_classes=["full-table"])]
