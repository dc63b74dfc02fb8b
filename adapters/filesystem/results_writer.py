"""Writes a benchmark's files: JSON, CSV, three PNG charts and a text report, each atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec

from adapters.filesystem.atomic import write_atomic
from adapters.filesystem.results_json import report_to_json
from adapters.filesystem.text_tables import report_text
from application.benchmark import BenchmarkReport

PREFIX = "mlflow_benchmark"
JSON_NAME = f"{PREFIX}_results.json"


def results_csv(rows: list[dict]) -> str:
    """The `results` part of the results JSON as CSV; std values become <metric>_std columns."""
    buffer = io.StringIO()
    columns = [c for c in rows[0] if c not in ("std", "folds")] if rows else []
    stds = sorted({k for row in rows for k, v in row["std"].items() if v is not None}) if rows else []
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns + [f"{k}_std" for k in stds])
    for row in rows:
        writer.writerow([row[c] if row[c] is not None else "" for c in columns] + [row["std"].get(k) or "" for k in stds])
    return buffer.getvalue()


def _label(row, several: bool) -> str:
    return f"{row.model}\n({row.dataset})" if several else row.model


def _bar_chart(report: BenchmarkReport, metric: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from adapters.forecasting.plots import to_png

    rows = [r for r in report.leaderboard.results if r.values.get(metric) is not None]
    rows.sort(key=lambda r: r.values[metric])
    several = len({r.dataset for r in rows}) > 1
    figure, axis = plt.subplots(figsize=(max(6, 1.1 * len(rows) + 2), 4.5))
    errors = [r.std.get(metric) or 0 for r in rows]
    axis.bar([_label(r, several) for r in rows], [r.values[metric] for r in rows], yerr=errors if any(errors) else None,
             color="tab:blue", capsize=4)
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
    rows = [r for r in report.leaderboard.results if r.values.get(metric) is not None and r.values.get("training_time") is not None]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        axis.scatter(row.values["training_time"], row.values[metric], s=50)
        axis.annotate(row.model, (row.values["training_time"], row.values[metric]), textcoords="offset points", xytext=(5, 5))
    if rows and min(r.values["training_time"] for r in rows) > 0:
        axis.set_xscale("log")
    axis.set_xlabel("training time (s)")
    axis.set_ylabel(f"test {metric}")
    axis.set_title(f"Accuracy vs training time ({metric}, lower-left is better)")
    return to_png(figure)


class FilesystemResultsWriter:
    def write(self, report: BenchmarkReport, directory: str) -> list[str]:
        folder = Path(directory)
        document = report_to_json(report)
        files = {
            # Compact: at 100k runs an indented copy costs tens of MB; people read the report and CSV.
            JSON_NAME: msgspec.json.encode(document),
            f"{PREFIX}_results.csv": results_csv(document["results"]).encode(),
            f"{PREFIX}_mape.png": _bar_chart(report, "mape"),
            f"{PREFIX}_rmse.png": _bar_chart(report, "rmse"),
            f"{PREFIX}_accuracy_vs_time.png": _scatter(report),
            f"{PREFIX}_report.txt": report_text(report).encode(),
        }
        # Everything is rendered before the first file is replaced: a failure leaves the old set.
        for name, content in files.items():
            write_atomic(folder / name, content)
        return [str(folder / name) for name in files]
