"""One error hierarchy: every failure the application reports is a DomainError."""

import re

_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def masked(text: str) -> str:
    """The text with the user:password@ of every URL in it replaced by ***@: no message, log line
    or printout carries credentials."""
    return _CREDENTIALS.sub("***@", text)


class DomainError(Exception):
    """Base of every error the application raises on purpose."""


class InvalidValueError(DomainError, ValueError):
    """A value object was built from values that break its rules."""


class DataError(DomainError):
    """An input sales table cannot be used; the message names the problem."""


class NotFoundError(DomainError):
    """Something asked for by name does not exist."""


class UnknownModelError(NotFoundError):
    """No model (or model version) with that name, number or alias."""


class UnknownSeriesError(NotFoundError):
    """The series is not one the model was trained on."""


class UnknownExperimentError(NotFoundError):
    """The experiment does not exist in the tracking store."""


class SourceUnavailableError(DomainError):
    """A run source (tracking store, warehouse file, results file) cannot be read or written.

    The message is for the operator (it may name an address or a path); `public` is what a
    client of a server is told: the problem, without addresses, paths or driver messages."""

    PUBLIC = "a run source is unavailable"

    def __init__(self, message: str, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public or self.PUBLIC


class TrackingUnavailableError(SourceUnavailableError):
    """The tracking store (MLflow) cannot be reached or refused the request."""

    PUBLIC = "the tracking store is unavailable"


class NotAuthenticatedError(DomainError):
    """A write was attempted without the right credentials."""


class WritesDisabledError(DomainError):
    """Writes (promotion) are switched off on this server; the message says how to enable them."""


class TrainingError(DomainError):
    """Fitting or evaluating one model failed."""


class ComputeUnavailableError(DomainError):
    """The cluster that runs the fits cannot be reached, or has no worker left."""


class BusyError(DomainError):
    """Another process holds the work this one would do (a retrain already running)."""
