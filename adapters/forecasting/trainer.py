"""Trains one forecaster under the evaluation protocol and packages it for serving.

Steps, each its own method: the backtest (one fit per fold), the test window (one fit at the
test origin, scored on the test weeks and timed), the final fit on all weeks (the version that
gets registered), and the run's artifacts. Interval calibration only ever uses errors on weeks
the calibrated model had not seen: the test model is calibrated on fold errors before the test
origin, the registered model on all fold and test errors. Whatever a library raises in any
step becomes this model's TrainingError, so the other models of a training call go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np
import pandas as pd

from adapters.forecasting import artifacts
from adapters.forecasting.estimators import ESTIMATORS, SEED, Estimator
from adapters.forecasting.features import FEATURES, Design, training_design
from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.forecasting.table import Panel, SalesTable
from adapters.forecasting.windows import Window, calibrate, forecast_window, score
from application.ports import TrainedModel
from domain.errors import TrainingError
from domain.forecasts import DEFAULT_CONFIDENCE, MAX_HORIZON
from domain.metrics import ERROR_METRICS
from domain.runs import STORE_ERRORS_TAG
from domain.training import EvaluationProtocol

CALIBRATION_CONFIDENCE = DEFAULT_CONFIDENCE  # the interval whose coverage each run reports
_LIBRARIES = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "randomforest": "scikit-learn"}
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class _Data:
    """A table in the shapes training needs; shared by every model of one training call."""

    panel: Panel
    design: Design
    ratio: np.ndarray  # the design's target: sales / level


@dataclass(slots=True)
class _Evidence:
    """What the steps have found so far."""

    metrics: dict[str, float] = field(default_factory=dict)
    per_store: list[pd.DataFrame] = field(default_factory=list)
    folds: list[Window] = field(default_factory=list)


@contextmanager
def _step(model_key: str, doing: str) -> Iterator[None]:
    """A library's failure while `doing` becomes this model's TrainingError, naming the step."""
    try:
        yield
    except TrainingError:
        raise
    except Exception as exc:
        raise TrainingError(f"{model_key} failed during {doing}: {type(exc).__name__}: {exc}") from exc


def _requirements(model_key: str) -> list[str]:
    packages = ["mlflow", "pandas", "numpy", "cloudpickle"] + (
        [_LIBRARIES[model_key]] if model_key in _LIBRARIES else []
    )
    return [f"{name}=={version(name)}" for name in packages]


class ForecastingModelTrainer:
    """ModelTrainer for the five portfolio models on a weekly Walmart-shaped table."""

    def __init__(self) -> None:
        self._data: dict[str, _Data] = {}

    def _prepare(self, table: SalesTable) -> _Data:
        if table.info.sha256 not in self._data:  # one design matrix per table, not per model
            panel = Panel.from_frame(table.frame)
            design = training_design(panel.sales, panel.weeks, MAX_HORIZON)
            self._data = {table.info.sha256: _Data(panel, design, design.ratio_target(panel.sales))}
        return self._data[table.info.sha256]

    def train(
        self, model_key: str, table: SalesTable, protocol: EvaluationProtocol, progress: Progress
    ) -> TrainedModel:
        if model_key not in ESTIMATORS:
            raise TrainingError(f"unknown model {model_key!r}; known: {', '.join(ESTIMATORS)}")
        protocol.check_length(table.info.weeks)
        data = self._prepare(table)
        evidence = _Evidence()
        self._backtest(model_key, data, protocol, evidence, progress)
        test_model, test, bounds = self._test(model_key, data, protocol, evidence, progress)
        servable = self._final(model_key, data, protocol, evidence.folds + [test], progress)
        with _step(model_key, "writing artifacts"):
            files = {
                artifacts.STORE_ERRORS_ARTIFACT: artifacts.store_errors_csv(evidence.per_store),
                "forecast_vs_actual.png": artifacts.forecast_chart(
                    model_key, data.panel, test, bounds, protocol.horizon, CALIBRATION_CONFIDENCE
                ),
                **artifacts.importance_files(model_key, test_model),
            }
        return TrainedModel(model_key=model_key, params=self._params(model_key, test_model, data.panel, protocol),
                            metrics=evidence.metrics, artifacts=files, servable=servable,
                            tags={STORE_ERRORS_TAG: artifacts.STORE_ERRORS_ARTIFACT})

    def _fit(self, model_key: str, data: _Data, cutoff: int, horizon: int) -> tuple[Estimator, float]:
        """A model that sees targets up to `cutoff`: trained up to `cutoff - horizon`, validated after."""
        design, start = data.design, cutoff - horizon
        train = design.target <= start
        validation = (design.target > start) & (design.target <= cutoff)
        if model_key != "seasonal_naive" and not train.any():
            raise TrainingError(f"no training rows before week {start} for {model_key}")
        estimator = ESTIMATORS[model_key]()
        started = time.perf_counter()
        with _step(model_key, f"the fit up to week {cutoff}"):
            estimator.fit(design.X[train], data.ratio[train], design.X[validation], data.ratio[validation])
        return estimator, time.perf_counter() - started

    def _backtest(self, model_key: str, data: _Data, protocol: EvaluationProtocol, evidence: _Evidence,
                  progress: Progress) -> None:
        origins = protocol.fold_origins(len(data.panel.weeks))
        for number, origin in enumerate(origins, start=1):
            progress(f"backtest fold {number}/{len(origins)} (origin {data.panel.weeks[origin]})")
            estimator, _ = self._fit(model_key, data, origin, protocol.horizon)
            with _step(model_key, f"backtest fold {number}"):
                window = forecast_window(estimator, data.design, data.panel, origin, MAX_HORIZON)
                scores = score(data.panel, window, protocol.horizon, f"fold{number}")
            evidence.folds.append(window)
            evidence.per_store.append(scores.per_store)
            evidence.metrics.update({f"fold{number}_{k}": v for k, v in scores.pooled.items()})
        for name in ERROR_METRICS:
            evidence.metrics[f"backtest_{name}"] = float(np.mean([evidence.metrics[f"fold{n}_{name}"]
                                                                  for n in range(1, len(origins) + 1)]))

    def _test(self, model_key: str, data: _Data, protocol: EvaluationProtocol, evidence: _Evidence,
              progress: Progress) -> tuple[Estimator, Window, tuple[np.ndarray, np.ndarray]]:
        origin = protocol.test_origin(len(data.panel.weeks))
        progress(f"test window (origin {data.panel.weeks[origin]}, {protocol.horizon} weeks)")
        estimator, training_time = self._fit(model_key, data, origin, protocol.horizon)
        with _step(model_key, "the test window"):
            started = time.perf_counter()
            test = forecast_window(estimator, data.design, data.panel, origin, protocol.horizon)
            predict_time = time.perf_counter() - started
            calibration = calibrate(evidence.folds, origin)
            half = np.array([calibration.half_width(int(s), CALIBRATION_CONFIDENCE) for s in test.steps])
            bounds = np.maximum(test.predicted * (1 - half), 0), test.predicted * (1 + half)
            scores = score(data.panel, test, protocol.horizon, "test", bounds)
        evidence.per_store.append(scores.per_store)
        evidence.metrics.update({f"test_{k}": v for k, v in scores.pooled.items()})
        evidence.metrics.update(training_time=training_time, predict_time=predict_time)
        return estimator, test, bounds

    def _final(self, model_key: str, data: _Data, protocol: EvaluationProtocol, windows: list[Window],
               progress: Progress) -> PortfolioForecaster:
        progress("final fit on all weeks")
        last = len(data.panel.weeks) - 1
        estimator, _ = self._fit(model_key, data, last, protocol.horizon)
        with _step(model_key, "packaging the model"):
            return PortfolioForecaster(model_key=model_key, estimator=estimator, history=data.panel,
                                       calibration=calibrate(windows, last), requirements=_requirements(model_key))

    @staticmethod
    def _params(model_key: str, estimator: Estimator, panel: Panel, protocol: EvaluationProtocol) -> dict[str, str]:
        test_origin = protocol.test_origin(len(panel.weeks))
        return {
            **{k: str(v) for k, v in estimator.params.items()},
            **{f"test_fit_{k}": str(v) for k, v in estimator.fitted_params().items()},
            "model": model_key,
            "horizon": str(protocol.horizon),
            "folds": str(protocol.folds),
            "fold_stride": str(protocol.fold_stride),
            "fold_origins": ",".join(str(panel.weeks[o]) for o in protocol.fold_origins(len(panel.weeks))),
            "test_origin": str(panel.weeks[test_origin]),
            "strategy": "direct multi-step, features from history up to the origin",
            "features": ",".join(FEATURES),
            "seed": str(SEED),
        }
