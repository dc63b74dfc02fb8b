"""`ml-portfolio`: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from application.train import TrainingReport, TrainRequest
from domain.errors import DataError, DomainError, InvalidValueError, TrackingUnavailableError
from domain.forecasts import DEFAULT_HORIZON, MAX_HORIZON
from domain.training import DEFAULT_EXPERIMENT, MODEL_TYPES, EvaluationProtocol, parse_model_keys
from entrypoints.config import DEFAULT_TRACKING_URI, Settings, quiet_libraries

# Exit codes: 0 done; 1 the work ran but part of it failed; 2 bad input or tracking store unreachable.
EXIT_PARTIAL, EXIT_INPUT = 1, 2


def _horizon(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= value <= MAX_HORIZON:
        raise argparse.ArgumentTypeError(f"must be in 1..{MAX_HORIZON}, not {value}")
    return value


def _models(text: str) -> tuple[str, ...]:
    try:
        return parse_model_keys(text)
    except InvalidValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _folds(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-portfolio",
        description="Train, benchmark and serve a portfolio of weekly store-sales forecasters on MLflow.",
    )
    parser.add_argument(
        "--tracking-uri",
        help=f"MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else {DEFAULT_TRACKING_URI} in the working directory)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train, backtest, log and register the forecasting models",
        description=(
            "Train each model on the weekly sales table, evaluate it out of time (the last HORIZON weeks "
            "of every store are the test set, plus a rolling-origin backtest), log the run to MLflow and "
            "register the model as a self-contained pyfunc version named after the model."
        ),
    )
    train.add_argument("--models", type=_models, default=tuple(MODEL_TYPES), metavar="all|NAME,...",
                       help=f"models to train: 'all' (default) or a comma-separated list of {', '.join(MODEL_TYPES)}")
    train.add_argument("--data", metavar="PATH",
                       help="Walmart-shaped CSV (Store, Date dd-mm-yyyy, Weekly_Sales, ...); default: built-in synthetic table")
    train.add_argument("--dataset", metavar="NAME", help="dataset name tagged on the runs (default: the file's stem, or synthetic_walmart)")
    train.add_argument("--experiment-name", default=DEFAULT_EXPERIMENT, metavar="NAME",
                       help=f"MLflow experiment (default: {DEFAULT_EXPERIMENT}; created if missing)")
    train.add_argument("--horizon", type=_horizon, default=DEFAULT_HORIZON, metavar="N",
                       help=f"forecast horizon and test-window length in weeks, 1..{MAX_HORIZON} (default: {DEFAULT_HORIZON})")
    train.add_argument("--folds", type=_folds, default=EvaluationProtocol().folds, metavar="N",
                       help="rolling-origin backtest folds before the test window (default: 4)")
    train.add_argument("--no-register", dest="register", action="store_false",
                       help="log the runs but do not register model versions")
    train.set_defaults(handler=_train)
    return parser


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _leaderboard(report: TrainingReport) -> str:
    columns = ("mape", "rmse", "mae", "mase", "coverage", "interval_width")
    trained = sorted((o for o in report.outcomes if not o.error), key=lambda o: o.metrics["test_mape"])
    header = ["rank", "model", *(f"test_{c}" for c in columns), "training_time", "version"]
    rows = [
        [str(rank), o.model, *(f"{o.metrics[f'test_{c}']:,.4g}" if c in ("mape", "mase", "coverage") else f"{o.metrics[f'test_{c}']:,.0f}" for c in columns),
         f"{o.metrics['training_time']:.1f}s", str(o.version.version) if o.version else "-"]
        for rank, o in enumerate(trained, start=1)
    ]
    rows += [["-", o.model, *("FAILED" if i == 0 else "" for i in range(len(columns))), "", ""] for o in report.failed]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) if i != 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in [header, *rows]]
    info = report.dataset
    title = (f"Leaderboard: experiment {report.experiment}, dataset {info.name} ({info.stores} stores x {info.weeks} weeks, "
             f"{info.first_week}..{info.last_week}); mape in %, coverage of the 90% interval")
    return "\n".join([title, *lines])


def _train(args: argparse.Namespace, container) -> int:
    request = TrainRequest(
        models=args.models, data_path=args.data, dataset_name=args.dataset, experiment_name=args.experiment_name,
        protocol=EvaluationProtocol(horizon=args.horizon, folds=args.folds), register=args.register,
    )
    report = container.train_models()(request, progress=_progress)
    print(_leaderboard(report))
    for outcome in report.failed:
        print(f"error: {outcome.model} failed: {outcome.error} (run {outcome.run_id or 'not created'})", file=sys.stderr)
    return EXIT_PARTIAL if report.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_libraries()
    from entrypoints.container import create_container  # heavy imports only once the flags are valid

    container = create_container(Settings.from_env(args.tracking_uri))
    try:
        return args.handler(args, container)
    except (DataError, InvalidValueError, TrackingUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
