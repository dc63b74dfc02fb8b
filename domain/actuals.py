"""Actuals as they arrive: a ledger of facts, appended to and never overwritten.

Rules: actuals belong to a dataset (the series namespace of one training table: Walmart's store 1
and the synthetic table's series 1 are different series) whose frequency is set by its first
table; every date is one of that frequency's periods; a series is extended forward without a gap
and never before its first period; a value that differs from the latest one of its period is a
correction, kept beside the value it corrects with the time it arrived; a value equal to the
latest one is not stored again; a batch that breaks a rule changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.errors import DataError, InvalidValueError


@dataclass(frozen=True, slots=True, kw_only=True)
class ActualsReceipt:
    """What one batch did to the store."""

    dataset: str
    batch: int | None  # None: every value was already known, nothing was stored
    revision: int  # the dataset's revision once the batch is in: what a training on it read
    arrived_at: datetime
    series: int  # series in the batch
    new_series: int  # of which the store had no actual yet
    added: int  # periods the store had no actual for
    corrected: int  # periods whose latest actual changed
    unchanged: int  # periods sent again with the latest actual's value

    def __post_init__(self) -> None:
        if min(self.series, self.new_series, self.added, self.corrected, self.unchanged) < 0:
            raise InvalidValueError("counts of a receipt are >= 0")

    def describe(self) -> str:
        stored = "nothing stored: every value was known" if self.batch is None else f"batch {self.batch}"
        return (f"{self.dataset}: {self.series:,} series ({self.new_series:,} new), {self.added:,} periods added, "
                f"{self.corrected:,} corrected, {self.unchanged:,} unchanged; {stored}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActualRecord:
    """One stored value of one period of a series."""

    period: date
    value: float
    arrived_at: datetime
    source: str  # training table, file or API that sent it
    latest: bool  # the value in force (False: corrected later)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetActuals:
    """A dataset in the store."""

    name: str
    frequency: str  # its code: W-FRI, D, MS...
    series: int
    first_period: date | None
    last_period: date | None
    revision: int  # the number of its last batch: it grows with every batch that stored something
    last_arrival: datetime | None


def check_extension(series: str, stored: tuple[int, int] | None, numbers: Sequence[int],
                    period: Callable[[int], date]) -> None:
    """The periods (numbered consecutively) a batch sends of one series: DataError when one lies before
    the series' first stored period or would leave a gap. `stored` is (first, last) or None."""
    ordered = sorted(set(numbers))
    if stored is not None and ordered[0] < stored[0]:
        raise DataError(f"series {series}: {period(ordered[0])} is before its first actual {period(stored[0])}; "
                        "a series' actuals are extended forward")
    last = stored[1] if stored is not None else ordered[0] - 1
    for number in ordered:
        if number > last + 1:
            missing = [period(n) for n in range(last + 1, min(number, last + 4))]
            raise DataError(f"series {series} would have a gap: no actual for {', '.join(map(str, missing))}"
                            f"{' ...' if number - last > 4 else ''} before {period(number)}; send the missing "
                            "periods in the same batch or before")
        last = max(last, number)
