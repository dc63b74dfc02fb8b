"""Interval widths of a member's forecasts, calibrated on its out-of-sample windows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Split-conformal interval widths per step, from out-of-sample relative errors.

    The score of a forecast is |actual - prediction| / prediction. The scores for step h come
    from every out-of-sample window that reached step h (a single recent window is a sample of one
    season, one holiday or one level: on a year of daily data it left the interval covering about
    half of what followed), pooled over steps h-1..h+1 for a steadier quantile. For confidence c
    the half-width is the ceil((n+1)c)-th smallest of those n scores; a step no window reached
    borrows the nearest step's scores.
    """

    scores: dict[int, np.ndarray]  # step -> sorted scores
    windows: dict[int, int]  # step -> how many windows reached it

    @classmethod
    def from_windows(cls, windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Calibration:
        """windows: (steps, actual, predicted) per forecast origin."""
        found: dict[int, list[np.ndarray]] = {}
        reached: dict[int, int] = {}
        for steps, actual, predicted in windows:
            with np.errstate(invalid="ignore", divide="ignore"):
                relative = np.abs(actual - predicted) / np.abs(predicted)
            known = np.isfinite(relative)  # a series not started yet, or a zero forecast, says nothing
            for step in np.unique(steps[known]):
                found.setdefault(int(step), []).append(relative[known & (steps == step)])
                reached[int(step)] = reached.get(int(step), 0) + 1
        if not found:
            raise ValueError("interval calibration needs at least one out-of-sample window")
        scores = {step: np.sort(np.concatenate([part for near in (step - 1, step, step + 1)
                                                for part in found.get(near, [])]))
                  for step in sorted(found)}
        return cls(scores, dict(sorted(reached.items())))

    def half_width(self, step: int, confidence: float) -> float:
        nearest = min(self.scores, key=lambda s: (abs(s - step), -s))
        scores = self.scores[nearest]
        rank = min(len(scores), math.ceil((len(scores) + 1) * confidence))
        return float(scores[rank - 1])

    def describe(self) -> str:
        """How many windows calibrated each step, as runs record it: '1-4:5,5-12:4' (steps:windows)."""
        runs: list[tuple[int, int, int]] = []
        for step, count in self.windows.items():
            if runs and runs[-1][2] == count and runs[-1][1] == step - 1:
                runs[-1] = (runs[-1][0], step, count)
            else:
                runs.append((step, step, count))
        return ",".join(f"{first}-{last}:{count}" if first != last else f"{first}:{count}"
                        for first, last, count in runs)
