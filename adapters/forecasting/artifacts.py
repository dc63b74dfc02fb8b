"""What a training run records beside its metrics: per-series errors, the test forecast chart,
feature importances, the parameters, and the requirements of the registered version."""

from __future__ import annotations

from datetime import date
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from adapters.forecasting import plots
from adapters.forecasting.ensemble import COMBINED
from adapters.forecasting.estimators import SEED
from adapters.forecasting.evidence import CALIBRATION_CONFIDENCE, Evidence, Origins
from adapters.forecasting.features import FEATURES
from adapters.forecasting.fitted import FittedDesign
from adapters.forecasting.members import MEMBERS, DesignMember, Ensemble, Forecasts, SeriesMember
from adapters.forecasting.table import Panel
from domain.training import MODEL_TYPES, EvaluationProtocol

# Columns: window (fold<k> or test), series_id, then one column per metric.
SERIES_ERRORS_ARTIFACT = "per_series_errors.csv"
PLOTTED_SERIES = 4


# The libraries a member's registered version forecasts with, beside mlflow, pandas, numpy and cloudpickle.
LIBRARIES = {"lightgbm": ("lightgbm",), "xgboost": ("xgboost",), "catboost": ("catboost",),
             "randomforest": ("scikit-learn",), "mstl": ("statsforecast",), "theta": ("statsforecast",),
             "autoets": ("statsforecast",), "autoarima": ("statsforecast",), "autotheta": ("statsforecast",)}


def requirements(model_key: str) -> list[str]:
    """What a registered version needs to load and forecast: the project's code travels inside it,
    its estimators need their libraries (an ensemble, its components')."""
    member = MEMBERS[model_key]
    parts = member.candidates if isinstance(member, Ensemble) else (model_key,)
    libraries = (name for part in parts for name in LIBRARIES.get(part, ()))
    names = dict.fromkeys(("mlflow", "pandas", "numpy", "cloudpickle", *libraries))
    return [f"{name}=={version(name)}" for name in names]


def _chart(model_key: str, panel: Panel, found: Forecasts, origins: Origins, horizon: int,
           interval: tuple[np.ndarray, np.ndarray]) -> bytes:
    """The last season, the test actuals and the forecast band of the first few series."""
    shown, test = slice(0, min(PLOTTED_SERIES, panel.sales.shape[1])), origins.test
    actual = panel.sales[test + 1 : test + 1 + horizon, shown]
    return plots.forecast_vs_actual(
        panel.periods.astype("datetime64[ns]"), panel.sales[: test + 1, shown], actual,
        found.grids[test][:horizon, shown], interval[0][:horizon, shown], interval[1][:horizon, shown],
        panel.series[shown], f"{MODEL_TYPES[model_key]}: test forecast from {panel.periods[test]} "
                             f"with {round(100 * CALIBRATION_CONFIDENCE)}% interval", panel.frequency.season)


def _estimator(found: Forecasts, origins: Origins) -> Any:
    """The estimator fitted at the test origin, for a design member that learnt one; else None."""
    fitted = found.fitted.get(origins.test)
    return fitted.estimator if isinstance(fitted, FittedDesign) else None


def _feature_names(found: Forecasts, origins: Origins) -> tuple[str, ...]:
    fitted = found.fitted.get(origins.final)
    return FEATURES + (fitted.layout.feature_names() if isinstance(fitted, FittedDesign) else ())


def _importance(model_key: str, estimator: Any, names: tuple[str, ...]) -> dict[str, bytes]:
    importance = getattr(estimator, "feature_importance", lambda: None)()
    if importance is None:
        return {}
    table = pd.DataFrame({"feature": names, "importance": importance}).sort_values("importance", ascending=False)
    return {"feature_importance.csv": table.to_csv(index=False).encode(),
            "feature_importance.png": plots.feature_importance(
                names, importance, f"{MODEL_TYPES[model_key]} feature importance (test-origin fit)")}


def files(model_key: str, panel: Panel, found: Forecasts, origins: Origins, protocol: EvaluationProtocol,
          evidence: Evidence) -> dict[str, bytes]:
    if evidence.test_interval is None:
        raise ValueError("the test window has no interval: the protocol needs at least one fold")
    return {
        SERIES_ERRORS_ARTIFACT: pd.concat(evidence.per_series, ignore_index=True).to_csv(index=False).encode(),
        "forecast_vs_actual.png": _chart(model_key, panel, found, origins, protocol.horizon, evidence.test_interval),
        **_importance(model_key, _estimator(found, origins), _feature_names(found, origins)),
    }


def params(member: DesignMember | SeriesMember | Ensemble, periods: list[date], found: Forecasts, origins: Origins,
           protocol: EvaluationProtocol) -> dict[str, str]:
    kind = {DesignMember: "direct multi-step, a correction to the calendar-aligned year-ago value times growth",
            SeriesMember: "each series from its own history up to the origin",
            Ensemble: f"equal mean of the {COMBINED} members with the lowest MASE on the earlier windows"}[type(member)]
    fitted = _estimator(found, origins)
    found_params = {f"test_fit_{k}": str(v) for k, v in (fitted.fitted_params() if fitted is not None else {}).items()}
    weights = {f"test_weight_{k}": f"{v:.4f}" for k, v in found.weights.get(origins.test, {}).items()}
    if isinstance(member, Ensemble):  # what it chose from, and what it combines in the registered version
        weights.update(components=",".join(found.weights[origins.final]),
                       combined=",".join(m for m, w in found.weights[origins.final].items() if w > 0))
    return {
        **{k: str(v) for k, v in member.params().items()}, **found_params, **weights,
        "model": member.key, "frequency": protocol.frequency.code, "season_length": str(protocol.season),
        "horizon": str(protocol.horizon), "folds": str(protocol.folds),
        "fold_stride": str(protocol.fold_stride), "fold_origins": ",".join(str(periods[o]) for o in origins.folds),
        "test_origin": str(periods[origins.test]), "strategy": kind, "seed": str(SEED),
        **({"features": ",".join(_feature_names(found, origins))} if isinstance(member, DesignMember) else {}),
    }
