"""Trains one forecaster under the evaluation protocol and packages it for serving.

For every model: one fit per backtest fold, one fit at the test origin (scored on the
test weeks, timed), one fit on all weeks (the version that gets registered). Interval
calibration only ever uses errors on weeks the calibrated model had not seen: the test
model is calibrated on fold errors before the test origin, the registered model on all
fold and test errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pandas as pd

from adapters.forecasting import plots
from adapters.forecasting.estimators import ESTIMATORS, SEED, Estimator
from adapters.forecasting.evaluation import error_metrics, interval_metrics, seasonal_naive_scale
from adapters.forecasting.features import FEATURES, Design, training_design
from adapters.forecasting.pyfunc import Calibration, PortfolioForecaster
from adapters.forecasting.table import Panel, SalesTable
from application.ports import TrainedModel
from domain.errors import TrainingError
from domain.forecasts import MAX_HORIZON
from domain.metrics import ERROR_METRICS
from domain.runs import STORE_ERRORS_TAG
from domain.training import MODEL_TYPES, EvaluationProtocol

CALIBRATION_CONFIDENCE = 0.9
# Columns: window (fold<k> or test), store_id, then one column per metric.
STORE_ERRORS_ARTIFACT = "per_store_errors.csv"
PLOTTED_STORES = 4
_LIBRARIES = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "randomforest": "scikit-learn"}


@dataclass(frozen=True, slots=True)
class _Window:
    """One forecast from one origin: predictions for every step the data can score."""

    origin: int
    steps: np.ndarray  # step of each row
    actual: np.ndarray
    predicted: np.ndarray
    target: np.ndarray
    store: np.ndarray

    def grid(self, values: np.ndarray, horizon: int, n_stores: int) -> np.ndarray:
        """The first `horizon` steps as a steps x stores array (rows are step-major)."""
        return values[self.steps <= horizon].reshape(horizon, n_stores)

    def calibration(self, last_seen: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = self.target <= last_seen
        return self.steps[keep], self.actual[keep], self.predicted[keep]


class ForecastingModelTrainer:
    """ModelTrainer for the five portfolio models on a weekly Walmart-shaped table."""

    def __init__(self) -> None:
        self._designs: dict[str, tuple[Panel, Design, np.ndarray]] = {}

    def _prepare(self, table: SalesTable) -> tuple[Panel, Design, np.ndarray]:
        # Every model of one training call shares the design matrix.
        if table.info.sha256 not in self._designs:
            panel = Panel.from_frame(table.frame)
            design = training_design(panel.sales, panel.weeks, MAX_HORIZON)
            self._designs = {table.info.sha256: (panel, design, design.ratio_target(panel.sales))}
        return self._designs[table.info.sha256]

    def train(
        self, model_key: str, table: SalesTable, protocol: EvaluationProtocol, progress: Callable[[str], None]
    ) -> TrainedModel:
        if model_key not in ESTIMATORS:
            raise TrainingError(f"unknown model {model_key!r}; known: {', '.join(ESTIMATORS)}")
        protocol.check_length(table.info.weeks)
        panel, design, ratio = self._prepare(table)
        n_weeks, n_stores = panel.sales.shape
        test_origin = protocol.test_origin(n_weeks)
        horizon = protocol.horizon

        def fit(cutoff: int) -> tuple[Estimator, float]:
            validation_start = cutoff - horizon
            train = design.target <= validation_start
            validation = (design.target > validation_start) & (design.target <= cutoff)
            if model_key != "seasonal_naive" and not train.any():
                raise TrainingError(f"no training rows before week {validation_start} for {model_key}")
            estimator = ESTIMATORS[model_key]()
            started = time.perf_counter()
            try:
                estimator.fit(design.X[train], ratio[train], design.X[validation], ratio[validation])
            except Exception as exc:  # a library's own failure: report it as this model's
                raise TrainingError(f"{model_key} failed to fit: {exc}") from exc
            return estimator, time.perf_counter() - started

        def window(estimator: Estimator, origin: int, steps: int) -> tuple[_Window, float]:
            rows = design.where((design.origin == origin) & (design.target <= origin + steps))
            started = time.perf_counter()
            predicted = estimator.predict(rows.X) * rows.level
            elapsed = time.perf_counter() - started
            actual = panel.sales[rows.target, rows.store]
            return _Window(origin, rows.target - origin, actual, predicted, rows.target, rows.store), elapsed

        metrics: dict[str, float] = {}
        per_store: list[pd.DataFrame] = []
        folds: list[_Window] = []
        fold_origins = protocol.fold_origins(n_weeks)
        for number, origin in enumerate(fold_origins, start=1):
            progress(f"backtest fold {number}/{len(fold_origins)} (origin {panel.weeks[origin]})")
            estimator, _ = fit(origin)
            folds.append(window(estimator, origin, MAX_HORIZON)[0])
            scores = self._score(panel, folds[-1], horizon, f"fold{number}", per_store)
            metrics.update({f"fold{number}_{k}": v for k, v in scores.items()})
        for name in ERROR_METRICS:
            values = [metrics[f"fold{n}_{name}"] for n in range(1, len(folds) + 1)]
            if values:
                metrics[f"backtest_{name}"] = float(np.mean(values))

        progress(f"test window (origin {panel.weeks[test_origin]}, {horizon} weeks)")
        test_model, training_time = fit(test_origin)
        test, predict_time = window(test_model, test_origin, horizon)
        test_calibration = self._calibration(folds, test_origin)
        half = np.array([test_calibration.half_width(int(s), CALIBRATION_CONFIDENCE) for s in test.steps])
        lower, upper = np.maximum(test.predicted * (1 - half), 0), test.predicted * (1 + half)
        scores = self._score(panel, test, horizon, "test", per_store, lower, upper)
        metrics.update({f"test_{k}": v for k, v in scores.items()})
        metrics.update(training_time=training_time, predict_time=predict_time)

        progress("final fit on all weeks")
        final_model, _ = fit(n_weeks - 1)
        requirements = self._requirements(model_key)
        servable = PortfolioForecaster(
            model_key=model_key,
            estimator=final_model,
            history=panel,
            calibration=self._calibration(folds + [test], n_weeks - 1),
            requirements=requirements,
        )
        artifacts = {
            STORE_ERRORS_ARTIFACT: pd.concat(per_store, ignore_index=True).to_csv(index=False).encode(),
            "forecast_vs_actual.png": self._forecast_plot(model_key, panel, test, lower, upper, horizon),
        }
        importance = test_model.feature_importance()
        if importance is not None:
            table_ = pd.DataFrame({"feature": FEATURES, "importance": importance}).sort_values("importance", ascending=False)
            artifacts["feature_importance.csv"] = table_.to_csv(index=False).encode()
            artifacts["feature_importance.png"] = plots.feature_importance(
                FEATURES, importance, f"{MODEL_TYPES[model_key]} feature importance (test-origin fit)"
            )
        params = {
            **{k: str(v) for k, v in test_model.params.items()},
            **{f"test_fit_{k}": str(v) for k, v in test_model.fitted_params().items()},
            "model": model_key,
            "horizon": str(horizon),
            "folds": str(protocol.folds),
            "fold_stride": str(protocol.fold_stride),
            "fold_origins": ",".join(str(panel.weeks[o]) for o in fold_origins),
            "test_origin": str(panel.weeks[test_origin]),
            "strategy": "direct multi-step, features from history up to the origin",
            "features": ",".join(FEATURES),
            "seed": str(SEED),
        }
        return TrainedModel(model_key=model_key, params=params, metrics=metrics, artifacts=artifacts, servable=servable,
                            tags={STORE_ERRORS_TAG: STORE_ERRORS_ARTIFACT})

    @staticmethod
    def _score(panel, window, horizon, label, per_store, lower=None, upper=None) -> dict[str, float]:
        n_stores = panel.sales.shape[1]
        actual, predicted = window.grid(window.actual, horizon, n_stores), window.grid(window.predicted, horizon, n_stores)
        scale = seasonal_naive_scale(panel.sales, window.origin)
        pooled = {k: float(v) for k, v in error_metrics(actual, predicted, scale).items()}
        stores = {"window": label, "store_id": panel.stores, **error_metrics(actual, predicted, scale, axis=0)}
        if lower is not None:
            low, up = window.grid(lower, horizon, n_stores), window.grid(upper, horizon, n_stores)
            pooled.update({k: float(v) for k, v in interval_metrics(actual, low, up).items()})
            stores.update(interval_metrics(actual, low, up, axis=0))
        per_store.append(pd.DataFrame(stores))
        return pooled

    @staticmethod
    def _calibration(windows: list[_Window], last_seen: int) -> Calibration:
        return Calibration.from_windows([w.calibration(last_seen) for w in windows])

    @staticmethod
    def _forecast_plot(model_key, panel, test, lower, upper, horizon) -> bytes:
        n_stores = panel.sales.shape[1]
        shown = slice(0, min(PLOTTED_STORES, n_stores))
        grid = lambda values: test.grid(values, horizon, n_stores)[:, shown]  # noqa: E731
        return plots.forecast_vs_actual(
            panel.weeks.astype("datetime64[ns]"),
            panel.sales[: test.origin + 1, shown],
            grid(test.actual),
            grid(test.predicted),
            grid(lower),
            grid(upper),
            panel.stores[shown],
            f"{MODEL_TYPES[model_key]}: test forecast from {panel.weeks[test.origin]} with 90% interval",
        )

    @staticmethod
    def _requirements(model_key: str) -> list[str]:
        packages = ["mlflow", "pandas", "numpy", "cloudpickle"] + ([_LIBRARIES[model_key]] if model_key in _LIBRARIES else [])
        return [f"{name}=={version(name)}" for name in packages]
