"""Canonical metric vocabulary and the historic spellings readers must accept.

A metric key is `<split>_<name>` (`test_mape`, `fold2_rmse`, `backtest_mae`). Older runs
logged `mape`, `test_MAPEMetric` or `MAPEMetric`; all of them mean the same test metric.
Look-ups are case-insensitive and a value of 0.0 is a value, never "missing".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import InvalidValueError

# Accuracy metrics, all on the original sales scale; mape, smape and wmape are percentages.
ERROR_METRICS = ("mape", "rmse", "mae", "smape", "mase", "wmape")
# Interval quality: share of actuals inside the interval, and its mean width in sales units.
INTERVAL_METRICS = ("coverage", "interval_width")
TIMING_METRICS = ("training_time", "predict_time")
CANONICAL_METRICS = ERROR_METRICS + INTERVAL_METRICS + TIMING_METRICS

TEST_SPLIT = "test"
BACKTEST_SPLIT = "backtest"  # the mean of the backtest folds
OVERALL_SPLIT = "overall"  # the mean of every window: the folds and the test window
SUMMARY_PREFIXES = (f"{TEST_SPLIT}_", f"{BACKTEST_SPLIT}_", f"{OVERALL_SPLIT}_")  # what a version is judged by
WINDOW_PREFIXES = (*SUMMARY_PREFIXES, "fold")  # and each window it was judged on

_ALIASES = {f"{name}metric": name for name in ("mape", "rmse", "mae", "smape", "mase", "wmape")}
_SPLIT = re.compile(r"^(test|backtest|overall|val|train|fold\d+)_(.+)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricKey:
    """A metric name with the split it was measured on (None for timings)."""

    name: str
    split: str | None = TEST_SPLIT

    def __post_init__(self) -> None:
        if self.name not in CANONICAL_METRICS:
            raise InvalidValueError(
                f"unknown metric {self.name!r}; choose one of {', '.join(CANONICAL_METRICS)}"
            )

    def __str__(self) -> str:
        return self.name if self.split is None else f"{self.split}_{self.name}"


def canonical_name(name: str) -> str:
    """The canonical metric name for any accepted spelling, e.g. `MAPEMetric` -> `mape`."""
    lowered = name.strip().lower()
    lowered = _ALIASES.get(lowered, lowered)
    if lowered not in CANONICAL_METRICS:
        raise InvalidValueError(
            f"unknown metric {name!r}; choose one of {', '.join(CANONICAL_METRICS)}"
        )
    return lowered


@lru_cache(maxsize=4096)
def parse_metric_key(key: str) -> MetricKey | None:
    """Read a logged metric key in any historic spelling; None if it is not one of ours.

    A bare accuracy name (`mape`, `MAPEMetric`) is a test metric, as old runs logged it.
    """
    lowered = key.strip().lower()
    if lowered in TIMING_METRICS:
        return MetricKey(name=lowered, split=None)
    match = _SPLIT.match(lowered)
    split, name = (match.group(1), match.group(2)) if match else (TEST_SPLIT, lowered)
    name = _ALIASES.get(name, name)
    if name not in CANONICAL_METRICS or name in TIMING_METRICS:
        return None
    return MetricKey(name=name, split=split)


@lru_cache(maxsize=4096)
def _sources(keys: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """For one set of logged keys: each canonical key with the logged keys that may supply it,
    the canonical spelling first. Runs of one training script share their key set, so this
    is worked out once per script, not once per run."""
    candidates: dict[str, list[str]] = {}
    for key in keys:
        parsed = parse_metric_key(key)
        if parsed is not None:
            name = str(parsed)
            found = candidates.setdefault(name, [])
            if key == name:
                found.insert(0, key)
            else:
                found.append(key)
    return tuple((name, tuple(found)) for name, found in candidates.items())


def canonical_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """Every recognised metric under its canonical key (`test_mape`, `fold2_rmse`,
    `training_time`); the canonical spelling wins over historic ones, NaN counts as missing
    and 0.0 does not."""
    found: dict[str, float] = {}
    for name, keys in _sources(tuple(metrics)):
        for key in keys:
            value = metrics[key]
            if value is not None and value == value:  # NaN != NaN
                found[name] = float(value)
                break
    return found


@lru_cache(maxsize=1024)
def metric_key(name: str, split: str | None = TEST_SPLIT) -> str:
    """The canonical key of a metric on a split, e.g. ('MAPEMetric', 'test') -> 'test_mape'."""
    canonical = canonical_name(name)
    return str(MetricKey(name=canonical, split=None if canonical in TIMING_METRICS else split))


def metric_value(metrics: Mapping[str, float], name: str, split: str | None = TEST_SPLIT) -> float | None:
    """The value of one metric from a run's logged metrics, whatever spelling was used."""
    return canonical_metrics(metrics).get(metric_key(name, split))
