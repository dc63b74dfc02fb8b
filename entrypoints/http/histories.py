"""The rows of a history as requests send them: a series id, a date, a value and covariate columns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from domain.errors import InvalidValueError
from domain.forecasts import MAX_SERIES_ID, SeriesHistory

SERIES = (Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SERIES_ID,
                                      description="series id, as in the training table (text, or a whole number)")]
          | Annotated[int, msgspec.Meta(ge=0)])


CELL = str | float | int | bool | None  # a value of a history row: the roles' and the covariates'


class HistoryRow(msgspec.Struct, forbid_unknown_fields=True):
    """One period of one series, as a training table holds it."""

    series_id: SERIES
    date: Annotated[date, msgspec.Meta(description="ISO date of the period, e.g. 2012-08-03")]
    value: float | None  # None (null) is a missing value, which the version names


class FutureRow(msgspec.Struct, forbid_unknown_fields=True):
    series_id: SERIES
    date: date


ROLES = ("series_id", "date", "value")


def _typed(row: dict[str, CELL], kind: type[msgspec.Struct], where: str) -> msgspec.Struct:
    roles = {key: row[key] for key in ROLES if key in row}
    try:
        return msgspec.convert(roles, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidValueError(f"{where}: {exc}") from None


def history_with_covariates(rows: list[dict[str, CELL]], future: list[dict[str, CELL]] | None) -> SeriesHistory:
    """A request's history rows (series_id, date, value and covariate columns) and its future rows
    (series_id, date and future columns) as one SeriesHistory: a future row's value is empty (NaN)."""
    nan = float("nan")
    typed = [_typed(row, HistoryRow, f"history[{i}]") for i, row in enumerate(rows)]
    ahead = []
    for i, row in enumerate(future or []):
        if "value" in row:
            raise InvalidValueError(f"future[{i}]: a future row has no value: it carries the future covariates of a "
                                    "forecast period")
        ahead.append(_typed(row, FutureRow, f"future[{i}]"))
    every = rows + list(future or [])
    names = list(dict.fromkeys(key for row in every for key in row if key not in ROLES))
    return SeriesHistory(
        series_ids=tuple([str(r.series_id) for r in typed + ahead]),  # type: ignore[attr-defined]
        dates=tuple([r.date for r in typed + ahead]),  # type: ignore[attr-defined]
        values=tuple([nan if r.value is None else r.value for r in typed] + [nan] * len(ahead)),  # type: ignore
        covariates={name: tuple(row.get(name) for row in every) for name in names})


