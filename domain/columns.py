"""Which columns of a user's long-format table hold the series id, the time and the target, and
what the user said about the panel they make (frequency, filling, holidays).

Rules: a column the user names (`--id-col`, `--time-col`, `--target-col`) is taken as named and
must exist; otherwise a role is recognised by name, case-insensitively, from the Walmart preset
(Store, Date, Weekly_Sales), the Nixtla convention (unique_id, ds, y) and the obvious names; a
role with no candidate, or with more than one, is an error that lists the header and the flag
that decides. Dates are ISO unless `--date-format` says otherwise; the Walmart preset's are
dd-mm-yyyy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.covariates import NONE, Covariates
from domain.errors import DataError, InvalidValueError
from domain.frequency import Frequency, parse_frequency

ROLES = ("id", "time", "target")
FLAGS = {"id": "--id-col", "time": "--time-col", "target": "--target-col"}
NAMES = {  # recognised names per role, lower case
    "id": ("store", "unique_id", "series_id", "series", "item", "id"),
    "time": ("date", "ds", "week", "timestamp"),
    "target": ("weekly_sales", "y", "sales", "demand", "quantity", "value"),
}
# Recognised only when none of NAMES is there: a table may hold a `year` column beside its dates.
FALLBACK_NAMES = {"time": ("month", "quarter", "year", "period")}
WALMART = {"id": "Store", "time": "Date", "target": "Weekly_Sales"}
WALMART_DATE_FORMAT = "%d-%m-%Y"
ISO = "ISO 8601"


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnSpec:
    """What the user said: a column per role (None: recognise it), the date format (None: the
    default) and the covariate columns."""

    id: str | None = None
    time: str | None = None
    target: str | None = None
    date_format: str | None = None
    covariates: Covariates = NONE


RECOGNISE = ColumnSpec()  # nothing named: every column recognised by name


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnChoice:
    """The columns taken, the date format they are read with, and how they were found."""

    id: str
    time: str
    target: str
    date_format: str  # a strftime format, or ISO
    named: tuple[str, ...]  # the roles the user named; the others were recognised

    def describe(self) -> str:
        taken = ", ".join(f"{role} {getattr(self, role)!r}" + (" (named)" if role in self.named else "")
                          for role in ROLES)
        return f"columns: {taken}; dates: {self.date_kind}"

    @property
    def date_kind(self) -> str:
        """What a date must look like, in words."""
        if self.date_format == ISO:
            return "ISO 8601 date such as 2012-02-03"
        return "dd-mm-yyyy date" if self.date_format == WALMART_DATE_FORMAT else f"date written {self.date_format}"


def choose_columns(header: Sequence[str], spec: ColumnSpec = RECOGNISE) -> ColumnChoice:
    """The id, time and target columns of a table with this header; DataError naming what is wrong."""
    shown = ", ".join(header)
    taken: dict[str, str] = {}
    for role in ROLES:
        named = getattr(spec, role)
        if named is not None:
            if named not in header:
                raise DataError(f"{FLAGS[role]} {named!r} is not a column of the table ({shown})")
            taken[role] = named
    if not taken and all(WALMART[role] in header for role in ROLES):
        taken = dict(WALMART)  # the preset, as the Walmart file spells it
    for role in ROLES:
        if role in taken:
            continue
        free = [name for name in header if name not in taken.values() and name not in spec.covariates.names]
        found = [name for name in free if name.strip().lower() in NAMES[role]] or [
            name for name in free if name.strip().lower() in FALLBACK_NAMES.get(role, ())]
        if not found:
            known = NAMES[role] + FALLBACK_NAMES.get(role, ())
            claimed = [name for name in spec.covariates.names if name.strip().lower() in known]
            if claimed:
                raise DataError(f"{claimed[0]!r} is the table's {role} column, not a covariate: name the {role} "
                                f"with {FLAGS[role]} or leave {claimed[0]!r} out of the covariates")
            raise DataError(f"no {role} column among {shown}: name it with {FLAGS[role]} "
                            f"(recognised: {', '.join(known)}, any case)")
        if len(found) > 1:
            raise DataError(f"more than one {role} column ({', '.join(found)}): choose one with {FLAGS[role]}")
        taken[role] = found[0]
    spec.covariates.check(header, taken.values())
    default = WALMART_DATE_FORMAT if taken == WALMART else ISO
    return ColumnChoice(id=taken["id"], time=taken["time"], target=taken["target"],
                        date_format=spec.date_format or default,
                        named=tuple(role for role in ROLES if getattr(spec, role) is not None))


FILLS = ("none", "zero", "interpolate")
_COUNTRY = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,4})?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelSpec:
    """What the user said about the panel: its frequency (None: inferred from the dates), what fills
    a missing period inside a series (`none`: it is an error), and the holiday calendar (None:
    `walmart` for a weekly panel, `none` otherwise)."""

    frequency: str | None = None
    fill: str = "none"
    holidays: str | None = None

    def __post_init__(self) -> None:
        if self.frequency is not None:
            object.__setattr__(self, "frequency", parse_frequency(self.frequency))
        if self.fill not in FILLS:
            raise InvalidValueError(f"--fill must be one of {', '.join(FILLS)}, not {self.fill!r}")
        if self.holidays is not None and self.holidays.lower() not in ("walmart", "none") \
                and not _COUNTRY.match(self.holidays):
            raise InvalidValueError(f"--holidays must be walmart, none or a country code such as US or DE, "
                                    f"not {self.holidays!r}")

    def calendar_for(self, frequency: Frequency) -> str:
        """The holiday calendar of a panel of this frequency."""
        if self.holidays is not None:
            return self.holidays.lower() if self.holidays.lower() in ("walmart", "none") else self.holidays.upper()
        return "walmart" if frequency.name == "weekly" else "none"


INFER = PanelSpec()
