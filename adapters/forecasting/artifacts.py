"""The files logged with each training run: per-store errors, the test forecast chart, feature importance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adapters.forecasting import plots
from adapters.forecasting.estimators import Estimator
from adapters.forecasting.features import FEATURES
from adapters.forecasting.table import Panel
from adapters.forecasting.windows import Window
from domain.training import MODEL_TYPES

# Columns: window (fold<k> or test), store_id, then one column per metric.
STORE_ERRORS_ARTIFACT = "per_store_errors.csv"
PLOTTED_STORES = 4


def store_errors_csv(per_store: list[pd.DataFrame]) -> bytes:
    return pd.concat(per_store, ignore_index=True).to_csv(index=False).encode()


def forecast_chart(model_key: str, panel: Panel, test: Window, bounds: tuple[np.ndarray, np.ndarray], horizon: int,
                   confidence: float) -> bytes:
    """The last year, the test actuals and the forecast band of the first few stores."""
    n_stores = panel.sales.shape[1]
    shown = slice(0, min(PLOTTED_STORES, n_stores))

    def grid(values: np.ndarray) -> np.ndarray:
        return test.grid(values, horizon, n_stores)[:, shown]

    return plots.forecast_vs_actual(
        panel.weeks.astype("datetime64[ns]"),
        panel.sales[: test.origin + 1, shown],
        grid(test.actual),
        grid(test.predicted),
        grid(bounds[0]),
        grid(bounds[1]),
        panel.stores[shown],
        f"{MODEL_TYPES[model_key]}: test forecast from {panel.weeks[test.origin]} "
        f"with {round(100 * confidence)}% interval",
    )


def importance_files(model_key: str, estimator: Estimator) -> dict[str, bytes]:
    """feature_importance.csv and .png of a model that has importances; nothing for one that has none."""
    importance = estimator.feature_importance()
    if importance is None:
        return {}
    table = pd.DataFrame({"feature": FEATURES, "importance": importance}).sort_values("importance", ascending=False)
    return {
        "feature_importance.csv": table.to_csv(index=False).encode(),
        "feature_importance.png": plots.feature_importance(
            FEATURES, importance, f"{MODEL_TYPES[model_key]} feature importance (test-origin fit)"),
    }
