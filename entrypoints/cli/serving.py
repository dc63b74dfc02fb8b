"""`ml-portfolio serve`, `promote` and `dashboard`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from adapters.filesystem.results_json import RESULTS_JSON
from entrypoints.cli.arguments import port as port_type
from entrypoints.cli.arguments import positive, who
from entrypoints.cli.training import moved
from entrypoints.config import DEFAULT_OUTPUT_DIR, SOURCES

if TYPE_CHECKING:
    from entrypoints.container import Container

EXIT_INPUT = 2


def add_serve(commands: argparse._SubParsersAction) -> None:
    serve_command = commands.add_parser(
        "serve", help="serve forecasts and promotions over HTTP (Litestar on uvicorn)",
        description=(
            "Start the HTTP API: POST /predict, GET /models, GET /models/NAME, GET /models/NAME/accuracy, "
            "POST /models/NAME/promote, GET /models/NAME/promotions, POST /actuals, GET /actuals/SERIES, GET /metrics, "
            "GET /health; OpenAPI docs at /schema. Promotions and actuals need ML_PORTFOLIO_API_TOKEN set on the "
            "server and 'Authorization: Bearer <token>' on the request."
        ),
    )
    serve_command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_command.add_argument("--port", type=port_type, default=8000, help="port (default: 8000)")
    serve_command.add_argument("--workers", type=positive, default=1, metavar="N",
                               help="worker processes (default: 1)")
    serve_command.set_defaults(handler=serve)


def add_promote(commands: argparse._SubParsersAction) -> None:
    promote_command = commands.add_parser(
        "promote",
        help="point an alias (or legacy stage) of a registered model at a version, and record it",
        description="The same promotion as POST /models/NAME/promote, recorded with who, when, from and to, "
        "and the metrics.",
    )
    promote_command.add_argument("name", help="registered model name, e.g. lightgbm")
    promote_command.add_argument("--version", required=True, help="version number to promote")
    target = promote_command.add_mutually_exclusive_group(required=True)
    target.add_argument("--alias", help="alias to point at the version, e.g. champion")
    target.add_argument(
        "--stage", choices=("Production", "Staging"), help="deprecated: applied as alias champion/challenger"
    )
    promote_command.add_argument("--who", default=None, help="who promotes (default: the login name)")
    promote_command.set_defaults(handler=promote)


def add_dashboard(commands: argparse._SubParsersAction) -> None:
    dashboard_command = commands.add_parser(
        "dashboard", help="compare models, see forecasts and explore predictions in the browser (Panel)",
        description=(
            "Start the Panel dashboard: Overview, Model comparison, Forecasts, Monitoring, Predictions explorer and "
            "Benchmark results. The sidebar switches between MLflow live, the benchmark JSON and the DuckDB warehouse."
        ),
    )
    dashboard_command.add_argument(
        "--source",
        choices=SOURCES,
        help="run source selected when a page opens: mlflow (live), json (benchmark results "
        "file) or duckdb (warehouse filled by `sync`); default $ML_PORTFOLIO_SOURCE, "
        "else mlflow",
    )
    dashboard_command.add_argument(
        "--results-json",
        metavar="PATH",
        help=f"results file for the json source (default: {DEFAULT_OUTPUT_DIR}/{RESULTS_JSON})",
    )
    dashboard_command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    dashboard_command.add_argument("--port", type=port_type, default=5006, help="port (default: 5006)")
    dashboard_command.set_defaults(handler=dashboard)


def serve(args: argparse.Namespace, container: Container) -> int:
    import os

    import uvicorn

    # Worker processes build their own container from the environment.
    os.environ["MLFLOW_TRACKING_URI"] = container.config.tracking_uri()
    print(f"serving on http://{args.host}:{args.port} (docs at /schema) from {container.config.tracking_uri()}",
          file=sys.stderr, flush=True)
    uvicorn.run("entrypoints.http:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning")
    return 0


def promote(args: argparse.Namespace, container: Container) -> int:
    from application.serving import PromoteRequest

    promotion = container.promote_model()(PromoteRequest(name=args.name, version=args.version, alias=args.alias,
                                                         stage=args.stage, who=who(args.who)))
    print(
        f"{promotion.model}@{promotion.alias} -> version {promotion.to_version} {moved(promotion)}, by {promotion.who} "
        f"at {promotion.when:%Y-%m-%d %H:%M:%S} UTC; test_mape {promotion.metrics.get('test_mape', float('nan')):.4g}"
    )
    if args.stage:
        print(f"note: registry stages are deprecated; applied as alias {promotion.alias!r}", file=sys.stderr)
    return 0


def dashboard(args: argparse.Namespace, container: Container) -> int:
    from entrypoints.dashboard import serve as serve_dashboard

    try:
        serve_dashboard(container, args.host, args.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0
