"""`ml-portfolio actuals add|show`, `accuracy` and `retrain`: the loop around serving."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.monitoring import AccuracyReport
from domain.monitoring import Accuracy
from entrypoints.cli.arguments import column_flags, column_spec, output_dir_flag, progress, training_flags, who
from entrypoints.cli.training import leaderboard, request_of

if TYPE_CHECKING:
    from entrypoints.container import Container

EXIT_PARTIAL, EXIT_BUSY = 1, 3


def add_actuals(commands: argparse._SubParsersAction) -> None:
    actuals = commands.add_parser("actuals", help="add actuals to the actuals store, or show a series' actuals",
                                  description="The actuals store keeps every value with when it arrived; a "
                                              "correction is kept beside what it corrects, never over it.")
    verbs = actuals.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="append actuals (new periods or corrections) from a table",
                           description="Append a table's actuals (any table `train` reads, with the same column "
                                       "flags) to a dataset of the store: new periods, corrections of stored ones. "
                                       "A table that breaks a rule (a date off the dataset's frequency, a missing, "
                                       "infinite or negative value, a date before a series' first, a gap) is "
                                       "refused whole. Then every version an alias points at on the dataset is "
                                       "scored against the actuals to date.")
    add.add_argument("--data", required=True, metavar="PATH", help="CSV or Parquet, long format")
    add.add_argument("--dataset", metavar="NAME", help="the dataset (default: the store's only one)")
    column_flags(add)
    add.set_defaults(handler=add_actuals_handler)
    show = verbs.add_parser("show", help="print every stored value of a series, corrections included")
    show.add_argument("series", help="the series id")
    show.add_argument("--dataset", metavar="NAME", help="the dataset (default: the store's only one)")
    show.set_defaults(handler=show_actuals)


def add_accuracy(commands: argparse._SubParsersAction) -> None:
    accuracy = commands.add_parser(
        "accuracy", help="how a registered version does on the actuals that settled its forecasts",
        description="Live accuracy (MAPE, MASE, bias, interval coverage over every settled period of the "
                    "forecasts from the version's training origin), its backtest figures and the drift verdict, "
                    "as GET /models/NAME/accuracy answers them.")
    accuracy.add_argument("--model", required=True, metavar="NAME[@ALIAS|/VERSION]",
                          help="the version: ensemble@champion, lightgbm/3, or lightgbm for its latest")
    accuracy.add_argument("--format", choices=("text", "json"), default="text")
    accuracy.set_defaults(handler=show_accuracy)


def add_retrain(commands: argparse._SubParsersAction) -> None:
    retrain = commands.add_parser(
        "retrain", help="train again on the actuals to date; promote the new version only if it wins",
        description="Train the portfolio (as `train`, same flags) on the actuals to date of a dataset (the store's "
                    "only one unless --dataset; a table with --data instead), then put the champion's new "
                    "version against it on the newest settled periods and promote it only when it is better with "
                    "p < 0.05 (Wilcoxon signed-rank on the series' errors), recording the evidence. With no new "
                    "actuals since the last training it trains nothing. One retrain runs at a time: another one "
                    "exits 3 at once, so cron can call it as often as it likes. Exit codes: 0 done (promoted, "
                    "kept, or nothing new); 1 some model failed; 2 bad input or a store unreachable; 3 another "
                    "retrain is running; 130/143 interrupted.")
    training_flags(retrain)
    output_dir_flag(retrain, "the benchmark files")
    retrain.add_argument("--who", default=None, help="who promotes, as recorded (default: the login name)")
    retrain.set_defaults(handler=retrain_handler, interruptible=True)


def add_actuals_handler(args: argparse.Namespace, container: Container) -> int:
    from application.actuals import ActualsRequest

    history = container.history_source().read(args.data, column_spec(args))
    receipt = container.record_actuals()(ActualsRequest(history=history, source=args.data, dataset=args.dataset))
    print(receipt.describe())
    for aliases, report in container.measure_served()(receipt.dataset):
        print(_line(aliases, report))
    return 0


def show_actuals(args: argparse.Namespace, container: Container) -> int:
    from adapters.filesystem.text_tables import format_table

    dataset, records = container.read_actuals()(args.series, args.dataset)
    print(f"{dataset}: series {args.series}, {sum(r.latest for r in records):,} periods, "
          f"{sum(not r.latest for r in records):,} corrected values")
    rows = [[str(r.period), f"{r.value:,.6g}", f"{r.arrived_at:%Y-%m-%d %H:%M:%S}", r.source[:60],
             "" if r.latest else "corrected later"] for r in records]
    print(format_table(["period", "value", "arrived (UTC)", "source", ""], rows, "lrlll"))
    return 0


def _line(aliases: Sequence[str], report: AccuracyReport) -> str:
    live, drift = report.live, report.drift
    state = "drift" if drift.flagged else "no drift"
    return (f"{report.version.name}@{','.join(aliases)} (version {report.version.version}): {_figures(live)}; "
            f"{state}, {len(drift.flagged_series):,} series drifted")


def _figures(found: Accuracy) -> str:
    if not found.periods:
        return "no settled period yet"
    return (f"live MAPE {_number(found.mape)}%, MASE {_number(found.mase)}, bias {_number(found.bias)}%, "
            f"coverage {_number(found.coverage)} over {found.periods:,} settled periods")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def show_accuracy(args: argparse.Namespace, container: Container) -> int:
    from application.batch import BatchRequest

    name, ref = BatchRequest(model=args.model, output="-").reference
    report = container.measure_accuracy()(name, ref)
    if args.format == "json":
        import msgspec

        from entrypoints.http.monitoring import accuracy_body

        print(msgspec.json.format(msgspec.json.encode(accuracy_body(report)), indent=2).decode())
        return 0
    print(f"{report.version.name} version {report.version.version} ({', '.join(report.version.aliases) or 'no alias'})"
          f" on {report.dataset}: {_figures(report.live)}")
    backtest = ", ".join(f"{k} {v:.4g}" for k, v in report.backtest.items())
    print(f"backtest: {backtest or '-'}")
    print(f"drift: {'FLAGGED' if report.drift.flagged else 'none'}; " + "; ".join(report.drift.evidence))
    for series, why in report.drift.series_evidence.items():
        print(f"  series {series}: {why}")
    return 0


def retrain_handler(args: argparse.Namespace, container: Container) -> int:
    from application.retrain import RetrainRequest
    from domain.errors import BusyError

    request = RetrainRequest(training=request_of(args), who=who(args.who), dataset=args.dataset)
    try:
        report = container.retrain()(request, progress=progress)
    except BusyError as exc:
        print(f"retrain: {exc}", file=sys.stderr)
        return EXIT_BUSY
    if report.training is not None:
        print(leaderboard(report.training))
    print(report.verdict)
    if report.promotion is not None:
        print(f"promoted {report.promotion.model} version {report.promotion.to_version} to champion")
    return EXIT_PARTIAL if report.training is not None and report.training.failed else 0
