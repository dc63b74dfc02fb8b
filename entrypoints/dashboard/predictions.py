"""Predictions explorer: an uploaded CSV of actual against predicted values, scored and drawn."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)
import pandas as pd
import panel as pn
import param

from application.dashboard import ReadPredictions
from domain.errors import DomainError
from domain.predictions import PredictionTable, score
from entrypoints.dashboard.common import Page, alert, fmt, shown
from entrypoints.dashboard.figures import LEGEND, PLOT

ROW_NUMBER = "(row number)"


DRAWN_POINTS = 5_000


def _dates(values: tuple[Any, ...]) -> pd.Series | None:
    """The column as dates if every non-empty value reads as one (ISO first, then day-first)."""
    raw = pd.Series(values, dtype=object)
    for options in ({"format": "ISO8601"}, {"dayfirst": True, "format": "mixed"}):
        parsed = pd.to_datetime(raw, errors="coerce", **options)
        if parsed.notna().sum() == raw.notna().sum() and raw.notna().any():
            return parsed
    return None


class PredictionsPage(Page):
    title, slug = "Predictions explorer", "predictions"
    table = param.ClassSelector(class_=PredictionTable, default=None, allow_None=True, doc="the uploaded table")
    upload_error = param.String(default="")
    date_column = param.Selector(objects=[ROW_NUMBER], default=ROW_NUMBER)
    actual_column = param.Selector(objects=[])
    predicted_column = param.Selector(objects=[])

    def __init__(self, reader: Callable[[], ReadPredictions], **params: Any) -> None:
        self._reader = reader
        self._upload = pn.widgets.FileInput(accept=".csv,text/csv,text/plain", name="CSV of actual vs predicted")
        super().__init__(**params)
        pn.bind(self._uploaded, self._upload.param.value, watch=True)

    def controls(self) -> list[Any]:
        return [pn.FlexBox(self._upload, pn.widgets.Select.from_param(self.param.date_column, name="Date column"),
                           pn.widgets.Select.from_param(self.param.actual_column, name="Actual column"),
                           pn.widgets.Select.from_param(self.param.predicted_column, name="Predicted column"))]

    async def _uploaded(self, content: bytes | None) -> None:
        """A new table and the columns its names suggest, shown in one redraw; or why it cannot be read.
        The file is read on a worker thread, so the server's other sessions go on meanwhile."""
        read = functools.partial(self._reader(), content or b"", self._upload.filename or "the upload")
        try:
            table, guess = await asyncio.get_running_loop().run_in_executor(None, read)
        except DomainError as exc:
            self.param.update(table=None, upload_error=str(exc))
            return
        self.param.date_column.objects = [ROW_NUMBER, *table.columns]
        self.param.actual_column.objects = self.param.predicted_column.objects = list(table.numeric)
        self.param.update(table=table, upload_error="", date_column=guess.date or ROW_NUMBER,
                          actual_column=guess.actual, predicted_column=guess.predicted)

    @param.depends("active", "table", "upload_error", "date_column", "actual_column", "predicted_column")
    @shown
    def content(self) -> list[Any]:
        if self.upload_error:
            return [alert(self.upload_error)]
        table = self.table
        if table is None:
            return [alert("upload a CSV with a column of actual values and one of predictions; "
                          "a date column, if any, is the time axis", "info")]
        result = score(table, self.actual_column, self.predicted_column)
        frame = pd.DataFrame({"actual": table.columns[self.actual_column],
                              "predicted": table.columns[self.predicted_column]}, dtype=float)
        frame["residual"] = frame["actual"] - frame["predicted"]
        frame["row"], x = range(1, len(frame) + 1), "row"
        dates = _dates(table.columns[self.date_column]) if self.date_column != ROW_NUMBER else None
        if dates is not None:
            frame["date"], x = dates, "date"
        frame = frame.dropna(subset=["actual"]).sort_values(x)
        mape = "undefined" if result.mape is None else f"{result.mape:.4g} %"
        metrics = pn.pane.Markdown(f"**MAPE** {mape} · **RMSE** {fmt(result.rmse)} · **MAE** {fmt(result.mae)} "
                                   f"· {result.count:,} rows of {table.name}", css_classes=["prediction-metrics"])
        every = max(1, -(-len(frame) // DRAWN_POINTS))  # a browser draws a few thousand points, not a million
        drawn = frame.iloc[::every]
        notes = [*result.notes] + ([f"over time: every {every}th row drawn ({len(drawn):,} of {len(frame):,}); "
                                    "the scores and the histogram use every row"] if every > 1 else [])
        over_time, residuals, histogram = self.later(
            lambda: drawn.hvplot.line(x=x, y=["actual", "predicted"], title="actual vs predicted", legend=LEGEND,
                                      **PLOT),
            lambda: drawn.hvplot.scatter(x=x, y="residual", title="residual (actual - predicted) over time", **PLOT),
            lambda: frame.hvplot.hist(y="residual", bins=30, title="residual histogram", **PLOT))
        return [metrics, *(alert(note, "warning") for note in notes), over_time,
                pn.Row(residuals, histogram, sizing_mode="stretch_width")]
