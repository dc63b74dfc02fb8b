"""Who may write: promotions and actuals need the server's bearer token (a route declares this guard)."""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from domain.errors import NotAuthenticatedError, WritesDisabledError

TOKEN_STATE = "api_token"  # app.state key holding the server's token (None: writes are off)


def requires_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """403 when the server has no token, 401 when the request's bearer token is missing or wrong."""
    token: str | None = connection.app.state.get(TOKEN_STATE)
    if not token:
        raise WritesDisabledError(
            "writes (promotions, actuals) are disabled on this server: start it with ML_PORTFOLIO_API_TOKEN set, "
            "then send 'Authorization: Bearer <token>'"
        )
    scheme, _space, sent = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        raise NotAuthenticatedError("missing or wrong bearer token in the Authorization header")
