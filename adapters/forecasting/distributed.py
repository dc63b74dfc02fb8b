"""`--distributed-fit`: the trees that have a distributed training of their library's own
(lightgbm.dask, xgboost.dask) fit on a design that is never in one place.

The design is built in parts on the workers, each part the rows of a block of series, sampled at
the rate the whole design would be (each part with a seed of its own), and is never gathered: a
fit reads the parts where they are. The booster comes back to the driver, which predicts the
origin's rows (one per series and step, made from the panel it holds) and makes the window.
lightgbm.dask has no early stopping that holds across workers (each sees only its part of the
validation window), so it trains a fixed LIGHTGBM_ROUNDS; xgboost.dask stops early on the
validation window, as the fit in one process does. CatBoost, the random forest and the
statistical members have no such training: they run as tasks, each fit on one worker.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from adapters.forecasting.estimators import EARLY_STOPPING_ROUNDS, SEED, LightGbm, XgBoost
from adapters.forecasting.features import training_design
from adapters.forecasting.fitted import FittedDesign
from adapters.forecasting.members import PanelData, Window

DISTRIBUTED = ("lightgbm", "xgboost")
LIGHTGBM_ROUNDS = 500  # at the sequential fit's learning rate, about where its early stopping ends on Walmart
PARTS_PER_WORKER = 2


def design_part(data: PanelData, first: int, last: int, series: int, seed: int) -> tuple[np.ndarray, ...]:
    """(X, ratio target, target period) of the design rows of series first..last-1 of `series`."""
    rows = training_design(data.sales[:, first:last], data.year_ago, data.seasonality, data.steps,
                           budget=max(1, data.budget * (last - first) // series), seed=seed,
                           covariates=data.covariates.series(first, last) if data.layout else None)
    return rows.X, rows.ratio_target(data.sales[:, first:last]), rows.target


def _rows(part: tuple[np.ndarray, ...], low: float, high: float, which: int) -> np.ndarray:
    """X (0) or the target (1) of the part's rows whose target period lies in (low, high]."""
    keep = (part[2] > low) & (part[2] <= high)
    return part[which][keep]


class DistributedTrees:
    """The design parts of one panel on a Dask cluster, and the windows of the trees fitted on them."""

    def __init__(self, client: Any, shared: Any, series: int, features: int) -> None:
        workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        blocks = np.array_split(np.arange(series), min(series, PARTS_PER_WORKER * workers))
        self._client, self._features = client, features
        self._parts = [client.submit(design_part, shared, int(b[0]), int(b[-1]) + 1, series, SEED + i, pure=False)
                       for i, b in enumerate(blocks)]

    def _arrays(self, low: float, high: float) -> tuple[Any, Any]:
        import dask
        import dask.array as da

        def stacked(which: int) -> Any:
            shape = (np.nan, self._features) if which == 0 else (np.nan,)
            return da.concatenate([da.from_delayed(dask.delayed(_rows)(p, low, high, which), shape=shape,
                                                   dtype=np.float64) for p in self._parts])

        return stacked(0), stacked(1)

    def window(self, key: str, data: PanelData, origin: int, validation: int, keep: bool) -> Window:
        started = time.perf_counter()
        train = self._arrays(-np.inf, origin - validation)
        check = self._arrays(origin - validation, origin)
        with self._client.as_current():  # both libraries look up "the" client too, beside the one they are given
            fitted = self._lightgbm(train, check) if key == "lightgbm" else self._xgboost(train, check)
        return Window.of(FittedDesign(key, fitted, data.seasonality, data.layout), data, origin, started, keep)

    def _lightgbm(self, train: tuple[Any, Any], check: tuple[Any, Any]) -> LightGbm:
        import lightgbm

        fitted = LightGbm()
        params = {**fitted.params, "n_estimators": LIGHTGBM_ROUNDS}
        model = lightgbm.DaskLGBMRegressor(client=self._client, **params, random_state=SEED, n_jobs=1, verbose=-1)
        fitted.model = model.fit(*train).to_local()
        fitted.best_iteration, fitted.fit_by = LIGHTGBM_ROUNDS, "lightgbm.dask"
        return fitted

    def _xgboost(self, train: tuple[Any, Any], check: tuple[Any, Any]) -> XgBoost:
        import xgboost.dask

        fitted = XgBoost()
        model = xgboost.dask.DaskXGBRegressor(**fitted.params, random_state=SEED, n_jobs=1,
                                              early_stopping_rounds=EARLY_STOPPING_ROUNDS)
        model.client = self._client
        model.fit(*train, eval_set=[check], verbose=False)
        local = xgboost.XGBRegressor(n_jobs=1)
        local.load_model(bytearray(model.get_booster().save_raw("ubj")))  # the best iteration comes along
        fitted.model, fitted.best_iteration, fitted.fit_by = local, int(model.best_iteration) + 1, "xgboost.dask"
        return fitted
