"""What the portfolio trains and how it is evaluated."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from domain.errors import DataError, InvalidValueError
from domain.frequency import WEEKLY_FRIDAY, Frequency

# Model key (registered model name) -> model_type tag.
MODEL_TYPES = {
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
    "catboost": "CatBoost",
    "randomforest": "RandomForest",
    "aligned_naive": "AlignedNaive",
    "mstl": "MSTL",
    "theta": "Theta",
    "autoets": "AutoETS",
    "autoarima": "AutoARIMA",
    "autotheta": "AutoTheta",
    "seasonal_naive": "SeasonalNaive",
    "ensemble": "Ensemble",  # trained last: it combines the others' forecasts
}
# The model `run` promotes when it trained: its members are chosen on windows before each origin, so
# its score is out-of-sample; the best single member's score is the best of a dozen on the same windows,
# and off-sample it lost to the combination on the shared tables' rolling origins (benchmarks/peers.py).
COMBINATION = "ensemble"
# The longest season of members that cannot model every one: statsforecast's AutoETS models seasons
# up to 24, and its seasonal AutoARIMA search takes about a minute per origin on 45 weekly series.
LONGEST_SEASON = {"autoets": 24, "autoarima": 24}


def skipped_because(model: str, frequency: Frequency) -> str:
    """Why a model is not trained on a panel of this frequency ('' when it is)."""
    longest = LONGEST_SEASON.get(model)
    if longest is None or frequency.season <= longest:
        return ""
    return f"a season of {frequency.season} {frequency.unit}s; it models seasons up to {longest}"


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


FOLDS = 4  # backtest folds of a panel with enough series, unless --folds says otherwise
# Series-windows a default backtest aims for: a panel of fewer than EVIDENCE / FOLDS series gets more
# folds, one horizon apart, as far as its history holds. One series scored in four windows ranks a
# dozen members on four numbers; the ensemble's choice of members (and the champion with it) on a
# one-series daily year held off-sample only from about eight windows on (benchmarks/peers.py).
EVIDENCE = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationProtocol:
    """Out-of-time evaluation: the last `horizon` periods of every series are the test set,
    forecast from one origin; `folds` earlier origins, a quarter of a year apart (13 weeks, 91
    days, 3 months) or one horizon apart if that is longer, form the rolling-origin backtest. On
    the Walmart calendar the quarterly stride puts one 12-week fold over Thanksgiving-to-Christmas
    2011. The horizon defaults to the frequency's (12 weeks, 14 days, 6 months).
    """

    frequency: Frequency = WEEKLY_FRIDAY
    horizon: int = 0  # 0: the frequency's default
    folds: int = FOLDS
    stride: int = 0  # periods between fold origins; 0: a quarter of a year or a horizon, whichever is longer

    def __post_init__(self) -> None:
        if self.horizon == 0:
            object.__setattr__(self, "horizon", self.frequency.default_horizon)
        self.frequency.check_horizon(self.horizon)
        # Intervals are calibrated on backtest errors, so at least one fold is needed.
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 1:
            raise InvalidValueError(f"folds must be a whole number >= 1, not {self.folds!r}")

    @classmethod
    def for_panel(cls, frequency: Frequency, series: int, horizon: int = 0, folds: int | None = None
                  ) -> EvaluationProtocol:
        """The protocol for a panel of `series` series: `folds` if given; else FOLDS a quarter of a year
        (or a horizon) apart on a panel of EVIDENCE / FOLDS series or more, and on a smaller one as many
        folds one horizon apart as make EVIDENCE series-windows (fitted_to keeps those the history holds)."""
        protocol = cls(frequency=frequency, horizon=horizon, folds=folds or FOLDS)
        wanted = -(-EVIDENCE // max(series, 1))
        if folds is not None or wanted <= FOLDS:
            return protocol
        return replace(protocol, folds=wanted, stride=protocol.horizon)

    @property
    def season(self) -> int:
        return self.frequency.season

    @property
    def fold_stride(self) -> int:
        return self.stride or max(self.frequency.quarter, self.horizon)

    def test_origin(self, periods: int) -> int:
        """Index of the last period the test forecast may see."""
        return periods - 1 - self.horizon

    def fold_origins(self, periods: int) -> tuple[int, ...]:
        test = self.test_origin(periods)
        return tuple(test - self.fold_stride * k for k in range(self.folds, 0, -1))

    def min_periods(self, folds: int | None = None) -> int:
        """Periods the protocol needs with its folds (or `folds` of them): the earliest origin needs a full
        season behind it for the same-period-last-season value, and one more period so the MASE scale
        (in-sample seasonal-naive error) has a period to average."""
        return self.season + self.fold_stride * (self.folds if folds is None else folds) + self.horizon + 1

    def check_length(self, periods: int) -> None:
        if periods < self.min_periods():
            unit = self.frequency.unit
            raise DataError(
                f"the table spans {periods} {unit}s; horizon {self.horizon} with {self.folds} "
                f"backtest folds needs at least {self.min_periods()} (fewer with --folds or --horizon)"
            )

    def fitted_to(self, periods: int) -> EvaluationProtocol:
        """This protocol with as many of its folds as a table of `periods` holds, at least one: when not
        even one fits a stride back, one fold as far back as a season of history allows. DataError with
        the numbers when the table cannot hold a season, a fold and the test window."""
        room = periods - 1 - self.season - self.horizon  # periods between the earliest origin and the test one
        if room < 1:
            unit = self.frequency.unit
            raise DataError(
                f"the table spans {periods} {unit}s; it needs at least {periods - room + 1}: a season "
                f"({self.season}) and a period for the error scale before the backtest origin, one {unit} of "
                f"fold and the {self.horizon}-{unit} test window (a shorter --horizon needs fewer)"
            )
        folds = min(self.folds, room // self.fold_stride)
        return replace(self, folds=folds) if folds else replace(self, folds=1, stride=room)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetInfo:
    """Identity of a panel: name, content hash and extent."""

    name: str
    sha256: str
    source: str
    series: int
    periods: int  # the periods from the first date of any series to the last
    first_period: date
    last_period: date
    frequency: Frequency = WEEKLY_FRIDAY
    columns: str = ""  # which columns were taken, and how dates were read
    filled: str = ""  # what filled missing periods, if any were
    holidays: str = ""  # the holiday calendar the year-ago values are aligned on

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidValueError("a dataset needs a name")
        if self.series < 1 or self.periods < 1:
            raise InvalidValueError("a dataset needs at least one series and one period")

    def describe(self) -> str:
        return (f"{self.series:,} series x {self.periods} {self.frequency.unit}s ({self.frequency.code}), "
                f"{self.first_period}..{self.last_period}")
