"""What the portfolio trains and how it is evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import DataError, InvalidValueError
from domain.forecasts import check_horizon

# Model key (registered model name) -> model_type tag.
MODEL_TYPES = {
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
    "catboost": "CatBoost",
    "randomforest": "RandomForest",
    "aligned_naive": "AlignedNaive",
    "mstl": "MSTL",
    "autotheta": "AutoTheta",
    "seasonal_naive": "SeasonalNaive",
    "ensemble": "Ensemble",  # trained last: it combines the others' forecasts
}
SEASON = 52  # weeks in a retail year; the seasonal-naive forecast repeats the week a year ago
DEFAULT_EXPERIMENT = "walmart_sales_forecasting"


def parse_model_keys(text: str) -> tuple[str, ...]:
    """`all` or a comma-separated list of model keys, in the order given, without repeats."""
    if text.strip().lower() == "all":
        return tuple(MODEL_TYPES)
    keys = tuple(dict.fromkeys(k.strip().lower() for k in text.split(",") if k.strip()))
    unknown = [k for k in keys if k not in MODEL_TYPES]
    if unknown or not keys:
        raise InvalidValueError(
            f"unknown model(s) {', '.join(unknown) or repr(text)}; choose 'all' or from {', '.join(MODEL_TYPES)}"
        )
    return keys


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationProtocol:
    """Out-of-time evaluation: the last `horizon` weeks of every store are the test set,
    forecast from one origin; `folds` earlier origins, a quarter (13 weeks) apart or one
    horizon apart if that is longer, form the rolling-origin backtest. On the Walmart
    calendar the quarterly stride puts one 12-week fold over Thanksgiving-to-Christmas 2011.
    """

    horizon: int = 12
    folds: int = 4

    def __post_init__(self) -> None:
        check_horizon(self.horizon)
        # Intervals are calibrated on backtest errors, so at least one fold is needed.
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 1:
            raise InvalidValueError(f"folds must be a whole number >= 1, not {self.folds!r}")

    @property
    def fold_stride(self) -> int:
        return max(13, self.horizon)

    def test_origin(self, n_weeks: int) -> int:
        """Index of the last week the test forecast may see."""
        return n_weeks - 1 - self.horizon

    def fold_origins(self, n_weeks: int) -> tuple[int, ...]:
        test = self.test_origin(n_weeks)
        return tuple(test - self.fold_stride * k for k in range(self.folds, 0, -1))

    def min_weeks(self) -> int:
        # The earliest origin needs a full season behind it for the same-week-last-year value.
        # One more week so the MASE scale (in-sample seasonal-naive error) has a week to average.
        return SEASON + self.fold_stride * self.folds + self.horizon + 1

    def check_length(self, n_weeks: int) -> None:
        if n_weeks < self.min_weeks():
            raise DataError(
                f"the table has {n_weeks} weeks per store; horizon {self.horizon} with {self.folds} "
                f"backtest folds needs at least {self.min_weeks()}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetInfo:
    """Identity of a sales table: name, content hash and extent."""

    name: str
    sha256: str
    source: str
    stores: int
    weeks: int
    first_week: date
    last_week: date
    columns: str = ""  # which columns were taken, and how dates were read

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidValueError("a dataset needs a name")
        if self.stores < 1 or self.weeks < 1:
            raise InvalidValueError("a dataset needs at least one store and one week")

