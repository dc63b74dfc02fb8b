"""Translate MLflow client failures into the application's TrackingUnavailableError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mlflow.exceptions import MlflowException

from domain.errors import TrackingUnavailableError, masked

try:  # requests is how the MLflow client talks to a server
    from requests.exceptions import RequestException
except ImportError:  # pragma: no cover - mlflow always brings requests
    RequestException = OSError  # type: ignore[misc,assignment]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextmanager
def tracking_errors(tracking_uri: str, doing: str) -> Iterator[None]:
    """MLflow's failures as TrackingUnavailableError: the operator's message names the store (its
    credentials masked) and the cause; the public one only what was being done."""
    try:
        yield
    except (MlflowException, RequestException, OSError) as exc:
        raise TrackingUnavailableError(
            masked(f"MLflow at {tracking_uri} failed while {doing}: {_first_line(exc)}"),
            public=f"the tracking store is unavailable (while {doing})",
        ) from exc
