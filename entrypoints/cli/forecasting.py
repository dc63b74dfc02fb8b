"""`ml-portfolio forecast`: every series' forecast of a registered version, from its training origin or
from a table of histories, to a Parquet file."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from application.serving import LATEST, ORIGINS
from domain.forecasts import DEFAULT_CONFIDENCE
from entrypoints.cli.arguments import checked, column_flags, column_spec, compute_flags, positive, progress, whole

if TYPE_CHECKING:
    from entrypoints.container import Container


def _confidence(text: str) -> float:
    from domain.forecasts import check_confidence

    return check_confidence(float(text))


def add_forecast(commands: argparse._SubParsersAction) -> None:
    forecast = commands.add_parser(
        "forecast", help="write every series' forecast of a registered version to a Parquet file",
        description=(
            "Forecast every series of a table given with --data from the last date of its own rows (a series "
            "the version was not trained on too); without it, every series the actuals store holds of the "
            "version's dataset from its latest actuals (or every series the version knows from its training "
            "origin, with --origin training or when the store holds none), with prediction intervals, and write "
            "them to a Parquet file (series_id, step, date, prediction, lower, upper, origin, baseline, "
            "model_name, model_version) in chunks of series, on a Dask cluster when one is given. The file "
            "appears when it is complete; a failed run leaves the one before it. The forecasts are logged beside "
            "the actuals."
        ),
    )
    forecast.add_argument("--model", required=True, metavar="NAME[@ALIAS|/VERSION]",
                          help="the version: lightgbm@champion, lightgbm/3, or lightgbm for its latest")
    forecast.add_argument("--output", required=True, metavar="PATH.parquet", help="the file to write")
    forecast.add_argument("--data", metavar="PATH",
                          help="a long table of histories, CSV or Parquet, read as `train` reads one (columns "
                               "recognised by name, or named with the flags below); each series is forecast from "
                               "its own last date (default: every series the version knows, from its training origin); "
                               "it carries the columns of the version's covariates, and rows after a series' last "
                               "value with an empty target carry the future ones")
    column_flags(forecast)
    forecast.add_argument("--origin", choices=ORIGINS, default=LATEST,
                          help="without --data: forecast from the latest actuals the actuals store holds of the "
                               "version's dataset (latest, the default; the training origin when the store holds "
                               "none), or from the training origin (training)")
    forecast.add_argument("--horizon", type=checked(lambda text: whole(text)), metavar="N",
                          help="periods ahead (default: the version's longest: 28 days, 52 weeks or 12 months; "
                               "with --data, a version that uses future covariates forecasts its default horizon, "
                               "whose future values the table's rows after each series' last value must carry)")
    forecast.add_argument("--confidence", type=checked(_confidence), default=DEFAULT_CONFIDENCE, metavar="LEVEL",
                          help=f"coverage of the intervals, strictly between 0 and 1 (default: {DEFAULT_CONFIDENCE})")
    forecast.add_argument("--no-intervals", dest="intervals", action="store_false", help="predictions only")
    forecast.add_argument("--chunk", type=positive, default=5000, metavar="N", help="series per task (default: 5000)")
    compute_flags(forecast, "the chunks")
    forecast.set_defaults(handler=forecast_all, interruptible=True)


def forecast_all(args: argparse.Namespace, container: Container) -> int:
    from application.batch import BatchRequest

    history = container.history_source().read(args.data, column_spec(args)) if args.data else None
    request = BatchRequest(model=args.model, output=args.output, horizon=args.horizon, chunk=args.chunk,
                           confidence=args.confidence if args.intervals else None, history=history,
                           source=args.data or "", origin=args.origin)
    report = container.forecast_all()(request, progress=progress)
    print(f"wrote {report.output}: {report.rows:,} rows, {report.series:,} series x {report.horizon} periods "
          f"of {report.version.uri}", file=sys.stdout)
    return 0
