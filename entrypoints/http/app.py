"""The app factory and the one table that maps the application's errors to status codes.

`create_app()` builds the container; nothing is built at import. No stack trace or internal
path reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import version as package_version
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin

from application.serving import default_model
from domain.errors import (
    BusyError,
    DataError,
    DomainError,
    InvalidValueError,
    NotAuthenticatedError,
    NotFoundError,
    SourceUnavailableError,
    WritesDisabledError,
)
from entrypoints.config import Settings, quiet_libraries
from entrypoints.http import monitoring
from entrypoints.http.guards import TOKEN_STATE
from entrypoints.http.handlers import ROUTES
from entrypoints.http.metrics import ServiceMetrics
from entrypoints.http.schemas import ErrorBody

log = logging.getLogger("ml_portfolio.http")
STATUS = [
    (NotFoundError, 404),
    (InvalidValueError, 400),
    (DataError, 400),
    (BusyError, 409),
    (NotAuthenticatedError, 401),
    (WritesDisabledError, 403),
    (SourceUnavailableError, 503),
]


def domain_error(request: Request, exc: DomainError) -> Response[ErrorBody]:
    """The client is told the problem; where it happened (addresses, paths, drivers) goes to the log."""
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, SourceUnavailableError):
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        detail = exc.public
    else:
        detail = str(exc) if status != 500 else "internal error"
    return Response(ErrorBody(status_code=status, detail=detail), status_code=status, headers=headers)


def unexpected_error(request: Request, exc: Exception) -> Response[ErrorBody]:
    if isinstance(exc, HTTPException):
        return Response(ErrorBody(status_code=exc.status_code, detail=exc.detail, extra=exc.extra or None),
                        status_code=exc.status_code, headers=exc.headers)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return Response(ErrorBody(status_code=500, detail="internal error"), status_code=500)


def create_app(settings: Settings | None = None) -> Litestar:
    quiet_libraries()
    from entrypoints.container import create_container

    settings = settings or Settings.from_env()
    container = create_container(settings)

    def warm_up() -> None:
        """Load the champion before the first request; a store that is down only degrades /health."""
        try:
            served = container.served_models()
            served.model(served.resolve(*default_model(container.model_registry(), served)))
        except DomainError as exc:
            log.warning("no model loaded at startup: %s", exc)

    def close() -> None:
        """The forecast log writes what it still holds."""
        container.shutdown_resources()

    def use(provider: Callable[[], Any]) -> Provide:
        return Provide(lambda: provider(), sync_to_thread=False)

    metrics = ServiceMetrics(container.served_models, container.measure_served)
    return Litestar(
        route_handlers=[*ROUTES, *monitoring.ROUTES, metrics.route()],
        dependencies={name: use(getattr(container, name)) for name in (
            "forecast_sales", "list_models", "describe_model", "promote_model", "list_promotions", "check_health",
            "record_actuals", "read_actuals", "measure_accuracy")},
        state=State({TOKEN_STATE: settings.api_token}),
        exception_handlers={DomainError: domain_error, Exception: unexpected_error},
        middleware=[metrics.middleware],
        on_startup=[warm_up],
        on_shutdown=[close],
        openapi_config=OpenAPIConfig(title="ml-portfolio", version=package_version("ml-portfolio"), path="/schema",
                                     render_plugins=[SwaggerRenderPlugin(), RedocRenderPlugin()]),
        debug=False,
    )
