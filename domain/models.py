"""Registered model versions and the aliases/stages that point at them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.errors import InvalidValueError

CHAMPION = "champion"
CHALLENGER = "challenger"
# The one rule for model names; the HTTP schemas publish the same pattern.
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
_NAME = re.compile(MODEL_NAME_PATTERN)
LEGACY_STAGES = ("None", "Staging", "Production", "Archived")
# Registry stages are deprecated in MLflow; a stage request is honoured through this alias.
STAGE_ALIASES = {"production": CHAMPION, "staging": CHALLENGER}
MAX_VERSION = 2**31 - 1  # version numbers are 32-bit integers in the registry's store
# Aliases: letters, digits, `_` and `-`, up to 255; `latest` and `v<number>` are reserved (they
# read as versions).
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_ALIAS = re.compile(r"^(latest|[vV][0-9]+|[0-9]+)$", re.IGNORECASE)


def version_number(text: str) -> int | None:
    """The version number `text` spells in ASCII digits (`²` is no number); None if it spells none."""
    stripped = text.strip()
    return int(stripped) if stripped.isascii() and stripped.isdigit() else None


def check_alias(alias: str) -> str:
    """An alias a version can be given; InvalidValueError naming the rule otherwise."""
    if not _ALIAS.match(alias):
        raise InvalidValueError(f"invalid alias {alias!r}: use 1..255 letters, digits, '_' or '-'")
    if _RESERVED_ALIAS.match(alias):
        raise InvalidValueError(f"{alias!r} cannot be an alias: it would read as a version")
    return alias


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    name: str
    version: int
    run_id: str | None = None
    created_at: datetime | None = None
    aliases: tuple[str, ...] = ()
    stage: str = "None"
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidValueError("a model version needs a model name")
        if isinstance(self.version, str):
            number = version_number(self.version)
            if number is None:
                raise InvalidValueError(f"model version must be a positive integer, not {self.version!r}")
            object.__setattr__(self, "version", number)
        if self.version < 1:
            raise InvalidValueError(f"model version must be >= 1, not {self.version}")
        if self.stage not in LEGACY_STAGES:
            raise InvalidValueError(f"unknown stage {self.stage!r}; one of {', '.join(LEGACY_STAGES)}")
        object.__setattr__(self, "aliases", tuple(sorted(self.aliases)))
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def check_model_name(name: str) -> str:
    """Model names are identifiers, never paths: letters, digits, `_`, `-`, `.`; 1..100 chars."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise InvalidValueError(f"invalid model name {name!r}: use letters, digits, '_', '-' or '.'")
    return name


def parse_version_ref(ref: str | int | None) -> str:
    """Normalise a version reference: a number, `latest`, an alias or a legacy stage name."""
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        return "latest"
    text = str(ref).strip()
    number = version_number(text)
    if number is not None:
        if not 1 <= number <= MAX_VERSION:
            raise InvalidValueError(f"model version must be in 1..{MAX_VERSION}, not {text}")
        return str(number)
    return text.lower() if text.lower() == "latest" else text


def stage_alias(stage: str) -> str:
    """The alias a legacy stage request is honoured through (Production -> champion)."""
    alias = STAGE_ALIASES.get(stage.strip().lower())
    if alias is None:
        raise InvalidValueError(
            f"stage {stage!r} cannot be promoted to; use Production or Staging, or better an alias"
        )
    return alias


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """One promotion: who pointed which alias from which version to which, and the evidence."""

    model: str
    alias: str
    to_version: int
    from_version: int | None
    who: str
    when: datetime
    metrics: Mapping[str, float] = field(default_factory=dict)  # the promoted version's test metrics
    previous_metrics: Mapping[str, float] = field(default_factory=dict)
    stage: str | None = None  # the legacy stage asked for, if the request used one
    evidence: str | None = None  # why, when the promoter gave a reason (the main job records its benchmark)

    def __post_init__(self) -> None:
        if not self.alias or not self.who:
            raise InvalidValueError("a promotion needs an alias and who made it")
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        object.__setattr__(self, "previous_metrics", MappingProxyType(dict(self.previous_metrics)))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredModel:
    """A registered model as listed: its newest version and that version's test metrics."""

    name: str
    latest: ModelVersion
    metrics: Mapping[str, float] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)  # alias -> version, over all versions
