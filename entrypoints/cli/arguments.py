"""Argument types and the flags several sub-commands share; each rule is the domain's own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from domain.columns import FILLS, ColumnSpec
from domain.covariates import Covariates, parse_columns
from domain.errors import InvalidValueError
from domain.forecasts import check_horizon, is_number
from domain.frequency import parse_frequency
from domain.training import EVIDENCE, FOLDS, MODEL_TYPES, parse_model_keys
from entrypoints.config import DEFAULT_OUTPUT_DIR

T = TypeVar("T")
Commands = "argparse._SubParsersAction[argparse.ArgumentParser]"


def checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser that raises the domain's InvalidValueError (or ValueError)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except (InvalidValueError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def whole(text: str) -> int:
    digits = text.strip().removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidValueError(f"{text!r} is not a whole number")
    return int(text)


def _positive(text: str) -> int:
    if not is_number(text.strip()) or int(text) < 1:
        raise InvalidValueError(f"must be a whole number >= 1, not {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not is_number(text.strip()) or not 1 <= int(text) <= 65535:
        raise InvalidValueError(f"must be a port number 1..65535, not {text!r}")
    return int(text)


def _date_format(text: str) -> str:
    if "%" not in text:
        raise InvalidValueError(f"must be a strftime format such as %d/%m/%Y, not {text!r}")
    return text


positive = checked(_positive)
port = checked(_port)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def training_flags(command: argparse.ArgumentParser) -> None:
    """The flags of `train` and `run`: the models, the table and how to read it, then protocol_flags."""
    command.add_argument("--models", type=checked(parse_model_keys), default=tuple(MODEL_TYPES), metavar="all|NAME,...",
                         help=f"models to train: 'all' (default) or a comma-separated list of {', '.join(MODEL_TYPES)}")
    command.add_argument(
        "--data",
        metavar="PATH",
        help="a long table, CSV or Parquet (.parquet): one row per series and period; default: the built-in "
             "synthetic weekly table. Columns are recognised by name: Walmart's Store, Date (dd-mm-yyyy), "
             "Weekly_Sales; Nixtla's unique_id, ds, y; series_id, date, value; or store/series/item/id, "
             "date/week/timestamp (else month/quarter/year/period), sales/demand/quantity/value in any case",
    )
    column_flags(command)
    covariate_flags(command)
    command.add_argument("--freq", type=checked(parse_frequency), metavar="daily|weekly|monthly|quarterly|yearly",
                         help="the frequency of the dates (default: inferred from them; weekly on any weekday, "
                              "monthly, quarterly and yearly dated on the first or the last day of the month, "
                              "quarters in any three months a quarter apart)")
    command.add_argument("--fill", choices=FILLS, default="none",
                         help="what fills a missing period inside a series (default: none, an error naming it)")
    command.add_argument("--holidays", metavar="walmart|none|CODE",
                         help="the holiday calendar year-ago values are aligned on: walmart, none, or a country "
                              "code of the holidays package (US, DE, GB...); default: walmart for a weekly "
                              "panel, none otherwise")
    protocol_flags(command)


def column_flags(command: argparse.ArgumentParser) -> None:
    """How a table's id, time and target columns are found and its dates read (train, run, forecast)."""
    command.add_argument("--id-col", metavar="NAME", help="the column of series ids (text or whole numbers)")
    command.add_argument("--time-col", metavar="NAME", help="the column of dates")
    command.add_argument("--target-col", metavar="NAME", help="the column of values to forecast")
    command.add_argument("--date-format", type=checked(_date_format), metavar="FORMAT",
                         help="strftime format of the dates, e.g. %%m/%%d/%%Y (default: ISO 8601; dd-mm-yyyy for "
                              "the Walmart columns)")


def covariate_flags(command: argparse.ArgumentParser) -> None:
    """The covariate columns a table's models may use (train, run, retrain)."""
    command.add_argument("--future-cols", type=checked(parse_columns), default=(), metavar="A,B",
                         help="columns known for every forecast period (a promotion, a price, a weather forecast): "
                              "the models use their value at each forecast date, and a forecast needs them for its "
                              "horizon; rows after a series' last value with an empty target carry them. A 0/1 "
                              "column that is the holiday calendar's flag (Walmart's Holiday_Flag) is computed by "
                              "the version for any date")
    command.add_argument("--past-cols", type=checked(parse_columns), default=(), metavar="A,B",
                         help="columns observed up to the forecast origin and never after it: the models use their "
                              "value at the origin and its recent change")
    command.add_argument("--static-cols", type=checked(parse_columns), default=(), metavar="A,B",
                         help="columns with one value per series (a store's size or region; text or numbers)")


def column_spec(args: argparse.Namespace) -> ColumnSpec:
    covariates = Covariates(future=getattr(args, "future_cols", ()), past=getattr(args, "past_cols", ()),
                            static=getattr(args, "static_cols", ()))
    return ColumnSpec(id=args.id_col, time=args.time_col, target=args.target_col, date_format=args.date_format,
                      covariates=covariates)


def protocol_flags(command: argparse.ArgumentParser) -> None:
    """The flags of what is trained and how it is evaluated."""
    command.add_argument("--dataset", metavar="NAME",
                         help="dataset name tagged on the runs (default: the file's stem, or synthetic_walmart)")
    command.add_argument("--experiment-name", metavar="NAME",
                         help="MLflow experiment (default: the one named after the dataset, e.g. walmart or "
                              "prison_quarterly; created if missing)")
    command.add_argument("--horizon", type=checked(lambda text: check_horizon(whole(text))), metavar="N",
                         help="forecast horizon and test-window length in periods (default: 14 days, 12 weeks, "
                              "6 months, 8 quarters or 4 years; at most 28 days, 52 weeks, 12 months, 8 quarters "
                              "or 6 years)")
    command.add_argument(
        "--folds",
        type=positive,
        metavar="N",
        help=f"rolling-origin backtest folds before the test window (default: {FOLDS}, a quarter of a year or a "
             f"horizon apart; on a panel of fewer than {EVIDENCE // FOLDS} series as many one horizon apart as make "
             f"{EVIDENCE} series-windows; a short history holds fewer)",
    )
    command.add_argument("--threads", type=positive, metavar="N",
                         help="threads a model fit may use (default: in this process 1 for a table of under "
                              "1,000,000 design rows, else the CPUs it may run on, os.sched_getaffinity; 1 on "
                              "Dask workers, one fit per worker thread)")
    compute_flags(command, "the fits (each model x each backtest fold, the test window and the final fit)")
    command.add_argument("--design-rows", type=positive, metavar="N",
                         help="candidate rows (series x origins x steps) past which the trees train on a seeded "
                              "sample at the rate N / candidates (default: 500,000)")
    command.add_argument("--distributed-fit", action="store_true",
                         help="with --jobs or --scheduler: lightgbm and xgboost train with lightgbm.dask and "
                              "xgboost.dask on a design built in parts on the workers, for designs too big for one")


def compute_flags(command: argparse.ArgumentParser, what: str) -> None:
    where = command.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive, metavar="N",
                       help=f"run {what} on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help=f"run {what} on the Dask cluster of this scheduler (default: $DASK_SCHEDULER_ADDRESS; "
                            "without either, in this process)")


def output_dir_flag(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                         help=f"where {what} go (default: {DEFAULT_OUTPUT_DIR})")


def who(text: str | None) -> str:
    """Who promotes, as recorded: the name given, else the login name."""
    import getpass

    return text or getpass.getuser()
