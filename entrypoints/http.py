"""The HTTP API (Litestar + msgspec): forecasts with intervals, model listing, safe promotion.

`create_app()` builds the container; nothing is built at import. Request and response bodies
are msgspec Structs, converted to application requests at the edge. One table maps the
application's errors to status codes; no stack trace or internal path reaches a client.
"""

from __future__ import annotations

import hmac
import logging
from datetime import date, datetime
from importlib.metadata import version as package_version
from typing import Annotated

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.serving import (
    CheckHealth,
    DescribeModel,
    ForecastRequest,
    ForecastSales,
    ListModels,
    ListPromotions,
    PromoteModel,
    PromoteRequest,
    default_model,
)
from domain.errors import (
    DomainError,
    InvalidValueError,
    NotAuthenticatedError,
    NotFoundError,
    SourceUnavailableError,
    WritesDisabledError,
)
from domain.forecasts import DEFAULT_CONFIDENCE, DEFAULT_HORIZON, MAX_HORIZON
from domain.models import ModelVersion, Promotion
from entrypoints.config import Settings, quiet_libraries

log = logging.getLogger("ml_portfolio.http")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
VERSION_REF = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="a version number, `latest`, an alias such as `champion`, or a legacy stage name")]
STORE = Annotated[int, msgspec.Meta(ge=1, le=1_000_000, description="store id, as in the training table")]


# -- bodies ------------------------------------------------------------------------------------
class PredictBody(msgspec.Struct, forbid_unknown_fields=True):
    """Forecast one store (`store_id`) or several (`store_ids`); give exactly one of them."""

    store_id: STORE | None = None
    store_ids: Annotated[list[STORE], msgspec.Meta(min_length=1, max_length=1000)] | None = None
    horizon: Annotated[int, msgspec.Meta(ge=1, le=MAX_HORIZON, description="weeks ahead")] = DEFAULT_HORIZON
    model_name: Annotated[str, msgspec.Meta(
        pattern=NAME_PATTERN, description="default: the best champion (and model_version defaults to `champion`), else the "
                                          "latest lightgbm")] | None = None
    model_version: VERSION_REF | None = None  # the champion when model_name is omitted, else latest
    include_intervals: bool = True
    confidence_level: Annotated[float, msgspec.Meta(ge=0.5, le=0.99, description="coverage of the prediction interval")] = DEFAULT_CONFIDENCE


class Interval(msgspec.Struct):
    lower: list[float]
    upper: list[float]


class StoreForecast(msgspec.Struct):
    store_id: int
    predictions: list[float]
    timestamps: list[date] = msgspec.field(name="timestamps")
    confidence_intervals: Interval | None


class TestMetrics(msgspec.Struct, omit_defaults=False):
    test_mape: float | None = None
    test_rmse: float | None = None
    test_mae: float | None = None


class PredictResponse(msgspec.Struct):
    model_name: str
    model_version: int
    metrics: TestMetrics
    confidence_level: float | None
    timestamp: datetime
    forecasts: list[StoreForecast]


class VersionBody(msgspec.Struct):
    name: str
    version: int
    aliases: list[str]
    stage: str
    run_id: str | None
    created_at: datetime | None
    metrics: dict[str, float]


class ModelBody(msgspec.Struct):
    name: str
    latest_version: VersionBody
    aliases: dict[str, int]


class ModelsResponse(msgspec.Struct):
    models: list[ModelBody]


class PromoteBody(msgspec.Struct, forbid_unknown_fields=True):
    """Point an alias (preferred) or a legacy stage at a version; give exactly one of them."""

    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,9}$", description="the version number to promote")]
    alias: Annotated[str, msgspec.Meta(pattern=NAME_PATTERN)] | None = None
    stage: Annotated[str, msgspec.Meta(pattern=r"^(?i:production|staging)$", description="deprecated: mapped to an alias")] | None = None


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
    extra: list[dict] | dict | None = None


def _version_body(version: ModelVersion, metrics: dict[str, float]) -> VersionBody:
    return VersionBody(name=version.name, version=version.version, aliases=list(version.aliases), stage=version.stage,
                       run_id=version.run_id, created_at=version.created_at, metrics=dict(metrics))


def _promotion_body(promotion: Promotion) -> PromotionBody:
    deprecation = None
    if promotion.stage:
        deprecation = (f"registry stages are deprecated; stage {promotion.stage!r} was applied as alias "
                       f"{promotion.alias!r}: send {{\"alias\": \"{promotion.alias}\"}} instead")
    return PromotionBody(model=promotion.model, alias=promotion.alias, to_version=promotion.to_version,
                         from_version=promotion.from_version, who=promotion.who, when=promotion.when,
                         metrics=dict(promotion.metrics), previous_metrics=dict(promotion.previous_metrics),
                         stage=promotion.stage, deprecation=deprecation, evidence=promotion.evidence)


# -- errors ------------------------------------------------------------------------------------
STATUS = [
    (NotFoundError, 404),
    (InvalidValueError, 400),
    (NotAuthenticatedError, 401),
    (WritesDisabledError, 403),
    (SourceUnavailableError, 503),
]
ERRORS = {
    400: ResponseSpec(ErrorBody, description="invalid request: the detail and `extra` name the field"),
    404: ResponseSpec(ErrorBody, description="unknown model, version, alias or store"),
    503: ResponseSpec(ErrorBody, description="the tracking store is unreachable and the model is not cached"),
}
WRITE_ERRORS = {
    **ERRORS,
    401: ResponseSpec(ErrorBody, description="missing or wrong bearer token"),
    403: ResponseSpec(ErrorBody, description="promotion is disabled on this server (no token configured)"),
}


def domain_error(request: Request, exc: DomainError) -> Response:
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    detail = str(exc) if status != 500 else "internal error"
    return Response(ErrorBody(status_code=status, detail=detail), status_code=status, headers=headers)


def unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return Response(ErrorBody(status_code=exc.status_code, detail=exc.detail, extra=exc.extra or None),
                        status_code=exc.status_code, headers=exc.headers)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return Response(ErrorBody(status_code=500, detail="internal error"), status_code=500)


# -- handlers ----------------------------------------------------------------------------------
@get("/", summary="Service name, version and links", sync_to_thread=False)
def index() -> dict[str, str]:
    return {"name": "ml-portfolio", "version": package_version("ml-portfolio"),
            "docs": "/schema", "openapi": "/schema/openapi.json", "health": "/health"}


@get("/health", summary="Liveness and whether the tracking store answers", sync_to_thread=True)
def health(check_health: NamedDependency[CheckHealth]) -> HealthResponse:
    found = check_health()
    return HealthResponse(status=found.status, version=package_version("ml-portfolio"),
                          tracking_reachable=found.tracking_reachable, models_loaded=list(found.models_loaded))


@post("/predict", summary="Forecast one store or a batch, with prediction intervals", status_code=200,
      responses=ERRORS, sync_to_thread=True)
def predict(data: JSONBody[PredictBody], forecast_sales: NamedDependency[ForecastSales]) -> PredictResponse:
    if (data.store_id is None) == (data.store_ids is None):
        raise ValidationException("give exactly one of store_id and store_ids",
                                  extra=[{"message": "give exactly one of store_id and store_ids", "key": "store_id", "source": "body"}])
    result = forecast_sales(ForecastRequest(
        store_ids=(data.store_id,) if data.store_id is not None else tuple(data.store_ids),
        horizon=data.horizon, model_name=data.model_name, model_version=data.model_version,
        include_intervals=data.include_intervals, confidence_level=data.confidence_level,
    ))
    forecast = result.forecast
    stores = []
    for store in forecast.store_ids:
        points = forecast.for_store(store)
        interval = Interval(lower=[p.lower for p in points], upper=[p.upper for p in points]) if forecast.confidence_level else None
        stores.append(StoreForecast(store_id=store, predictions=[p.prediction for p in points],
                                    timestamps=[p.date for p in points], confidence_intervals=interval))
    metrics = TestMetrics(**{k: result.metrics.get(k) for k in ("test_mape", "test_rmse", "test_mae")})
    return PredictResponse(model_name=forecast.model_name, model_version=forecast.model_version, metrics=metrics,
                           confidence_level=forecast.confidence_level, timestamp=result.made_at, forecasts=stores)


@get("/models", summary="Every registered model: newest version, aliases, stage, test metrics", responses={503: ERRORS[503]},
     sync_to_thread=True)
def models(list_models: NamedDependency[ListModels]) -> ModelsResponse:
    return ModelsResponse(models=[
        ModelBody(name=m.name, latest_version=_version_body(m.latest, dict(m.metrics)), aliases=dict(m.aliases))
        for m in list_models()
    ])


@get("/models/{name:str}", summary="One model version", responses=ERRORS, sync_to_thread=True)
def model(name: Annotated[str, PathParameter(pattern=NAME_PATTERN)], describe_model: NamedDependency[DescribeModel],
          version: Annotated[str | None, QueryParameter(name="version", max_length=100, description="a number, `latest`, an alias or a legacy stage (default latest)")] = None) -> VersionBody:
    found = describe_model(name, version)
    return _version_body(found.version, dict(found.metrics))


@post("/models/{name:str}/promote", summary="Point an alias (or legacy stage) at a version; needs the bearer token",
      status_code=200, responses=WRITE_ERRORS, sync_to_thread=True)
def promote(name: Annotated[str, PathParameter(pattern=NAME_PATTERN)], data: JSONBody[PromoteBody], request: Request,
            promote_model: NamedDependency[PromoteModel], api_token: NamedDependency[str | None]) -> PromotionBody:
    if not api_token:
        raise WritesDisabledError(
            "promotion is disabled on this server: start it with ML_PORTFOLIO_API_TOKEN set, "
            "then send 'Authorization: Bearer <token>'"
        )
    sent = request.headers.get("authorization", "")
    scheme, _, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_token.encode()):
        raise NotAuthenticatedError("missing or wrong bearer token in the Authorization header")
    if (data.alias is None) == (data.stage is None):
        raise ValidationException("give exactly one of alias and stage",
                                  extra=[{"message": "give exactly one of alias and stage", "key": "alias", "source": "body"}])
    who = request.headers.get("x-promoted-by") or "api"
    promotion = promote_model(PromoteRequest(name=name, version=data.version, alias=data.alias, stage=data.stage, who=who[:100]))
    return _promotion_body(promotion)


@get("/models/{name:str}/promotions", summary="Promotion history: who, when, from which version to which, metrics",
     responses=ERRORS, sync_to_thread=True)
def promotions(name: Annotated[str, PathParameter(pattern=NAME_PATTERN)], list_promotions: NamedDependency[ListPromotions]) -> PromotionsResponse:
    return PromotionsResponse(model=name, promotions=[_promotion_body(p) for p in list_promotions(name)])


def create_app(settings: Settings | None = None) -> Litestar:
    quiet_libraries()
    from entrypoints.container import create_container

    settings = settings or Settings.from_env()
    container = create_container(settings)
    token = settings.api_token

    def warm_up() -> None:
        """Load the champion before the first request; a store that is down only degrades /health."""
        try:
            served = container.served_models()
            served.model(served.resolve(*default_model(container.model_registry(), served)))
        except DomainError as exc:
            log.warning("no model loaded at startup: %s", exc)

    def use(provider):
        return Provide(lambda: provider(), sync_to_thread=False)

    return Litestar(
        route_handlers=[index, health, predict, models, model, promote, promotions],
        dependencies={
            "forecast_sales": use(container.forecast_sales),
            "list_models": use(container.list_models),
            "describe_model": use(container.describe_model),
            "promote_model": use(container.promote_model),
            "list_promotions": use(container.list_promotions),
            "check_health": use(container.check_health),
            "api_token": Provide(lambda: token, sync_to_thread=False),
        },
        exception_handlers={DomainError: domain_error, Exception: unexpected_error},
        on_startup=[warm_up],
        openapi_config=OpenAPIConfig(title="ml-portfolio", version=package_version("ml-portfolio"), path="/schema",
                                     render_plugins=[SwaggerRenderPlugin(), RedocRenderPlugin()]),
        debug=False,
    )
