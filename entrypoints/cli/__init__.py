"""`ml-portfolio`: the command line. One module per group of sub-commands, each sub-command one
`add_<name>` function that declares its flags and the handler that runs it."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

from domain.errors import (
    ComputeUnavailableError,
    DataError,
    DomainError,
    InvalidValueError,
    NotFoundError,
    SourceUnavailableError,
)
from domain.leaderboard import EmptySelection
from entrypoints.cli.benchmarking import add_benchmark, add_sync
from entrypoints.cli.forecasting import add_forecast
from entrypoints.cli.monitoring import add_accuracy, add_actuals, add_retrain
from entrypoints.cli.serving import add_dashboard, add_promote, add_serve
from entrypoints.cli.training import add_run, add_synthetic, add_train
from entrypoints.config import (
    DEFAULT_ACTUALS,
    DEFAULT_TRACKING_URI,
    DEFAULT_WAREHOUSE,
    Settings,
    calm_threads,
    quiet_libraries,
)

# Exit codes: 0 done; 1 the work ran but found nothing or part of it failed; 2 bad input, or a
# source (tracking store, warehouse, results file) that cannot be read; 128 + N stopped by signal N.
EXIT_PARTIAL, EXIT_INPUT = 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-portfolio",
        description="Train, benchmark and serve a portfolio of forecasters of your series on MLflow.",
    )
    parser.add_argument("--tracking-uri", help=f"MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else "
                                               f"{DEFAULT_TRACKING_URI} in the working directory)")
    parser.add_argument("--warehouse", metavar="PATH",
                        help=f"DuckDB run warehouse (default: $ML_PORTFOLIO_WAREHOUSE, else {DEFAULT_WAREHOUSE})")
    parser.add_argument("--actuals", metavar="PATH|postgresql://...",
                        help=f"the actuals store: a DuckDB file or a PostgreSQL URI (default: $ML_PORTFOLIO_ACTUALS, "
                             f"else {DEFAULT_ACTUALS} in the working directory)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_run, add_train, add_retrain, add_actuals, add_accuracy, add_synthetic, add_benchmark,
                add_forecast, add_serve, add_promote, add_dashboard, add_sync):
        add(commands)
    return parser


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: the work in progress is abandoned (a training run ends KILLED)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _settings(args: argparse.Namespace) -> Settings:
    from adapters.filesystem.results_json import RESULTS_JSON

    output_dir = getattr(args, "output_dir", None)
    results_json = getattr(args, "results_json", None) or (f"{output_dir}/{RESULTS_JSON}" if output_dir else None)
    given: dict[str, Any] = {name: getattr(args, name, None)
                             for name in ("source", "threads", "scheduler", "jobs", "design_rows")}
    return Settings.from_env(args.tracking_uri, args.warehouse, results_json=results_json, actuals=args.actuals,
                             distributed_fit=getattr(args, "distributed_fit", False), **given)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    calm_threads()
    quiet_libraries()
    from entrypoints.container import create_container  # heavy imports only once the flags are valid

    container = create_container(_settings(args))
    if getattr(args, "interruptible", False):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _interrupt)
    try:
        code: int = args.handler(args, container)
        return code
    except ComputeUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (EmptySelection, NotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except (DataError, InvalidValueError, SourceUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except KeyboardInterrupt as exc:
        print("interrupted", file=sys.stderr)
        return 128 + (exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)
    finally:
        container.shutdown_resources()  # a local Dask cluster's workers stop with the command
