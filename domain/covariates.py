"""Covariates: the columns of a table besides the id, the time and the target that a forecast may use.

Three kinds, as the user declares them:

- future (`--future-cols`): known for every period forecast (a planned promotion, a price, the
  working-day calendar, a weather forecast); a forecast needs their values for its horizon;
- past (`--past-cols`): observed up to the origin and never after it (a price index, the
  temperature that was); a forecast uses their values at and before its origin only;
- static (`--static-cols`): one value per series (a store's size or region), text or number.

Rules: a column is named once, under one kind, and is not the id, time or target column; a
future column whose every value is the holiday calendar's flag of its period (Walmart's
`Holiday_Flag`) is the calendar itself: the version computes it for any date, so nobody sends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.errors import DataError, InvalidValueError

KINDS = ("future", "past", "static")
FLAGS = {"future": "--future-cols", "past": "--past-cols", "static": "--static-cols"}
CALENDAR = "calendar"  # the kind of a future column the version computes from its holiday calendar


def parse_columns(text: str) -> tuple[str, ...]:
    """A comma-separated list of column names, in the order given, without repeats."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise InvalidValueError(f"a list of column names is comma-separated, such as A,B; not {text!r}")
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class Covariates:
    """The covariate columns of each kind, as the user named them."""

    future: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    static: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for kind in KINDS:
            for name in getattr(self, kind):
                if name in seen:
                    raise InvalidValueError(f"column {name!r} is named by {FLAGS[seen[name]]} and {FLAGS[kind]}: "
                                            "a covariate has one kind")
                seen[name] = kind

    def __bool__(self) -> bool:
        return bool(self.future or self.past or self.static)

    @property
    def names(self) -> tuple[str, ...]:
        return self.future + self.past + self.static

    def kind(self, name: str) -> str:
        return next(kind for kind in KINDS if name in getattr(self, kind))

    def check(self, header: Iterable[str], roles: Iterable[str]) -> None:
        """Every covariate is a column of the table and none is the id, time or target column."""
        columns, taken = list(header), set(roles)
        for name in self.names:
            flag = FLAGS[self.kind(name)]
            if name not in columns:
                raise DataError(f"{flag} {name!r} is not a column of the table ({', '.join(columns)})")
            if name in taken:
                raise DataError(f"{flag} {name!r} is the table's id, time or target column, not a covariate")


NONE = Covariates()


@dataclass(frozen=True, slots=True, kw_only=True)
class Covariate:
    """A covariate a version uses, as its signature and `GET /models/{name}` show it: its kind
    (future, past, static, or calendar: computed by the version) and its type (number or text)."""

    name: str
    kind: str
    type: str

    def __post_init__(self) -> None:
        if self.kind not in (*KINDS, CALENDAR):
            raise InvalidValueError(f"a covariate's kind is one of {', '.join((*KINDS, CALENDAR))}, not {self.kind!r}")
        if self.type not in ("number", "text"):
            raise InvalidValueError(f"a covariate's type is number or text, not {self.type!r}")

    @property
    def sent(self) -> bool:
        """Whether a request carries it: every kind but the calendar, which the version computes."""
        return self.kind != CALENDAR


def describe(covariates: Iterable[Covariate]) -> str:
    """`Temperature (future, number), Holiday_Flag (calendar, number)`; `none`."""
    shown = [f"{c.name} ({c.kind}, {c.type})" for c in covariates]
    return ", ".join(shown) or "none"


def parse_described(text: str) -> tuple[Covariate, ...]:
    """The covariates of `describe`'s text (as a run's param keeps them)."""
    if not text or text == "none":
        return ()
    found = []
    for part in text.split("), "):
        name, _, rest = part.rstrip(")").rpartition(" (")
        kind, _, kind_type = rest.partition(", ")
        found.append(Covariate(name=name, kind=kind, type=kind_type))
    return tuple(found)


def by_kind(covariates: Iterable[Covariate]) -> Mapping[str, tuple[str, ...]]:
    listed = list(covariates)
    return {kind: tuple(c.name for c in listed if c.kind == kind) for kind in (*KINDS, CALENDAR)}
