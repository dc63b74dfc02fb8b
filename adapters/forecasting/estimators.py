"""The five forecasters behind one small interface: fit on ratio targets, predict ratios.

Hyperparameters are fixed and seeded. Gradient-boosting models stop early on a validation
window that ends at the forecast origin, never after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from adapters.forecasting.features import FEATURES

SEED = 42


class Estimator(Protocol):
    params: Mapping[str, Any]

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def feature_importance(self) -> np.ndarray | None: ...

    def fitted_params(self) -> dict[str, Any]: ...


@dataclass
class SeasonalNaive:
    """Same week last year: the honest baseline every model must beat."""

    params: Mapping[str, Any] = field(default_factory=lambda: {"season": 52})

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:  # nothing to learn
        return None

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X[:, FEATURES.index("lag_52")]

    def feature_importance(self) -> None:
        return None

    def fitted_params(self) -> dict[str, Any]:
        return {}


@dataclass
class _Boosted:
    params: Mapping[str, Any]
    model: Any = None

    def feature_importance(self) -> np.ndarray:
        return np.asarray(self.model.feature_importances_, dtype=float)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(X), dtype=float)


class LightGbm(_Boosted):
    def __init__(self) -> None:
        super().__init__(
            params=dict(
                n_estimators=2000, learning_rate=0.03, num_leaves=31, min_child_samples=20,
                subsample=0.8, subsample_freq=1, colsample_bytree=0.8, early_stopping_rounds=100,
            )
        )

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        import lightgbm

        params = {k: v for k, v in self.params.items() if k != "early_stopping_rounds"}
        self.model = lightgbm.LGBMRegressor(**params, random_state=SEED, n_jobs=2, verbose=-1)
        self.model.fit(
            X, y, eval_X=(X_val,), eval_y=(y_val,),
            callbacks=[lightgbm.early_stopping(self.params["early_stopping_rounds"], verbose=False)],
        )

    def fitted_params(self) -> dict[str, Any]:
        return {"best_iteration": int(self.model.best_iteration_)}


class XgBoost(_Boosted):
    def __init__(self) -> None:
        super().__init__(
            params=dict(
                n_estimators=2000, learning_rate=0.03, max_depth=6, subsample=0.8,
                colsample_bytree=0.8, early_stopping_rounds=100,
            )
        )

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        import xgboost

        self.model = xgboost.XGBRegressor(**self.params, random_state=SEED, n_jobs=2)
        self.model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)

    def fitted_params(self) -> dict[str, Any]:
        return {"best_iteration": int(self.model.best_iteration)}


class CatBoost(_Boosted):
    def __init__(self) -> None:
        super().__init__(params=dict(iterations=2000, learning_rate=0.05, depth=6, od_wait=100))

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        import catboost

        self.model = catboost.CatBoostRegressor(
            **self.params, od_type="Iter", random_seed=SEED, thread_count=2,
            verbose=0, allow_writing_files=False,
        )
        self.model.fit(X, y, eval_set=(X_val, y_val), use_best_model=True)

    def fitted_params(self) -> dict[str, Any]:
        return {"best_iteration": int(self.model.get_best_iteration())}


class RandomForest(_Boosted):
    """Bagged trees have no early stopping: the validation window is simply more training data."""

    def __init__(self) -> None:
        super().__init__(
            params=dict(n_estimators=100, min_samples_leaf=5, max_features=0.5, max_samples=0.2)
        )

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> None:
        from sklearn.ensemble import RandomForestRegressor

        self.model = RandomForestRegressor(**self.params, random_state=SEED, n_jobs=2)
        self.model.fit(np.vstack([X, X_val]), np.concatenate([y, y_val]))

    def fitted_params(self) -> dict[str, Any]:
        return {}


ESTIMATORS = {
    "lightgbm": LightGbm,
    "xgboost": XgBoost,
    "catboost": CatBoost,
    "randomforest": RandomForest,
    "seasonal_naive": SeasonalNaive,
}
