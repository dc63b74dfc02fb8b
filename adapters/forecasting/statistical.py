"""Members that forecast each series from its own history: the seasonal-naive baseline and the
statistical models of statsforecast (a well-kept library; nothing here re-implements them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SeasonalNaive:
    """The same period one season ago: the honest baseline every model must beat."""

    season: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def forecast(self, history: np.ndarray, steps: int) -> np.ndarray:
        """steps x series: period n-1+h-season of the history, NaN where the history is too short."""
        n = len(history)
        return np.stack([history[n - 1 + h - self.season] if n - 1 + h - self.season >= 0
                         else np.full(history.shape[1], np.nan) for h in range(1, steps + 1)])


@dataclass(frozen=True)
class StatsForecastMember:
    """A statsforecast model fitted to every series' history up to the origin, then forecast."""

    make: Callable[[int], Any]  # season length -> the statsforecast model
    season: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def forecast(self, history: np.ndarray, steps: int) -> np.ndarray:
        import pandas as pd
        from statsforecast import StatsForecast

        n, k = history.shape
        frame = pd.DataFrame({"unique_id": np.repeat(np.arange(k), n), "ds": np.tile(np.arange(n), k),
                              "y": history.T.ravel()})
        # One process: statsforecast's pool costs more than it saves on a few dozen short series.
        found = StatsForecast(models=[self.make(self.season)], freq=1, n_jobs=1).forecast(df=frame, h=steps)
        column = next(c for c in found.columns if c not in ("unique_id", "ds"))
        return found[column].to_numpy().reshape(k, steps).T


def mstl(season: int) -> Any:
    from statsforecast.models import MSTL

    return MSTL(season_length=season)


def auto_theta(season: int) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=season)
