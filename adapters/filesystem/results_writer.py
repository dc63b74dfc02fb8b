"""Writes a benchmark's files: JSON, CSV, three PNG charts and a text report, each atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec

from adapters.filesystem.atomic import write_atomic
from adapters.filesystem.results_json import RESULTS_JSON, ResultDoc, report_document, results_records
from adapters.filesystem.text_tables import report_text
from domain.benchmarks import BenchmarkReport
from domain.leaderboard import ResultRow, scored

PREFIX = RESULTS_JSON.removesuffix("_results.json")


def results_csv(results: list[ResultDoc]) -> str:
    """The `results` part of the results JSON as CSV; std values become <metric>_std columns."""
    buffer = io.StringIO()
    columns, rows = results_records(results)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue()


def _label(row: ResultRow, several: bool) -> str:
    return f"{row.model}\n({row.dataset})" if several else row.model


def _bar_chart(report: BenchmarkReport, metric: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from adapters.forecasting.plots import to_png

    ranked = scored(report.leaderboard.results, metric)
    several = len({r.dataset for _, r in ranked}) > 1
    figure, axis = plt.subplots(figsize=(max(6, 1.1 * len(ranked) + 2), 4.5))
    errors = [r.std.get(metric) or 0 for _, r in ranked]
    axis.bar([_label(r, several) for _, r in ranked], [value for value, _ in ranked],
             yerr=errors if any(errors) else None, color="tab:blue", capsize=4)
    unit = " (%)" if metric in ("mape", "smape", "wmape") else ""
    axis.set_ylabel(f"test {metric}{unit}")
    axis.set_title(f"Test {metric.upper()} by model ({report.leaderboard.aggregate.value} run per model)")
    axis.tick_params(axis="x", labelrotation=30)
    return to_png(figure)


def _scatter(report: BenchmarkReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from adapters.forecasting.plots import to_png

    metric = report.leaderboard.rank_by
    points = [(seconds, value, row.model) for value, row in scored(report.leaderboard.results, metric)
              if (seconds := row.values.get("training_time")) is not None]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for seconds, value, model in points:
        axis.scatter(seconds, value, s=50)
        axis.annotate(model, (seconds, value), textcoords="offset points", xytext=(5, 5))
    if points and min(seconds for seconds, _, _ in points) > 0:
        axis.set_xscale("log")
    axis.set_xlabel("training time (s)")
    axis.set_ylabel(f"test {metric}")
    axis.set_title(f"Accuracy vs training time ({metric}, lower-left is better)")
    return to_png(figure)


class FilesystemResultsWriter:
    def write(self, report: BenchmarkReport, directory: str) -> list[str]:
        folder = Path(directory)
        document = report_document(report)
        files = {
            # Compact: at 100k runs an indented copy costs tens of MB; people read the report and CSV.
            RESULTS_JSON: msgspec.json.encode(document),
            f"{PREFIX}_results.csv": results_csv(document.results).encode(),
            f"{PREFIX}_mape.png": _bar_chart(report, "mape"),
            f"{PREFIX}_rmse.png": _bar_chart(report, "rmse"),
            f"{PREFIX}_accuracy_vs_time.png": _scatter(report),
            f"{PREFIX}_report.txt": report_text(report).encode(),
        }
        # Everything is rendered before the first file is replaced: a failure leaves the old set.
        for name, content in files.items():
            write_atomic(folder / name, content)
        return [str(folder / name) for name in files]
