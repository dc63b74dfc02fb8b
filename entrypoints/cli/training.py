"""`ml-portfolio train` and `ml-portfolio run` (the main job)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from application.train import TrainingReport, TrainRequest
from domain.columns import PanelSpec
from domain.errors import DataError, InvalidValueError
from domain.frequency import parse_frequency
from domain.leaderboard import evidence_split
from domain.models import Promotion
from entrypoints.cli.arguments import checked, column_spec, output_dir_flag, positive, progress, training_flags, who
from entrypoints.cli.arguments import port as port_type

EXIT_PARTIAL = 1  # the work ran but part of it failed

if TYPE_CHECKING:
    from entrypoints.container import Container


def add_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="the main job: train, benchmark, promote the ensemble to champion, then serve the API and the dashboard",
        description=(
            "Train the portfolio (as `train`), benchmark every finished run of the experiment on that dataset "
            "(as `benchmark`, writing its files), point `champion` at the ensemble's registered version (without "
            "the ensemble, the best ranked run's) with the evidence recorded (unless the champion is already as "
            "good), then start the HTTP API and "
            "the dashboard and print their URLs and a curl for /predict. Ctrl-C stops both. Running it again "
            "adds runs and versions; nothing earlier is lost."
        ),
    )
    training_flags(run)
    output_dir_flag(run, "the benchmark files")
    run.add_argument("--who", default=None, help="who promotes, as recorded (default: the login name)")
    run.add_argument("--no-serve", dest="serve", action="store_false",
                     help="stop after the promotion: no API, no dashboard (for scripts and tests)")
    run.add_argument(
        "--host", default="127.0.0.1", help="address the API and the dashboard listen on (default: 127.0.0.1)"
    )
    run.add_argument("--api-port", type=port_type, default=8000, help="API port (default: 8000)")
    run.add_argument("--dashboard-port", type=port_type, default=5006, help="dashboard port (default: 5006)")
    run.set_defaults(handler=run_job, interruptible=True)


def add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser(
        "train", help="train, backtest, log and register the forecasting models",
        description=(
            "Train each model on a panel of series (daily, weekly, monthly, quarterly or yearly), evaluate it "
            "out of time (the last HORIZON periods of every series are the test set, plus a rolling-origin "
            "backtest with as many folds as the history holds), log the "
            "run to MLflow and register the model as a self-contained pyfunc version named after the model. "
            "Ctrl-C or SIGTERM ends the run in progress as KILLED."
        ),
    )
    training_flags(train)
    train.add_argument("--no-register", dest="register", action="store_false",
                       help="log the runs but do not register model versions")
    train.set_defaults(handler=train_models, interruptible=True)


def _synthetic_kind(text: str) -> str:
    if text.strip().lower() == "promotions":  # a kind of panel, not a frequency
        return "promotions"
    kind = parse_frequency(text)
    if kind not in ("daily", "weekly", "monthly"):
        raise InvalidValueError(f"there is no synthetic {kind} panel; one of daily, weekly, monthly, promotions")
    return kind


def add_synthetic(commands: argparse._SubParsersAction) -> None:
    synthetic = commands.add_parser(
        "synthetic", help="write a synthetic panel (weekly, daily, monthly or promotions) to train on",
        description=(
            "Write a deterministic synthetic panel: weekly is the Walmart-shaped table `train` uses by "
            "default (Store, Date dd-mm-yyyy, Weekly_Sales...); daily and monthly have seasonality of their "
            "own (a weekly pattern and a yearly one; a yearly one) in Nixtla's columns unique_id, ds, y with "
            "text ids; promotions is a weekly panel with planned promotions and a price (known-future columns "
            "promo and price) and a store size (static, store_size) besides unique_id, ds, y. CSV, or Parquet "
            "when OUTPUT ends in .parquet."
        ),
    )
    synthetic.add_argument("--freq", type=checked(_synthetic_kind), default="weekly",
                           metavar="daily|weekly|monthly|promotions",
                           help="the kind (default: weekly): daily, weekly, monthly, or promotions: a weekly "
                                "panel with planned promotions and a price (known-future columns) and a store "
                                "size (static)")
    synthetic.add_argument("--series", type=positive, default=45, metavar="N", help="how many series (default: 45)")
    synthetic.add_argument("--periods", type=positive, metavar="N",
                           help="periods per series (default: 143 weeks, 730 days, 96 months or 156 promotion weeks)")
    synthetic.add_argument("--output", required=True, metavar="PATH", help="the file to write")
    synthetic.set_defaults(handler=write_synthetic)


def write_synthetic(args: argparse.Namespace, container: Container) -> int:
    from adapters.filesystem.sales_csv import write_file
    from adapters.forecasting.synthetic import synthetic_panel

    frame = synthetic_panel(args.freq, args.series, args.periods)
    try:
        write_file(frame, args.output)
    except OSError as exc:
        raise DataError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    kind = "weekly promotion" if args.freq == "promotions" else args.freq
    print(f"wrote {args.output}: {args.series:,} {kind} series, {len(frame):,} rows")
    return 0


def leaderboard(report: TrainingReport) -> str:
    from adapters.filesystem.text_tables import format_table, number

    columns = ("mape", "rmse", "mae", "mase", "coverage", "interval_width")
    trained = [o for o in report.outcomes if not o.error]
    ranked_on = f"{evidence_split([o.metrics for o in trained], 'mape')}_mape"
    trained.sort(key=lambda o: o.metrics[ranked_on])
    header = ["rank", "model", "overall_mape", "backtest_mape", *(f"test_{c}" for c in columns), "training_time",
              "version"]
    rows = [
        [str(rank), o.model, *(number(o.metrics.get(f"{split}_mape"), "mape") for split in ("overall", "backtest")),
         *(number(o.metrics[f"test_{c}"], c) for c in columns),
         number(o.metrics["training_time"], "training_time"), str(o.version.version) if o.version else "-"]
        for rank, o in enumerate(trained, start=1)
    ]
    rows += [["-", o.model, "FAILED", *("" for _ in range(len(header) - 3))] for o in report.failed]
    info = report.dataset
    title = (
        f"Leaderboard: experiment {report.experiment}, dataset {info.name} ({info.describe()}), "
        f"{report.protocol.horizon}-{info.frequency.unit} horizon, ranked by {ranked_on}; mape in %, "
        f"coverage of the 90% interval"
    )
    return "\n".join([title, format_table(header, rows, "rl" + "r" * (len(header) - 2))])


def request_of(args: argparse.Namespace) -> TrainRequest:
    return TrainRequest(
        models=args.models,
        data_path=args.data,
        dataset_name=args.dataset,
        columns=column_spec(args),
        panel=PanelSpec(frequency=args.freq, fill=args.fill, holidays=args.holidays),
        experiment_name=args.experiment_name,
        horizon=args.horizon,
        folds=args.folds,
        register=getattr(args, "register", True),
    )


def _print_training(report: TrainingReport) -> None:
    print(leaderboard(report))
    for model, why in report.skipped.items():
        print(f"skipped {model}: {why}")
    for outcome in report.failed:
        print(
            f"error: {outcome.model} failed: {outcome.error} (run {outcome.run_id or 'not created'})", file=sys.stderr
        )


def train_models(args: argparse.Namespace, container: Container) -> int:
    report = container.train_models()(request_of(args), progress=progress)
    _print_training(report)
    return EXIT_PARTIAL if report.failed else 0


def moved(promotion: Promotion) -> str:
    return f"from version {promotion.from_version}" if promotion.from_version else "(new alias)"


def run_job(args: argparse.Namespace, container: Container) -> int:
    from adapters.filesystem.text_tables import rankings_table, significance_line
    from application.portfolio import PortfolioRequest
    from entrypoints.launcher import check_ports, serve_api_and_dashboard

    if args.serve:  # before the minutes of training, not after
        check_ports(args.host, (args.api_port, args.dashboard_port))
    request = PortfolioRequest(training=request_of(args), output_dir=args.output_dir, who=who(args.who))
    report = container.run_portfolio()(request, progress=progress)
    _print_training(report.training)
    print("", rankings_table(report.benchmark), significance_line(report.benchmark), sep="\n")
    champion = report.champion
    if report.promotion:
        print(f"\npromoted {champion.name} version {champion.version} to champion {moved(report.promotion)}")
    else:
        print(f"\n{champion.name}@champion stays at version {champion.version}: the best run is no better")
    print(f"evidence: {report.evidence}")
    code = EXIT_PARTIAL if report.training.failed else 0
    if not args.serve:
        return code
    return serve_api_and_dashboard(container.settings(), report.written[0], args.host, args.api_port,
                                   args.dashboard_port) or code
