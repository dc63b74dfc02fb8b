"""Translate MLflow client failures into the application's TrackingUnavailableError."""

from __future__ import annotations

import os
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


# The SQLite file each store of this process was first opened at, as (device, inode): pooled
# connections keep reading and writing a file that was moved away or replaced, so a change of
# file is the store being unavailable, not a store that answers from a file nobody else sees.
_opened: dict[str, tuple[int, int]] = {}


def _sqlite_file(tracking_uri: str) -> str | None:
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return os.path.abspath(tracking_uri.removeprefix("sqlite:///").split("?", 1)[0])


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


@contextmanager
def tracking_errors(tracking_uri: str, doing: str) -> Iterator[None]:
    """MLflow's failures as TrackingUnavailableError: the operator's message names the store (its
    credentials masked) and the cause; the public one only what was being done. A SQLite store
    whose file was moved away or replaced since this process opened it is unavailable too."""
    public = f"the tracking store is unavailable (while {doing})"
    path = _sqlite_file(tracking_uri)
    now = _identity(path) if path is not None else None
    if path is not None and path in _opened and now != _opened[path]:
        change = "moved away" if now is None else "replaced by another file"
        raise TrackingUnavailableError(
            f"MLflow at {tracking_uri} failed while {doing}: {path} was {change} since this process opened it "
            "(put it back, or restart the process to use the new file)", public=public)
    try:
        yield
    except (MlflowException, RequestException, OSError) as exc:
        raise TrackingUnavailableError(
            masked(f"MLflow at {tracking_uri} failed while {doing}: {_first_line(exc)}"), public=public,
        ) from exc
    if path is not None and path not in _opened and (identity := now or _identity(path)) is not None:
        _opened[path] = identity  # the file a new store's first call created, if it did
