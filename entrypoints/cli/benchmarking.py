"""`ml-portfolio benchmark` and `ml-portfolio sync`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from adapters.filesystem.results_json import RESULTS_JSON
from domain.benchmarks import BenchmarkRequest
from domain.leaderboard import RANKABLE_METRICS, Aggregate, RankOn, RunFilter
from entrypoints.cli.arguments import output_dir_flag, progress
from entrypoints.config import SOURCES

if TYPE_CHECKING:
    from entrypoints.container import Container


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def add_benchmark(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "benchmark", help="rank runs straight from MLflow (or the warehouse, or a results file) and write reports",
        description=(
            "Collapse the runs of each model on each dataset into one row, rank them, test whether the gap "
            f"between the top two is real, print the tables and write {RESULTS_JSON} and .csv, "
            "mlflow_benchmark_mape.png, mlflow_benchmark_rmse.png, mlflow_benchmark_accuracy_vs_time.png and "
            "mlflow_benchmark_report.txt into the output directory. Exit 1 when the filters leave no runs."
        ),
    )
    bench.add_argument("--experiment-name", action="append", default=[], metavar="NAME",
                       help="experiment to read (repeatable; default: every experiment except an empty Default)")
    bench.add_argument("--dataset", metavar="NAME", help="only runs on this dataset (case-insensitive)")
    bench.add_argument("--models", metavar="A,B,C", type=_names, default=(),
                       help="only these models (case-insensitive model names)")
    bench.add_argument("--source", choices=SOURCES,
                       help="where runs are read: mlflow (live), duckdb (warehouse filled by `sync`) or json "
                            "(a results file of an earlier benchmark); default $ML_PORTFOLIO_SOURCE, else mlflow")
    bench.add_argument("--results-json", metavar="PATH",
                       help=f"results file read by --source json (default: OUTPUT_DIR/{RESULTS_JSON})")
    bench.add_argument("--rank-by", choices=RANKABLE_METRICS, default="mape", help="ranking metric (default: mape)")
    bench.add_argument("--rank-on", choices=[r.value for r in RankOn], default=RankOn.OVERALL.value,
                       help="windows the ranking reads: overall = the mean over the backtest folds and the test "
                            "window (default; the test window when a run lacks it), test = the test window alone")
    bench.add_argument("--aggregate", choices=[a.value for a in Aggregate], default="best",
                       help="how runs of one model on one dataset collapse: best run, latest run, or mean with std "
                            "(default: best)")
    bench.add_argument("--include-unfinished", action="store_true", help="count runs that are not FINISHED too")
    output_dir_flag(bench, "files")
    bench.add_argument("--format", choices=("table", "json", "csv"), default="table",
                       help="what is printed: tables (default), the results JSON without its runs, or the results CSV")
    bench.set_defaults(handler=benchmark)


def add_sync(commands: argparse._SubParsersAction) -> None:
    sync_command = commands.add_parser(
        "sync",
        help="copy new and changed runs from the tracking store into the DuckDB warehouse",
        description="Incremental: the first sync reads every run, later ones only runs started or ended since "
        "the last.",
    )
    sync_command.set_defaults(handler=sync)


def benchmark(args: argparse.Namespace, container: Container) -> int:
    import msgspec

    from adapters.filesystem.results_json import report_document
    from adapters.filesystem.results_writer import results_csv
    from adapters.filesystem.text_tables import rankings_table, results_table, significance_line

    request = BenchmarkRequest(
        experiments=tuple(args.experiment_name),
        run_filter=RunFilter(dataset=args.dataset, models=args.models, include_unfinished=args.include_unfinished),
        rank_by=args.rank_by, aggregate=Aggregate(args.aggregate), rank_on=RankOn(args.rank_on),
    )
    report, written = container.benchmark_runs()(request, args.output_dir, progress=progress)
    if args.format == "json":
        document = msgspec.to_builtins(report_document(report))
        print(json.dumps({k: v for k, v in document.items() if k not in ("runs", "series_errors")}, indent=1))
    elif args.format == "csv":
        print(results_csv(report_document(report).results), end="")
    else:
        print(f"{len(report.runs)} runs from {report.source}\n")
        print(results_table(report), rankings_table(report), significance_line(report), sep="\n\n")
    print(f"wrote {len(written)} files to {args.output_dir}", file=sys.stderr)
    return 0


def sync(args: argparse.Namespace, container: Container) -> int:
    report = container.sync_warehouse()(progress=progress)
    kind = "full sync" if report.full else "incremental sync"
    print(f"{kind} from {report.origin}: {report.fetched} run(s) fetched into {container.config.warehouse()}")
    return 0
