"""The HTTP API (Litestar + msgspec): schemas, the token guard, handlers, and the app factory."""

from entrypoints.http.app import create_app

__all__ = ["create_app"]
