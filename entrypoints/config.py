"""Settings from flags and environment; MLflow's own MLFLOW_TRACKING_URI is honoured."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    tracking_uri: str

    @classmethod
    def from_env(cls, tracking_uri: str | None = None) -> Settings:
        return cls(tracking_uri=tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)


def quiet_libraries() -> None:
    """Keep the CLI's output ours: libraries speak only when something is wrong."""
    # An unreachable server should fail in seconds, not after MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    # Read by MLflow when it is imported: its INFO/WARNING chatter (input-example validation,
    # the generic cloudpickle caution) is not for our users; failures reach them as errors.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module="mlflow")
    warnings.filterwarnings("ignore", category=UserWarning, module="mlflow")
