"""Request and response bodies of the HTTP API: msgspec Structs, and their conversion from the domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from application.serving import Forecasting, ForecastResult
from domain.forecasts import (
    DEFAULT_CONFIDENCE,
    DEFAULT_HORIZON,
    MAX_HISTORY_ROWS,
    ForecastPoint,
    is_number,
)
from domain.frequency import MAX_HORIZON
from domain.models import MODEL_NAME_PATTERN, ModelVersion, Promotion
from entrypoints.http.histories import CELL, SERIES

VERSION_REF = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="a version number, `latest`, an alias such as `champion`, or a legacy stage name",
    ),
]
STORE = Annotated[int, msgspec.Meta(ge=0, description="deprecated: the series_id of a numbered series")]
BATCH = msgspec.Meta(min_length=1, max_length=1000)
MODEL_NAME = Annotated[str, msgspec.Meta(pattern=MODEL_NAME_PATTERN)]
IDS = ("series_id", "series_ids", "store_id", "store_ids")


class PredictBody(msgspec.Struct, forbid_unknown_fields=True):
    """Forecast one series (`series_id`) or several (`series_ids`); give exactly one of them, or, with a
    `history`, none to forecast every series of the history. `store_id` and `store_ids` are the
    deprecated names of the same fields."""

    series_id: SERIES | None = None
    series_ids: Annotated[list[SERIES], BATCH] | None = None
    store_id: STORE | None = None
    store_ids: Annotated[list[STORE], BATCH] | None = None
    horizon: Annotated[int, msgspec.Meta(ge=1, le=MAX_HORIZON, description=(
        "periods ahead; at most the model's own limit (28 days, 52 weeks or 12 months)"))] = DEFAULT_HORIZON
    model_name: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=MODEL_NAME_PATTERN,
                description="default: the best champion (and model_version defaults to `champion`), "
                "else the latest lightgbm",
            ),
        ]
        | None
    ) = None
    model_version: VERSION_REF | None = None  # the champion when model_name is omitted, else latest
    include_intervals: bool = True
    confidence_level: Annotated[float, msgspec.Meta(
        ge=0.5, le=0.99, description="coverage of the prediction interval")] = DEFAULT_CONFIDENCE
    origin: Annotated[Literal["latest", "training"], msgspec.Meta(description=(
        "without a history: `latest` forecasts from the latest actuals the actuals store holds of the version's "
        "dataset (the training origin while it holds nothing newer), `training` from the training origin"))] = "latest"
    history: Annotated[list[dict[str, CELL]], msgspec.Meta(
        min_length=1, max_length=MAX_HISTORY_ROWS,
        description=f"the whole history to forecast from (at most {MAX_HISTORY_ROWS:,} rows of series_id, date "
                    "and value, plus the columns of the version's covariates, GET /models/{name}): each series is "
                    "forecast from the last date of its own rows, a series the version was not trained on too; "
                    "without it, from the version's training origin")] | None = None
    future: Annotated[list[dict[str, CELL]], msgspec.Meta(
        max_length=MAX_HISTORY_ROWS,
        description="with a history, the future covariates' values for the forecast periods: rows of series_id, "
                    "date and each future column; a version that uses future covariates needs one per series "
                    "and forecast date")] | None = None


class Interval(msgspec.Struct):
    lower: list[float]
    upper: list[float]


class SeriesForecast(msgspec.Struct, omit_defaults=True):
    series_id: str
    origin: date | None  # the last period it was forecast from
    baseline: bool  # the baseline answered: the series was too short for the member's features
    predictions: list[float]
    timestamps: list[date]
    confidence_intervals: Interval | None
    store_id: int | None = None  # deprecated: the series id again, for a numbered series


class TestMetrics(msgspec.Struct, omit_defaults=False):
    test_mape: float | None = None
    test_rmse: float | None = None
    test_mae: float | None = None


class PredictResponse(msgspec.Struct, omit_defaults=True):
    model_name: str
    model_version: int
    metrics: TestMetrics
    confidence_level: float | None
    timestamp: datetime
    forecasts: list[SeriesForecast]
    deprecation: str | None = None  # set when the request named its series with store_id(s)


class ForecastingBody(msgspec.Struct):
    """What a forecast request to the version needs."""

    frequency: str
    unit: str
    training_origin: date
    series: int
    default_horizon: int
    max_horizon: int
    history_periods: int | None  # periods of history a series needs for every feature
    covariates: list[CovariateBody]  # what a history must carry: future ones also as future rows


class CovariateBody(msgspec.Struct):
    """A covariate of the version: `future` (sent for every forecast period), `past` (up to the origin),
    `static` (one value per series) or `calendar` (the holiday calendar's flag, computed by the version)."""

    name: str
    kind: str
    type: str  # number or text


class VersionBody(msgspec.Struct):
    name: str
    version: int
    aliases: list[str]
    stage: str
    run_id: str | None
    created_at: datetime | None
    metrics: dict[str, float]
    forecasting: ForecastingBody | None = None  # GET /models/{name} only


class ModelBody(msgspec.Struct):
    name: str
    latest_version: VersionBody
    aliases: dict[str, int]


class ModelsResponse(msgspec.Struct):
    models: list[ModelBody]


class PromoteBody(msgspec.Struct, forbid_unknown_fields=True):
    """Point an alias (preferred) or a legacy stage at a version; give exactly one of them."""

    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,9}$", description="the version number to promote")]
    alias: MODEL_NAME | None = None
    stage: Annotated[str, msgspec.Meta(
        pattern=r"^(?i:production|staging)$", description="deprecated: mapped to an alias")] | None = None


class PromotionBody(msgspec.Struct):
    model: str
    alias: str
    to_version: int
    from_version: int | None
    who: str
    when: datetime
    metrics: dict[str, float]
    previous_metrics: dict[str, float]
    stage: str | None
    deprecation: str | None = None
    evidence: str | None = None


class PromotionsResponse(msgspec.Struct):
    model: str
    promotions: list[PromotionBody]


class HealthResponse(msgspec.Struct):
    status: str
    version: str
    tracking_reachable: bool
    models_loaded: list[str]


class ErrorBody(msgspec.Struct, omit_defaults=True):
    status_code: int
    detail: str
    extra: list[dict[str, Any]] | dict[str, Any] | None = None


def predict_response(result: ForecastResult, deprecated: bool) -> PredictResponse:
    """The answer to /predict: per series its predictions, dates and interval, in the order asked."""
    forecast = result.forecast
    points: dict[str, list[ForecastPoint]] = {}
    for point in forecast.points:
        points.setdefault(point.series_id, []).append(point)
    series = [
        SeriesForecast(series_id=name, origin=found[0].origin, baseline=found[0].baseline,
                       predictions=[p.prediction for p in found], timestamps=[p.date for p in found],
                       confidence_intervals=Interval(lower=[p.lower for p in found if p.lower is not None],
                                                     upper=[p.upper for p in found if p.upper is not None])
                       if forecast.confidence_level else None,
                       store_id=int(name) if is_number(name) else None)
        for name, found in points.items()
    ]
    metrics = TestMetrics(**{k: result.metrics.get(k) for k in ("test_mape", "test_rmse", "test_mae")})
    return PredictResponse(model_name=forecast.model_name, model_version=forecast.model_version, metrics=metrics,
                           confidence_level=forecast.confidence_level, timestamp=result.made_at, forecasts=series,
                           deprecation="store_id and store_ids are deprecated: send series_id or series_ids"
                           if deprecated else None)


def version_body(version: ModelVersion, metrics: dict[str, float],
                 forecasting: Forecasting | None = None) -> VersionBody:
    return VersionBody(name=version.name, version=version.version, aliases=list(version.aliases), stage=version.stage,
                       run_id=version.run_id, created_at=version.created_at, metrics=dict(metrics),
                       forecasting=ForecastingBody(
                           frequency=forecasting.frequency, unit=forecasting.unit,
                           training_origin=forecasting.training_origin, series=forecasting.series,
                           default_horizon=forecasting.default_horizon, max_horizon=forecasting.max_horizon,
                           history_periods=forecasting.history_periods,
                           covariates=[CovariateBody(name=c.name, kind=c.kind, type=c.type)
                                       for c in forecasting.covariates]) if forecasting else None)


def promotion_body(promotion: Promotion) -> PromotionBody:
    deprecation = None
    if promotion.stage:
        deprecation = (f"registry stages are deprecated; stage {promotion.stage!r} was applied as alias "
                       f"{promotion.alias!r}: send {{\"alias\": \"{promotion.alias}\"}} instead")
    return PromotionBody(model=promotion.model, alias=promotion.alias, to_version=promotion.to_version,
                         from_version=promotion.from_version, who=promotion.who, when=promotion.when,
                         metrics=dict(promotion.metrics), previous_metrics=dict(promotion.previous_metrics),
                         stage=promotion.stage, deprecation=deprecation, evidence=promotion.evidence)
