"""The loop's routes: actuals in and out, a version's live accuracy and drift; their bodies."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.actuals import ActualsRequest, ReadActuals, RecordActuals
from application.monitoring import AccuracyReport, MeasureAccuracy
from domain.forecasts import MAX_SERIES_ID
from domain.models import MODEL_NAME_PATTERN
from domain.monitoring import Accuracy
from entrypoints.http.bodies import strict_body
from entrypoints.http.guards import requires_token
from entrypoints.http.handlers import ERRORS, WRITE_ERRORS
from entrypoints.http.histories import CELL, history_with_covariates

MAX_ACTUALS_ROWS = 100_000  # rows one POST /actuals may carry
DATASET = Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="the dataset (default: the "
                                                                                  "store's only one)")]


class ActualsBody(msgspec.Struct, forbid_unknown_fields=True):
    """New periods or corrections of one dataset's series; refused whole when one row breaks a rule."""

    actuals: Annotated[list[dict[str, CELL]], msgspec.Meta(
        min_length=1, max_length=MAX_ACTUALS_ROWS,
        description="rows of series_id, date and value, and any covariate columns; a row with a null value after "
                    "its series' last actual carries the future values of its covariates")]
    dataset: DATASET | None = None


class ReceiptBody(msgspec.Struct):
    dataset: str
    batch: int | None  # null: every value was already known, nothing was stored
    revision: int
    arrived_at: datetime
    series: int
    new_series: int
    added: int
    corrected: int
    unchanged: int


class ActualBody(msgspec.Struct):
    date: date
    value: float
    arrived_at: datetime
    source: str
    latest: bool  # the value in force; false: corrected by a later one


class SeriesActualsBody(msgspec.Struct):
    dataset: str
    series_id: str
    actuals: list[ActualBody]


class FiguresBody(msgspec.Struct):
    mape: float | None
    mase: float | None
    bias: float | None
    coverage: float | None
    periods: int


class GroupBody(FiguresBody):
    key: str  # the series id, the step, or the Monday of the week the actuals arrived


class DriftBody(msgspec.Struct):
    flagged: bool
    flagged_series: list[str]
    evidence: list[str]
    series: dict[str, str]  # why each flagged series was


class AccuracyBody(msgspec.Struct):
    model: str
    version: int
    dataset: str
    live: FiguresBody
    backtest: dict[str, float]
    drift: DriftBody
    per_step: list[GroupBody]
    per_week: list[GroupBody]
    per_series: list[GroupBody]


def _figures(found: Accuracy) -> FiguresBody:
    return FiguresBody(mape=found.mape, mase=found.mase, bias=found.bias, coverage=found.coverage,
                       periods=found.periods)


def _groups(found: Sequence[tuple[Hashable, Accuracy]]) -> list[GroupBody]:
    return [GroupBody(key=str(key), mape=a.mape, mase=a.mase, bias=a.bias, coverage=a.coverage, periods=a.periods)
            for key, a in found]


def accuracy_body(report: AccuracyReport) -> AccuracyBody:
    drift = report.drift
    return AccuracyBody(model=report.version.name, version=report.version.version, dataset=report.dataset,
                        live=_figures(report.live), backtest=dict(report.backtest),
                        drift=DriftBody(flagged=drift.flagged, flagged_series=list(drift.flagged_series),
                                        evidence=list(drift.evidence), series=dict(drift.series_evidence)),
                        per_step=_groups(report.per_step), per_week=_groups(report.per_week),
                        per_series=_groups(report.per_series))


@post("/actuals", summary="Add actuals (new periods or corrections); needs the bearer token", status_code=200,
      responses=WRITE_ERRORS, guards=[requires_token], sync_to_thread=True, before_request=strict_body,
      opt={"body": ActualsBody})
def add_actuals(data: JSONBody[ActualsBody], record_actuals: NamedDependency[RecordActuals]) -> ReceiptBody:
    receipt = record_actuals(ActualsRequest(history=history_with_covariates(data.actuals, None), source="POST /actuals",
                                            dataset=data.dataset))
    return ReceiptBody(dataset=receipt.dataset, batch=receipt.batch, revision=receipt.revision,
                       arrived_at=receipt.arrived_at, series=receipt.series, new_series=receipt.new_series,
                       added=receipt.added, corrected=receipt.corrected, unchanged=receipt.unchanged)


@get("/actuals/{series_id:str}", summary="Every stored value of a series, corrections included", responses=ERRORS,
     sync_to_thread=True)
def series_actuals(series_id: Annotated[str, PathParameter(max_length=MAX_SERIES_ID)],
                   read_actuals: NamedDependency[ReadActuals],
                   dataset: Annotated[str | None, QueryParameter(max_length=200)] = None) -> SeriesActualsBody:
    name, records = read_actuals(series_id, dataset)
    return SeriesActualsBody(dataset=name, series_id=series_id, actuals=[
        ActualBody(date=r.period, value=r.value, arrived_at=r.arrived_at, source=r.source, latest=r.latest)
        for r in records])


@get("/models/{name:str}/accuracy", summary="Live accuracy against the actuals, the backtest's, and drift",
     responses=ERRORS, sync_to_thread=True)
def model_accuracy(name: Annotated[str, PathParameter(pattern=MODEL_NAME_PATTERN)],
                   measure_accuracy: NamedDependency[MeasureAccuracy],
                   version: Annotated[str | None, QueryParameter(max_length=100, description=(
                       "a number, `latest`, an alias or a legacy stage (default latest)"))] = None) -> AccuracyBody:
    return accuracy_body(measure_accuracy(name, version))


ROUTES = [add_actuals, series_actuals, model_accuracy]
