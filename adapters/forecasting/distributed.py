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
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.forecasting.estimators import EARLY_STOPPING_ROUNDS, SEED, LightGbm, XgBoost
from adapters.forecasting.features import FEATURES, origin_rows, training_design
from adapters.forecasting.members import PanelData, Window

DISTRIBUTED = ("lightgbm", "xgboost")
LIGHTGBM_ROUNDS = 500  # at the sequential fit's learning rate, about where its early stopping ends on Walmart
PARTS_PER_WORKER = 2


def design_part(data: PanelData, first: int, last: int, series: int, seed: int) -> tuple[np.ndarray, ...]:
    """(X, ratio target, target period) of the design rows of series first..last-1 of `series`."""
    rows = training_design(data.sales[:, first:last], data.year_ago, data.seasonality, data.steps,
                           budget=max(1, data.budget * (last - first) // series), seed=seed)
    return rows.X, rows.ratio_target(data.sales[:, first:last]), rows.target


def _rows(part: tuple[np.ndarray, ...], low: float, high: float, which: int) -> np.ndarray:
    """X (0) or the target (1) of the part's rows whose target period lies in (low, high]."""
    keep = (part[2] > low) & (part[2] <= high)
    return part[which][keep]


@dataclass
class _Fitted:
    """A distributed fit as the artifacts read an estimator."""

    predict: Any  # X -> ratios, in this process
    importance: np.ndarray
    best_iteration: int
    library: str

    def feature_importance(self) -> np.ndarray:
        return self.importance

    def fitted_params(self) -> dict[str, Any]:
        return {"best_iteration": self.best_iteration, "fit": self.library}


class DistributedTrees:
    """The design parts of one panel on a Dask cluster, and the windows of the trees fitted on them."""

    def __init__(self, client: Any, shared: Any, series: int) -> None:
        workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        blocks = np.array_split(np.arange(series), min(series, PARTS_PER_WORKER * workers))
        self._client = client
        self._parts = [client.submit(design_part, shared, int(b[0]), int(b[-1]) + 1, series, SEED + i, pure=False)
                       for i, b in enumerate(blocks)]

    def _arrays(self, low: float, high: float) -> tuple[Any, Any]:
        import dask
        import dask.array as da

        def stacked(which: int) -> Any:
            shape = (np.nan, len(FEATURES)) if which == 0 else (np.nan,)
            return da.concatenate([da.from_delayed(dask.delayed(_rows)(p, low, high, which), shape=shape,
                                                   dtype=np.float64) for p in self._parts])

        return stacked(0), stacked(1)

    def window(self, key: str, data: PanelData, origin: int, validation: int, keep: bool) -> Window:
        started = time.perf_counter()
        train = self._arrays(-np.inf, origin - validation)
        check = self._arrays(origin - validation, origin)
        with self._client.as_current():  # both libraries look up "the" client too, beside the one they are given
            fitted = self._lightgbm(train, check) if key == "lightgbm" else self._xgboost(train, check)
        predicting = time.perf_counter()
        rows = origin_rows(data.sales, origin, data.steps, data.year_ago, data.seasonality)
        predicted = fitted.predict(rows.X) * rows.base
        done = time.perf_counter()
        return Window.of(predicted.reshape(data.steps, data.sales.shape[1]), data, origin, done - started,
                         done - predicting, fitted if keep else None)

    def _lightgbm(self, train: tuple[Any, Any], check: tuple[Any, Any]) -> _Fitted:
        import lightgbm

        params = {**LightGbm().params, "n_estimators": LIGHTGBM_ROUNDS}
        model = lightgbm.DaskLGBMRegressor(client=self._client, **params, random_state=SEED, n_jobs=1, verbose=-1)
        local = model.fit(*train).to_local()
        return _Fitted(local.predict, np.asarray(local.feature_importances_, dtype=float), LIGHTGBM_ROUNDS,
                       "lightgbm.dask")

    def _xgboost(self, train: tuple[Any, Any], check: tuple[Any, Any]) -> _Fitted:
        import xgboost.dask

        model = xgboost.dask.DaskXGBRegressor(**XgBoost().params, random_state=SEED, n_jobs=1,
                                              early_stopping_rounds=EARLY_STOPPING_ROUNDS)
        model.client = self._client
        model.fit(*train, eval_set=[check], verbose=False)
        booster, best = model.get_booster(), int(model.best_iteration)
        scores = booster.get_score(importance_type="weight")
        importance = np.array([scores.get(f"f{i}", 0.0) for i in range(len(FEATURES))])
        return _Fitted(lambda X: booster.inplace_predict(X, iteration_range=(0, best + 1)), importance, best + 1,
                       "xgboost.dask")
