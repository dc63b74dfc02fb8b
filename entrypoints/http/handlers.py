"""The route handlers: each turns a body into an application request, calls one use case, and
answers with a schema. Errors are the app's error table's business (entrypoints/http/app.py)."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Annotated

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from application.serving import (
    CheckHealth,
    DescribeModel,
    ForecastRequest,
    ForecastSales,
    ListModels,
    ListPromotions,
    PromoteModel,
    PromoteRequest,
)
from domain.errors import InvalidValueError
from domain.models import MODEL_NAME_PATTERN
from entrypoints.http.bodies import strict_body
from entrypoints.http.guards import requires_token
from entrypoints.http.histories import history_with_covariates
from entrypoints.http.metrics import MODEL_STATE
from entrypoints.http.schemas import (
    IDS,
    ErrorBody,
    HealthResponse,
    ModelBody,
    ModelsResponse,
    PredictBody,
    PredictResponse,
    PromoteBody,
    PromotionBody,
    PromotionsResponse,
    VersionBody,
    predict_response,
    promotion_body,
    version_body,
)

NAME = Annotated[str, PathParameter(pattern=MODEL_NAME_PATTERN)]
ERRORS = {
    400: ResponseSpec(ErrorBody, description="invalid request: the detail and `extra` name the field"),
    404: ResponseSpec(ErrorBody, description="unknown model, version, alias or series"),
    503: ResponseSpec(ErrorBody, description="the tracking store is unreachable and the model is not cached"),
}
WRITE_ERRORS = {
    **ERRORS,
    401: ResponseSpec(ErrorBody, description="missing or wrong bearer token"),
    403: ResponseSpec(ErrorBody, description="promotion is disabled on this server (no token configured)"),
}


def _exactly_one(first: object, second: object, names: tuple[str, str]) -> None:
    if (first is None) == (second is None):
        message = f"give exactly one of {names[0]} and {names[1]}"
        raise ValidationException(message, extra=[{"message": message, "key": names[0], "source": "body"}])


def _series_ids(data: PredictBody) -> tuple[tuple[str | int, ...], bool]:
    """The series asked for (none: every series of the history), and whether they came under the
    deprecated store_id(s)."""
    given = [(name, value) for name in IDS if (value := getattr(data, name)) is not None]
    if not given and data.history is not None:
        return (), False
    if len(given) != 1:
        message = ("give exactly one of series_id and series_ids (store_id and store_ids are their deprecated "
                   "names), or a history and at most one of them")
        raise ValidationException(message, extra=[{"message": message, "key": "series_id", "source": "body"}])
    name, value = given[0]
    return (tuple(value) if isinstance(value, list) else (value,)), name.startswith("store")


PREDICT_EXAMPLES = [
    Example(summary="From the training origin", value={"series_id": "1", "horizon": 12, "confidence_level": 0.9}),
    Example(summary="From a history (each series from its own last date)", value={
        "model_name": "lightgbm", "horizon": 4,
        "history": [{"series_id": "new-store", "date": f"2012-{month:02d}-{day:02d}", "value": value}
                    for month, day, value in ((9, 7, 1502562.78), (9, 14, 1422018.54), (9, 21, 1432069.95),
                                              (9, 28, 1437059.26), (10, 5, 1670785.97))]}),
]


@get("/", summary="Service name, version and links", sync_to_thread=False)
def index() -> dict[str, str]:
    return {"name": "ml-portfolio", "version": package_version("ml-portfolio"),
            "docs": "/schema", "openapi": "/schema/openapi.json", "health": "/health"}


@get("/health", summary="Liveness and whether the tracking store answers", sync_to_thread=True)
def health(check_health: NamedDependency[CheckHealth]) -> HealthResponse:
    found = check_health()
    return HealthResponse(status=found.status, version=package_version("ml-portfolio"),
                          tracking_reachable=found.tracking_reachable, models_loaded=list(found.models_loaded))


@post("/predict", summary="Forecast one series or a batch, with prediction intervals, from the training origin or "
      "from a history", status_code=200, responses=ERRORS, sync_to_thread=True, before_request=strict_body,
      opt={"body": PredictBody})
def predict(data: Annotated[PredictBody, Body(media_type=RequestEncodingType.JSON, examples=PREDICT_EXAMPLES)],
            request: Request, forecast_sales: NamedDependency[ForecastSales]) -> PredictResponse:
    ids, deprecated = _series_ids(data)
    if data.future is not None and data.history is None:
        raise InvalidValueError("future rows come with a history: they carry the future covariates of the periods "
                                "after it")
    result = forecast_sales(ForecastRequest(
        series_ids=tuple(map(str, ids)), horizon=data.horizon, model_name=data.model_name,
        model_version=data.model_version, include_intervals=data.include_intervals,
        confidence_level=data.confidence_level,
        history=history_with_covariates(data.history, data.future) if data.history else None,
        origin=data.origin,
    ))
    request.scope.setdefault("state", {})[MODEL_STATE] = result.forecast.model_name  # for /metrics' labels
    return predict_response(result, deprecated)


@get("/models", summary="Every registered model: newest version, aliases, stage, test metrics",
     responses={503: ERRORS[503]}, sync_to_thread=True)
def models(list_models: NamedDependency[ListModels]) -> ModelsResponse:
    return ModelsResponse(models=[
        ModelBody(name=m.name, latest_version=version_body(m.latest, dict(m.metrics)), aliases=dict(m.aliases))
        for m in list_models()
    ])


@get("/models/{name:str}", summary="One model version, and what a forecast request to it needs (frequency, "
     "horizons, periods of history)", responses=ERRORS, sync_to_thread=True)
def model(
    name: NAME,
    describe_model: NamedDependency[DescribeModel],
    version: Annotated[
        str | None,
        QueryParameter(
            name="version",
            max_length=100,
            description="a number, `latest`, an alias or a legacy stage (default latest)",
        ),
    ] = None,
) -> VersionBody:
    found = describe_model(name, version)
    return version_body(found.version, dict(found.metrics), found.forecasting)


@post("/models/{name:str}/promote", summary="Point an alias (or legacy stage) at a version; needs the bearer token",
      status_code=200, responses=WRITE_ERRORS, guards=[requires_token], sync_to_thread=True,
      before_request=strict_body, opt={"body": PromoteBody})
def promote(name: NAME, data: JSONBody[PromoteBody], request: Request,
            promote_model: NamedDependency[PromoteModel]) -> PromotionBody:
    _exactly_one(data.alias, data.stage, ("alias", "stage"))
    who = request.headers.get("x-promoted-by") or "api"
    promotion = promote_model(PromoteRequest(name=name, version=data.version, alias=data.alias, stage=data.stage,
                                             who=who[:100]))
    return promotion_body(promotion)


@get("/models/{name:str}/promotions", summary="Promotion history: who, when, from which version to which, metrics",
     responses=ERRORS, sync_to_thread=True)
def promotions(name: NAME, list_promotions: NamedDependency[ListPromotions]) -> PromotionsResponse:
    return PromotionsResponse(model=name, promotions=[promotion_body(p) for p in list_promotions(name)])


ROUTES = [index, health, predict, models, model, promote, promotions]
