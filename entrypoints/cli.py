"""`ml-portfolio`: the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from application.benchmark import BenchmarkRequest
from application.train import TrainingReport, TrainRequest
from domain.errors import DataError, DomainError, InvalidValueError, NotFoundError, SourceUnavailableError
from domain.forecasts import DEFAULT_HORIZON, MAX_HORIZON
from domain.leaderboard import RANKABLE_METRICS, Aggregate, EmptySelection, RunFilter
from domain.models import Promotion
from domain.training import DEFAULT_EXPERIMENT, MODEL_TYPES, EvaluationProtocol, parse_model_keys
from entrypoints.config import DEFAULT_OUTPUT_DIR, DEFAULT_TRACKING_URI, DEFAULT_WAREHOUSE, SOURCES, Settings, quiet_libraries

# Exit codes: 0 done; 1 the work ran but found nothing or part of it failed; 2 bad input, or a
# source (tracking store, warehouse, results file) that cannot be read.
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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1..65535, not {text!r}")
    return int(text)


def _training_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--models", type=_models, default=tuple(MODEL_TYPES), metavar="all|NAME,...",
                         help=f"models to train: 'all' (default) or a comma-separated list of {', '.join(MODEL_TYPES)}")
    command.add_argument("--data", metavar="PATH",
                         help="Walmart-shaped CSV (Store, Date dd-mm-yyyy, Weekly_Sales, ...); default: built-in synthetic table")
    command.add_argument("--dataset", metavar="NAME", help="dataset name tagged on the runs (default: the file's stem, or synthetic_walmart)")
    command.add_argument("--experiment-name", default=DEFAULT_EXPERIMENT, metavar="NAME",
                         help=f"MLflow experiment (default: {DEFAULT_EXPERIMENT}; created if missing)")
    command.add_argument("--horizon", type=_horizon, default=DEFAULT_HORIZON, metavar="N",
                         help=f"forecast horizon and test-window length in weeks, 1..{MAX_HORIZON} (default: {DEFAULT_HORIZON})")
    command.add_argument("--folds", type=_positive, default=EvaluationProtocol().folds, metavar="N",
                         help="rolling-origin backtest folds before the test window (default: 4)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-portfolio",
        description="Train, benchmark and serve a portfolio of weekly store-sales forecasters on MLflow.",
    )
    parser.add_argument(
        "--tracking-uri",
        help=f"MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else {DEFAULT_TRACKING_URI} in the working directory)",
    )
    parser.add_argument("--warehouse", metavar="PATH",
                        help=f"DuckDB run warehouse (default: $ML_PORTFOLIO_WAREHOUSE, else {DEFAULT_WAREHOUSE})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="the main job: train, benchmark, promote the best to champion, then serve the API and the dashboard",
        description=(
            "Train the portfolio (as `train`), benchmark every finished run of the experiment on that dataset "
            "(as `benchmark`, writing its files), point `champion` at the best ranked run's registered version "
            "with the evidence recorded (unless the champion is already as good), then start the HTTP API and "
            "the dashboard and print their URLs and a curl for /predict. Ctrl-C stops both. Running it again "
            "adds runs and versions; nothing earlier is lost."
        ),
    )
    _training_flags(run)
    run.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                     help=f"where the benchmark files go (default: {DEFAULT_OUTPUT_DIR})")
    run.add_argument("--who", default=None, help="who promotes, as recorded (default: the login name)")
    run.add_argument("--no-serve", dest="serve", action="store_false",
                     help="stop after the promotion: no API, no dashboard (for scripts and tests)")
    run.add_argument("--host", default="127.0.0.1", help="address the API and the dashboard listen on (default: 127.0.0.1)")
    run.add_argument("--api-port", type=_port, default=8000, help="API port (default: 8000)")
    run.add_argument("--dashboard-port", type=_port, default=5006, help="dashboard port (default: 5006)")
    run.set_defaults(handler=_run)

    train = commands.add_parser(
        "train",
        help="train, backtest, log and register the forecasting models",
        description=(
            "Train each model on the weekly sales table, evaluate it out of time (the last HORIZON weeks "
            "of every store are the test set, plus a rolling-origin backtest), log the run to MLflow and "
            "register the model as a self-contained pyfunc version named after the model."
        ),
    )
    _training_flags(train)
    train.add_argument("--no-register", dest="register", action="store_false",
                       help="log the runs but do not register model versions")
    train.set_defaults(handler=_train)

    bench = commands.add_parser(
        "benchmark",
        help="rank runs straight from MLflow (or the warehouse, or a results file) and write reports",
        description=(
            "Collapse the runs of each model on each dataset into one row, rank them, test whether the gap "
            "between the top two is real, print the tables and write mlflow_benchmark_results.json/.csv, "
            "mlflow_benchmark_mape.png, mlflow_benchmark_rmse.png, mlflow_benchmark_accuracy_vs_time.png and "
            "mlflow_benchmark_report.txt into the output directory. Exit 1 when the filters leave no runs."
        ),
    )
    bench.add_argument("--experiment-name", action="append", default=[], metavar="NAME",
                       help="experiment to read (repeatable; default: every experiment except an empty Default)")
    bench.add_argument("--dataset", metavar="NAME", help="only runs on this dataset (case-insensitive)")
    bench.add_argument("--models", metavar="A,B,C", type=lambda t: tuple(m.strip() for m in t.split(",") if m.strip()),
                       default=(), help="only these models (case-insensitive model names)")
    bench.add_argument("--source", choices=SOURCES,
                       help="where runs are read: mlflow (live), duckdb (warehouse filled by `sync`) or json "
                            "(a results file of an earlier benchmark); default $ML_PORTFOLIO_SOURCE, else mlflow")
    bench.add_argument("--results-json", metavar="PATH",
                       help="results file read by --source json (default: OUTPUT_DIR/mlflow_benchmark_results.json)")
    bench.add_argument("--rank-by", choices=RANKABLE_METRICS, default="mape", help="ranking metric (default: mape)")
    bench.add_argument("--aggregate", choices=[a.value for a in Aggregate], default="best",
                       help="how runs of one model on one dataset collapse: best run, latest run, or mean with std (default: best)")
    bench.add_argument("--include-unfinished", action="store_true", help="count runs that are not FINISHED too")
    bench.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR", help=f"where files go (default: {DEFAULT_OUTPUT_DIR})")
    bench.add_argument("--format", choices=("table", "json", "csv"), default="table",
                       help="what is printed: tables (default), the results JSON without its runs, or the results CSV")
    bench.set_defaults(handler=_benchmark)

    serve = commands.add_parser(
        "serve",
        help="serve forecasts and promotions over HTTP (Litestar on uvicorn)",
        description=(
            "Start the HTTP API: POST /predict, GET /models, GET /models/NAME, POST /models/NAME/promote, "
            "GET /models/NAME/promotions, GET /health; OpenAPI docs at /schema. Promotion needs "
            "ML_PORTFOLIO_API_TOKEN set on the server and 'Authorization: Bearer <token>' on the request."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    serve.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default: 1)")
    serve.set_defaults(handler=_serve)

    promote = commands.add_parser(
        "promote",
        help="point an alias (or legacy stage) of a registered model at a version, and record it",
        description="The same promotion as POST /models/NAME/promote, recorded with who, when, from and to, and the metrics.",
    )
    promote.add_argument("name", help="registered model name, e.g. lightgbm")
    promote.add_argument("--version", required=True, help="version number to promote")
    target = promote.add_mutually_exclusive_group(required=True)
    target.add_argument("--alias", help="alias to point at the version, e.g. champion")
    target.add_argument("--stage", choices=("Production", "Staging"), help="deprecated: applied as alias champion/challenger")
    promote.add_argument("--who", default=None, help="who promotes (default: the login name)")
    promote.set_defaults(handler=_promote)

    dashboard = commands.add_parser(
        "dashboard",
        help="compare models, see forecasts and explore predictions in the browser (Panel)",
        description=(
            "Start the Panel dashboard: Overview, Model comparison, Forecasts, Predictions explorer and Benchmark "
            "results. The sidebar switches between MLflow live, the benchmark JSON and the DuckDB warehouse."
        ),
    )
    dashboard.add_argument("--source", choices=SOURCES,
                           help="run source selected when a page opens: mlflow (live), json (benchmark results file) or "
                                "duckdb (warehouse filled by `sync`); default $ML_PORTFOLIO_SOURCE, else mlflow")
    dashboard.add_argument("--results-json", metavar="PATH",
                           help=f"results file for the json source (default: {DEFAULT_OUTPUT_DIR}/mlflow_benchmark_results.json)")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    dashboard.add_argument("--port", type=_port, default=5006, help="port (default: 5006)")
    dashboard.set_defaults(handler=_dashboard)

    sync = commands.add_parser(
        "sync",
        help="copy new and changed runs from the tracking store into the DuckDB warehouse",
        description="Incremental: the first sync reads every run, later ones only runs started or ended since the last.",
    )
    sync.set_defaults(handler=_sync)
    return parser


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _leaderboard(report: TrainingReport) -> str:
    from adapters.filesystem.text_tables import format_table, number

    columns = ("mape", "rmse", "mae", "mase", "coverage", "interval_width")
    trained = sorted((o for o in report.outcomes if not o.error), key=lambda o: o.metrics["test_mape"])
    header = ["rank", "model", *(f"test_{c}" for c in columns), "training_time", "version"]
    rows = [
        [str(rank), o.model, *(number(o.metrics[f"test_{c}"], c) for c in columns),
         number(o.metrics["training_time"], "training_time"), str(o.version.version) if o.version else "-"]
        for rank, o in enumerate(trained, start=1)
    ]
    rows += [["-", o.model, *("FAILED" if i == 0 else "" for i in range(len(columns))), "", ""] for o in report.failed]
    info = report.dataset
    title = (f"Leaderboard: experiment {report.experiment}, dataset {info.name} ({info.stores} stores x {info.weeks} weeks, "
             f"{info.first_week}..{info.last_week}); mape in %, coverage of the 90% interval")
    return "\n".join([title, format_table(header, rows, "rl" + "r" * (len(header) - 2))])


def _train_request(args: argparse.Namespace) -> TrainRequest:
    return TrainRequest(
        models=args.models, data_path=args.data, dataset_name=args.dataset, experiment_name=args.experiment_name,
        protocol=EvaluationProtocol(horizon=args.horizon, folds=args.folds), register=getattr(args, "register", True),
    )


def _print_training(report: TrainingReport) -> None:
    print(_leaderboard(report))
    for outcome in report.failed:
        print(f"error: {outcome.model} failed: {outcome.error} (run {outcome.run_id or 'not created'})", file=sys.stderr)


def _train(args: argparse.Namespace, container) -> int:
    report = container.train_models()(_train_request(args), progress=_progress)
    _print_training(report)
    return EXIT_PARTIAL if report.failed else 0


def _who(args: argparse.Namespace) -> str:
    import getpass

    return args.who or getpass.getuser()


def _moved(promotion: Promotion) -> str:
    return f"from version {promotion.from_version}" if promotion.from_version else "(new alias)"


def _run(args: argparse.Namespace, container) -> int:
    from adapters.filesystem.text_tables import rankings_table, significance_line
    from application.portfolio import PortfolioRequest
    from entrypoints.launcher import check_ports, serve_api_and_dashboard

    if args.serve:  # before the minutes of training, not after
        check_ports(args.host, (args.api_port, args.dashboard_port))
    request = PortfolioRequest(training=_train_request(args), output_dir=args.output_dir, who=_who(args))
    report = container.run_portfolio()(request, progress=_progress)
    _print_training(report.training)
    print("", rankings_table(report.benchmark), significance_line(report.benchmark), sep="\n")
    champion = report.champion
    if report.promotion:
        print(f"\npromoted {champion.name} version {champion.version} to champion {_moved(report.promotion)}")
    else:
        print(f"\n{champion.name}@champion stays at version {champion.version}: the best run is no better")
    print(f"evidence: {report.evidence}")
    code = EXIT_PARTIAL if report.training.failed else 0
    if not args.serve:
        return code
    settings = container.settings()
    return serve_api_and_dashboard(settings, args.output_dir, args.host, args.api_port, args.dashboard_port) or code


def _benchmark(args: argparse.Namespace, container) -> int:
    from adapters.filesystem.results_json import report_to_json, results_to_json
    from adapters.filesystem.results_writer import results_csv
    from adapters.filesystem.text_tables import rankings_table, results_table, significance_line

    request = BenchmarkRequest(
        experiments=tuple(args.experiment_name),
        run_filter=RunFilter(dataset=args.dataset, models=args.models, include_unfinished=args.include_unfinished),
        rank_by=args.rank_by, aggregate=Aggregate(args.aggregate),
    )
    report, written = container.benchmark_runs()(request, args.output_dir, progress=_progress)
    if args.format == "json":
        summary = {k: v for k, v in report_to_json(report).items() if k not in ("runs", "store_errors")}
        print(json.dumps(summary, indent=1))
    elif args.format == "csv":
        print(results_csv(results_to_json(report)), end="")
    else:
        print(f"{len(report.runs)} runs from {report.source}\n")
        print(results_table(report), rankings_table(report), significance_line(report), sep="\n\n")
    print(f"wrote {len(written)} files to {args.output_dir}", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace, container) -> int:
    import os

    import uvicorn

    # Worker processes build their own container from the environment.
    os.environ["MLFLOW_TRACKING_URI"] = container.config.tracking_uri()
    print(f"serving on http://{args.host}:{args.port} (docs at /schema) from {container.config.tracking_uri()}",
          file=sys.stderr, flush=True)
    uvicorn.run("entrypoints.http:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning")
    return 0


def _promote(args: argparse.Namespace, container) -> int:
    from application.serving import PromoteRequest

    promotion = container.promote_model()(PromoteRequest(name=args.name, version=args.version, alias=args.alias,
                                                         stage=args.stage, who=_who(args)))
    print(f"{promotion.model}@{promotion.alias} -> version {promotion.to_version} {_moved(promotion)}, by {promotion.who} "
          f"at {promotion.when:%Y-%m-%d %H:%M:%S} UTC; test_mape {promotion.metrics.get('test_mape', float('nan')):.4g}")
    if args.stage:
        print(f"note: registry stages are deprecated; applied as alias {promotion.alias!r}", file=sys.stderr)
    return 0


def _dashboard(args: argparse.Namespace, container) -> int:
    from entrypoints.dashboard import serve

    try:
        serve(container, args.host, args.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0


def _sync(args: argparse.Namespace, container) -> int:
    report = container.sync_warehouse()(progress=_progress)
    kind = "full sync" if report.full else "incremental sync"
    print(f"{kind} from {report.origin}: {report.fetched} run(s) fetched into {container.config.warehouse()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_libraries()
    from entrypoints.container import create_container  # heavy imports only once the flags are valid

    settings = Settings.from_env(
        args.tracking_uri, args.warehouse, getattr(args, "source", None),
        getattr(args, "results_json", None) or (f"{args.output_dir}/mlflow_benchmark_results.json" if hasattr(args, "output_dir") else None),
    )
    container = create_container(settings)
    try:
        return args.handler(args, container)
    except (EmptySelection, NotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except (DataError, InvalidValueError, SourceUnavailableError) as exc:
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
