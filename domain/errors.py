"""One error hierarchy: every failure the application reports is a DomainError."""


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


class UnknownStoreError(NotFoundError):
    """The store is not one the model was trained on."""


class UnknownExperimentError(NotFoundError):
    """The experiment does not exist in the tracking store."""


class SourceUnavailableError(DomainError):
    """A run source (tracking store, warehouse file, results file) cannot be read or written."""


class TrackingUnavailableError(SourceUnavailableError):
    """The tracking store (MLflow) cannot be reached or refused the request."""


class NotAuthenticatedError(DomainError):
    """A write was attempted without the right credentials."""


class WritesDisabledError(DomainError):
    """Writes (promotion) are switched off on this server; the message says how to enable them."""


class TrainingError(DomainError):
    """Fitting or evaluating one model failed."""
