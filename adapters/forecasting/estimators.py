"""The machine-learning members behind one small interface: fit on ratio targets, predict ratios.

Hyperparameters are fixed and seeded. Gradient boosting stops early on the validation window
(the periods just before the origin, never after it) and keeps the early-stopped model. The
losses sit close to the MAPE the portfolio is judged on: Huber with a small slope on a ratio
around 1 is nearly |actual - prediction| / base, and it shrugs off a single store-week spike.
`threads` is how many threads a fit (and a prediction) may use.

A fitted estimator that a registered version keeps is saved in its library's own format where
the library has one (`native`: LightGBM text, XGBoost UBJSON, CatBoost .cbm) and loaded back
from it; the random forest, which has none, travels in the version's pickle.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

SEED = 42
EARLY_STOPPING_ROUNDS = 100
FIXED_ROUNDS = 200  # when there is no validation window to stop on
# A prediction of many rows (a served request for dozens of series) shares them out among the CPUs
# this process may use, one thread per this many rows; a few rows stay on the fit's threads (waking
# more costs more than they save: 12 rows took 0.64 ms on one LightGBM thread, 0.76 ms on two).
ROWS_PER_THREAD = 64


def _prediction_threads(rows: int, threads: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(threads, min(cpus, rows // ROWS_PER_THREAD))


class Estimator(Protocol):
    native: str | None  # the file suffix of the library's own model format, if it has one
    threads: int

    @property
    def params(self) -> Mapping[str, Any]: ...

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def feature_importance(self) -> np.ndarray | None: ...

    def fitted_params(self) -> dict[str, Any]: ...

    def use_threads(self, threads: int) -> None: ...


class NativeEstimator(Estimator, Protocol):
    """An estimator whose library has a model format of its own (`native` is its file suffix)."""

    def save(self, path: str) -> None: ...

    def load(self, path: str) -> None: ...


@dataclass
class AlignedNaive:
    """The base itself, no learning: last year's value aligned on the holiday calendar, times the
    recent year-over-year growth."""

    threads: int = 1
    params: Mapping[str, Any] = field(default_factory=lambda: {"correction": 1.0})
    native: str | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        return None

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.ones(len(X))

    def feature_importance(self) -> None:
        return None

    def fitted_params(self) -> dict[str, Any]:
        return {}

    def use_threads(self, threads: int) -> None:
        self.threads = threads


@dataclass
class _Trees(ABC):
    threads: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    best_iteration: int | None = None
    native: str | None = None
    fit_by: str | None = None  # the library's distributed training, when that fitted it (distributed.py)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        if len(X) and len(X_val):
            self._fit_early(X, y, X_val, y_val)
        else:  # nothing to stop on (a short series' first fold): fixed rounds on all there is
            self.best_iteration = FIXED_ROUNDS
            self._fit_fixed(np.vstack([X, X_val]), np.concatenate([y, y_val]))

    def _fit_early(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        self._fit_fixed(np.vstack([X, X_val]), np.concatenate([y, y_val]))

    @abstractmethod
    def _fit_fixed(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fit `best_iteration` rounds (all of them for bagged trees) on X, y."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(X), dtype=float)

    def feature_importance(self) -> np.ndarray:
        return np.asarray(self.model.feature_importances_, dtype=float)

    def fitted_params(self) -> dict[str, Any]:
        found: dict[str, Any] = {} if self.best_iteration is None else {"best_iteration": self.best_iteration}
        return {**found, **({"fit": self.fit_by} if self.fit_by else {})}

    def use_threads(self, threads: int) -> None:
        """Threads its predictions may use from now on (a registered version predicts with one)."""
        self.threads = threads

    def save(self, path: str) -> None:
        """The fitted model in the library's own format (where `native` is set; `load` reads it back)."""
        self.model.save_model(path)



class LightGbm(_Trees):
    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads, dict(
            n_estimators=2000, learning_rate=0.03, num_leaves=15, min_child_samples=50, subsample=0.8,
            subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, objective="huber", alpha=0.05), native=".txt")

    def predict(self, X: np.ndarray) -> np.ndarray:
        # The fitted regressor predicts with its best iteration; a Booster loaded from text holds only those trees.
        return np.asarray(self.model.predict(X, num_threads=_prediction_threads(len(X), self.threads)), dtype=float)

    def save(self, path: str) -> None:
        self.model.booster_.save_model(path)  # up to the best iteration, when early stopping found one

    def load(self, path: str) -> None:
        import lightgbm

        self.model = lightgbm.Booster(model_file=path)

    def _model(self, rounds: int | None = None) -> Any:
        import lightgbm

        params = {**self.params, **({"n_estimators": rounds} if rounds else {})}
        return lightgbm.LGBMRegressor(**params, random_state=SEED, n_jobs=self.threads, verbose=-1)

    def _fit_early(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        import lightgbm

        self.model = self._model().fit(X, y, eval_X=(X_val,), eval_y=(y_val,),
                                       callbacks=[lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)])
        self.best_iteration = int(self.model.best_iteration_ or self.model.n_estimators)

    def _fit_fixed(self, X: np.ndarray, y: np.ndarray) -> None:
        self.model = self._model(self.best_iteration).fit(X, y)


class XgBoost(_Trees):
    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads, dict(
            n_estimators=2000, learning_rate=0.03, max_depth=4, min_child_weight=20, subsample=0.8,
            colsample_bytree=0.8, reg_lambda=1.0, tree_method="hist", objective="reg:pseudohubererror",
            huber_slope=0.05, base_score=1.0), native=".ubj")  # ratios start at 1; else pseudo-Huber diverges

    def use_threads(self, threads: int) -> None:
        self.threads = threads
        self.model.set_params(n_jobs=threads)

    def load(self, path: str) -> None:
        import xgboost

        self.model = xgboost.XGBRegressor(n_jobs=self.threads)
        self.model.load_model(path)  # the best iteration of early stopping is kept in the file

    def _model(self, **extra: Any) -> Any:
        import xgboost

        return xgboost.XGBRegressor(**{**self.params, **extra}, random_state=SEED, n_jobs=self.threads)

    def _fit_early(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        self.model = self._model(early_stopping_rounds=EARLY_STOPPING_ROUNDS)
        self.model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
        self.best_iteration = int(self.model.best_iteration) + 1

    def _fit_fixed(self, X: np.ndarray, y: np.ndarray) -> None:
        self.model = self._model(n_estimators=self.best_iteration).fit(X, y)


class CatBoost(_Trees):
    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads, dict(iterations=2000, learning_rate=0.05, depth=6, l2_leaf_reg=3.0), native=".cbm")

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(X, thread_count=_prediction_threads(len(X), self.threads)), dtype=float)

    def load(self, path: str) -> None:
        import catboost

        self.model = catboost.CatBoostRegressor()
        self.model.load_model(path)

    def _model(self, **extra: Any) -> Any:
        import catboost

        return catboost.CatBoostRegressor(**{**self.params, **extra}, random_seed=SEED, thread_count=self.threads,
                                          verbose=0, allow_writing_files=False)

    def _fit_early(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        import catboost

        self.model = self._model(od_type="Iter", od_wait=EARLY_STOPPING_ROUNDS)
        self.model.fit(X, y, eval_set=catboost.Pool(X_val, y_val), use_best_model=True)
        self.best_iteration = int(self.model.get_best_iteration()) + 1

    def _fit_fixed(self, X: np.ndarray, y: np.ndarray) -> None:
        self.model = self._model(iterations=self.best_iteration).fit(X, y)


class RandomForest(_Trees):
    """Bagged trees have no early stopping: the validation window is simply more training data."""

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads, dict(n_estimators=100, min_samples_leaf=20, max_features=0.5, max_samples=0.2))

    def _fit_fixed(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.ensemble import RandomForestRegressor

        self.model = RandomForestRegressor(**self.params, random_state=SEED, n_jobs=self.threads).fit(X, y)

    def use_threads(self, threads: int) -> None:
        self.threads = self.model.n_jobs = threads


ESTIMATORS: dict[str, Callable[[int], Estimator]] = {
    "lightgbm": LightGbm,
    "xgboost": XgBoost,
    "catboost": CatBoost,
    "randomforest": RandomForest,
    "aligned_naive": AlignedNaive,
}
