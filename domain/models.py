"""Registered model versions and the aliases/stages that point at them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.errors import InvalidValueError

CHAMPION = "champion"
CHALLENGER = "challenger"
LEGACY_STAGES = ("None", "Staging", "Production", "Archived")
# Registry stages are deprecated in MLflow; a stage request is honoured through this alias.
STAGE_ALIASES = {"production": CHAMPION, "staging": CHALLENGER}


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
            if not self.version.isdigit():
                raise InvalidValueError(f"model version must be a positive integer, not {self.version!r}")
            object.__setattr__(self, "version", int(self.version))
        if self.version < 1:
            raise InvalidValueError(f"model version must be >= 1, not {self.version}")
        if self.stage not in LEGACY_STAGES:
            raise InvalidValueError(f"unknown stage {self.stage!r}; one of {', '.join(LEGACY_STAGES)}")
        object.__setattr__(self, "aliases", tuple(sorted(self.aliases)))
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"
