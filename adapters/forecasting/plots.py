"""PNG charts logged with each run."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display here
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def to_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def forecast_vs_actual(periods: np.ndarray, history: np.ndarray, actual: np.ndarray, predicted: np.ndarray,
                       lower: np.ndarray, upper: np.ndarray, series: np.ndarray, title: str, season: int) -> bytes:
    """One panel per series: the last season of history, the test actuals and the forecast band.

    history is periods x series up to the origin; actual/predicted/lower/upper are steps x series.
    """
    count = len(series)
    figure, axes = plt.subplots(count, 1, figsize=(10, 2.6 * count), sharex=True, squeeze=False)
    past, future = periods[: len(history)], periods[len(history) : len(history) + len(actual)]
    shown = max(season, 4 * len(actual))
    for column, (axis,) in enumerate(axes):
        axis.plot(past[-shown:], history[-shown:, column], color="0.4", label="history")
        axis.plot(future, actual[:, column], color="black", marker=".", label="actual")
        axis.plot(future, predicted[:, column], color="tab:blue", marker=".", label="forecast")
        axis.fill_between(future, lower[:, column], upper[:, column], color="tab:blue", alpha=0.2, label="90% interval")
        axis.set_ylabel(f"series {series[column]}")
    axes[0, 0].set_title(title)
    axes[0, 0].legend(loc="upper left", fontsize="small")
    return to_png(figure)


def feature_importance(names: tuple[str, ...], importance: np.ndarray, title: str) -> bytes:
    order = np.argsort(importance)
    figure, axis = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
    axis.barh(np.array(names)[order], importance[order], color="tab:blue")
    axis.set_title(title)
    return to_png(figure)
