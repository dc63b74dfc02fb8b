"""Actual-versus-predicted tables uploaded by a user: which column is which, and how good they are.

Rules: columns are recognised by name, case-insensitively, an exact name before a name that
only contains a known word; a column is used for one role at most; a row with either value
missing is a mismatch, not silently dropped; MAPE is undefined where the actual is 0, and the
rows are named instead of returning infinity.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import DataError

ROLE_NAMES = {
    "date": ("date", "ds", "week", "timestamp", "time", "period"),
    "actual": ("actual", "y_true", "y", "observed", "target", "weekly_sales", "sales", "true"),
    "predicted": ("predicted", "prediction", "y_pred", "yhat", "forecast", "pred", "fitted"),
}
_SHOWN_ROWS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionTable:
    """The uploaded table: each column's values in row order (None, or NaN in a numeric column, where a
    cell is empty)."""

    name: str
    columns: Mapping[str, tuple[object, ...]]
    numeric: tuple[str, ...]  # the columns whose every non-empty cell is a number

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        if not self.columns:
            raise DataError(f"{self.name} has no columns")
        if len(self.numeric) < 2:
            found = f"only one numeric column ({self.numeric[0]})" if self.numeric else "no numeric column"
            raise DataError(f"{self.name} has {found} among {', '.join(self.columns)}; "
                            "it needs one of actual values and one of predictions")

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnChoice:
    date: str | None
    actual: str | None
    predicted: str | None


def _find(names: Sequence[str], words: Sequence[str], taken: set[str]) -> str | None:
    free = [n for n in names if n not in taken]
    lowered = {n: n.strip().lower() for n in free}
    for word in words:  # exact names first, in the order of preference
        for name in free:
            if lowered[name] == word:
                return name
    for word in words:
        if len(word) < 3:  # 'y' or 'ds' inside another name means nothing
            continue
        for name in free:
            if word in lowered[name]:
                return name
    return None


def guess_columns(table: PredictionTable) -> ColumnChoice:
    """The date, actual and predicted columns by their names; numeric ones only for values.
    With no recognised names, the first two numeric columns are taken as actual, predicted."""
    taken: set[str] = set()
    found: dict[str, str | None] = {}
    for role in ("predicted", "actual", "date"):  # 'predicted_sales' is a prediction, not the actual
        candidates = list(table.numeric) if role != "date" else list(table.columns)
        name = found[role] = _find(candidates, ROLE_NAMES[role], taken)
        if name:
            taken.add(name)
    spare = [n for n in table.numeric if n not in taken]
    for role in ("actual", "predicted"):
        if found[role] is None and spare:
            found[role] = spare.pop(0)
    return ColumnChoice(date=found["date"], actual=found["actual"], predicted=found["predicted"])


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionScore:
    count: int
    mape: float | None  # percent; None when an actual is 0
    rmse: float
    mae: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def _rows(indexes: Sequence[int]) -> str:
    shown = ", ".join(str(i + 2) for i in indexes[:_SHOWN_ROWS])  # +1 for 1-based, +1 for the header line
    return shown + (f" and {len(indexes) - _SHOWN_ROWS} more" if len(indexes) > _SHOWN_ROWS else "")


def _numbers(values: Sequence[object]) -> list[float]:
    """The column as floats, NaN where a cell is empty; DataError on anything that is not a number."""
    return [v if type(v) is float else _number(v) for v in values]  # floats, the common case, as they are


def _number(value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{value!r} is not a number")
    return float(value)


def _pairs(table: PredictionTable, actual: str, predicted: str) -> tuple[list[float], list[float], list[float]]:
    """The actual and predicted values of the rows that have both, and every row's actual (NaN
    where empty, for naming rows); DataError where one is missing without the other, or infinite."""
    a, p = _numbers(table.columns[actual]), _numbers(table.columns[predicted])
    empty_a, empty_p = list(map(math.isnan, a)), list(map(math.isnan, p))  # NaN: an empty cell
    if empty_a != empty_p:
        only_a = [i for i, (x, y) in enumerate(zip(empty_a, empty_p)) if y and not x]
        only_p = [i for i, (x, y) in enumerate(zip(empty_a, empty_p)) if x and not y]
        counts = f"{actual!r} has {empty_a.count(False)} values, {predicted!r} {empty_p.count(False)}"
        where = "; ".join(part for part in (
            f"no prediction in row(s) {_rows(only_a)}" if only_a else "",
            f"no actual in row(s) {_rows(only_p)}" if only_p else "") if part)
        raise DataError(f"mismatched lengths: {counts} ({where})")
    for role, column, values in (("actual", actual, a), ("predicted", predicted, p)):
        if any(map(math.isinf, values)):
            infinite = [i for i, x in enumerate(values) if math.isinf(x)]
            raise DataError(f"the {role} column {column!r} is infinite in row(s) {_rows(infinite)}: "
                            "no error can be computed; fix or remove those rows")
    rows = a
    if any(empty_a):  # rows empty in both columns are no pair
        a, p = [x for x, e in zip(a, empty_a) if not e], [y for y, e in zip(p, empty_a) if not e]
    return a, p, rows


def score(table: PredictionTable, actual: str, predicted: str) -> PredictionScore:
    """MAPE (percent), RMSE and MAE of `predicted` against `actual`; DataError if they cannot be compared."""
    for role, column in (("actual", actual), ("predicted", predicted)):
        if column not in table.columns:
            raise DataError(f"no column {column!r} for the {role} values; the table has {', '.join(table.columns)}")
        if column not in table.numeric:
            raise DataError(f"column {column!r} is not numeric; numeric columns: {', '.join(table.numeric)}")
    if actual == predicted:
        raise DataError(f"actual and predicted are the same column {actual!r}; pick two different columns")
    a, p, rows = _pairs(table, actual, predicted)
    if not a:
        raise DataError(f"columns {actual!r} and {predicted!r} hold no values")
    n = len(a)
    errors = list(map(operator.sub, a, p))
    notes: tuple[str, ...] = ()
    mape = None
    if 0.0 in a:
        zeros = [i for i, x in enumerate(rows) if x == 0.0]
        notes = (f"MAPE is undefined: the actual is 0 in row(s) {_rows(zeros)}",)
    else:
        mape = 100 * sum(map(abs, map(operator.truediv, errors, a))) / n
    return PredictionScore(
        count=n, mape=mape, rmse=math.sqrt(sum(map(operator.mul, errors, errors)) / n), mae=sum(map(abs, errors)) / n,
        notes=notes,
    )
