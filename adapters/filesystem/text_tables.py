"""Plain-text tables and the benchmark's text report."""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.benchmarks import BenchmarkReport
from domain.leaderboard import Aggregate, scored
from domain.metrics import ERROR_METRICS


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """Columns padded to their widest cell; align has one letter per column, l(eft) or r(ight)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(w) if a == "l" else str(cell).rjust(w) for cell, w, a in zip(row, widths, align))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def number(value: float | None, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric in ("mape", "smape", "wmape", "mase", "coverage"):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if metric in ("training_time", "predict_time"):
        return f"{value:.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def table_columns(report: BenchmarkReport) -> list[str]:
    return list(dict.fromkeys(["mape", "rmse", "mae", report.leaderboard.rank_by]))


def results_table(report: BenchmarkReport) -> str:
    board = report.leaderboard
    metrics = table_columns(report)
    mean = board.aggregate is Aggregate.MEAN
    header = ["model_name", "dataset_name"]
    for m in metrics:
        header += [m] + ([f"{m}_std"] if mean else [])
    folds = max((len(row.folds) for row in board.results), default=0)
    header += ["training_time", "runs", f"{board.rank_on}_{board.rank_by}"]
    if folds:  # the rank metric in each backtest fold of the representative run, and its spread
        header += [f"fold{k}" for k in range(1, folds + 1)] + ["spread"]
    rows = []
    for row in board.results:
        cells = [row.model, row.dataset]
        for m in metrics:
            cells += [number(row.values.get(m), m)] + ([number(row.std.get(m), m)] if mean else [])
        cells += [number(row.values.get("training_time"), "training_time"), str(row.runs),
                  number(row.score, board.rank_by)]
        if folds:
            cells += [number(row.folds[k] if k < len(row.folds) else None, board.rank_by) for k in range(folds)]
            cells.append(number(max(row.folds) - min(row.folds), board.rank_by) if row.folds else "-")
        rows.append(cells)
    return format_table(header, rows, "ll" + "r" * (len(header) - 2))


def rankings_table(report: BenchmarkReport) -> str:
    board = report.leaderboard
    several = len({r.dataset for r in board.rankings}) > 1
    header = ["rank", "model_name"] + (["dataset_name"] if several else []) + [f"{board.rank_on}_{board.rank_by}"]
    rows = [
        [str(r.rank), r.model] + ([r.dataset] if several else []) + [number(r.value, board.rank_by)]
        for r in board.rankings
    ]
    return format_table(header, rows, "rl" + ("l" if several else "") + "r")


def significance_line(report: BenchmarkReport) -> str:
    test = report.significance
    top = report.leaderboard.top_two()
    if test is None or top is None:
        return f"Is the gap real? Not tested: {report.significance_note}."
    best, second = top
    verdict = "significant at 5%" if test.significant() else "not significant at 5%"
    return (
        f"Is the gap real? {best.model} vs {second.model} on {best.dataset}: {test.method} over {test.pairs} "
        f"paired {'series' if test.paired_by == 'series' else test.paired_by + 's'}, p = {test.p_value:.3g} "
        f"(mean {test.metric} difference {test.mean_difference:+.4g}): {verdict}."
    )


_RANK_ON = {"overall": "all the evidence (the mean over the backtest folds and the test window)",
            "test": "the test window"}


def report_text(report: BenchmarkReport) -> str:
    board = report.leaderboard
    runs = report.runs
    lines = [
        f"ml-portfolio benchmark report, generated {report.generated_at:%Y-%m-%d %H:%M:%S} UTC",
        f"source: {report.source}",
        f"experiments: {', '.join(e.name for e in report.experiments)}",
        f"totals: {len(runs)} runs, {len({r.model for r in board.results})} models, "
        f"{len({r.dataset for r in board.results})} datasets; "
        f"aggregate {board.aggregate.value}, ranked by {board.rank_by} on {_RANK_ON[board.rank_on]}",
        "",
        "best model per metric (lower is better):",
    ]
    for metric in (*ERROR_METRICS, "training_time"):
        ranked = scored(board.results, metric)
        if ranked:
            value, best = ranked[0]
            lines.append(f"  {metric:<14}{best.model} on {best.dataset}: {number(value, metric)}")
    lines += ["", results_table(report), "", rankings_table(report), "", significance_line(report)]
    return "\n".join(lines) + "\n"
