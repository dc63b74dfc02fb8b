"""Interval widths of a member's forecasts, calibrated on its out-of-sample windows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Split-conformal interval widths per step, from out-of-sample relative errors.

    The score of a forecast is |actual - prediction| / prediction. The scores for step h
    come from the most recent out-of-sample window that reached step h (models improve as
    history grows, so older windows overstate today's error), pooled over steps h-1..h+1
    for a steadier quantile. For confidence c the half-width is the ceil((n+1)c)-th smallest
    of those n scores; a step no window reached borrows the nearest step's scores.
    """

    scores: dict[int, np.ndarray]  # step -> sorted scores

    @classmethod
    def from_windows(cls, windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Calibration:
        """windows: (steps, actual, predicted) per forecast origin, oldest first."""
        scores: dict[int, np.ndarray] = {}
        for steps, actual, predicted in windows:  # newer windows overwrite older ones
            with np.errstate(invalid="ignore", divide="ignore"):
                relative = np.abs(actual - predicted) / np.abs(predicted)
            known = np.isfinite(relative)  # a series not started yet, or a zero forecast, says nothing
            for step in np.unique(steps[known]):
                scores[int(step)] = np.sort(relative[known & (np.abs(steps - step) <= 1)])
        if not scores:
            raise ValueError("interval calibration needs at least one out-of-sample window")
        return cls(dict(sorted(scores.items())))

    def half_width(self, step: int, confidence: float) -> float:
        nearest = min(self.scores, key=lambda s: (abs(s - step), -s))
        scores = self.scores[nearest]
        rank = min(len(scores), math.ceil((len(scores) + 1) * confidence))
        return float(scores[rank - 1])
