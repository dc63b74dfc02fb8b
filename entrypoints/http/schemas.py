"""Request and response bodies of the HTTP API: msgspec Structs, and their conversion from the domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from domain.forecasts import DEFAULT_CONFIDENCE, DEFAULT_HORIZON, MAX_HORIZON, MAX_STORE_ID
from domain.models import MODEL_NAME_PATTERN, ModelVersion, Promotion

VERSION_REF = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        description="a version number, `latest`, an alias such as `champion`, or a legacy stage name",
    ),
]
STORE = Annotated[int, msgspec.Meta(ge=1, le=MAX_STORE_ID, description="store id, as in the training table")]
MODEL_NAME = Annotated[str, msgspec.Meta(pattern=MODEL_NAME_PATTERN)]


class PredictBody(msgspec.Struct, forbid_unknown_fields=True):
    """Forecast one store (`store_id`) or several (`store_ids`); give exactly one of them."""

    store_id: STORE | None = None
    store_ids: Annotated[list[STORE], msgspec.Meta(min_length=1, max_length=1000)] | None = None
    horizon: Annotated[int, msgspec.Meta(ge=1, le=MAX_HORIZON, description="weeks ahead")] = DEFAULT_HORIZON
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


class Interval(msgspec.Struct):
    lower: list[float]
    upper: list[float]


class StoreForecast(msgspec.Struct):
    store_id: int
    predictions: list[float]
    timestamps: list[date]
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


def version_body(version: ModelVersion, metrics: dict[str, float]) -> VersionBody:
    return VersionBody(name=version.name, version=version.version, aliases=list(version.aliases), stage=version.stage,
                       run_id=version.run_id, created_at=version.created_at, metrics=dict(metrics))


def promotion_body(promotion: Promotion) -> PromotionBody:
    deprecation = None
    if promotion.stage:
        deprecation = (f"registry stages are deprecated; stage {promotion.stage!r} was applied as alias "
                       f"{promotion.alias!r}: send {{\"alias\": \"{promotion.alias}\"}} instead")
    return PromotionBody(model=promotion.model, alias=promotion.alias, to_version=promotion.to_version,
                         from_version=promotion.from_version, who=promotion.who, when=promotion.when,
                         metrics=dict(promotion.metrics), previous_metrics=dict(promotion.previous_metrics),
                         stage=promotion.stage, deprecation=deprecation, evidence=promotion.evidence)
