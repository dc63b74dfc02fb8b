"""InMemoryModelRegistry: a fake kept honest by the contract tests."""

from __future__ import annotations

from domain.errors import TrackingUnavailableError, UnknownModelError
from domain.metrics import SUMMARY_PREFIXES, WINDOW_PREFIXES
from domain.models import STAGE_ALIASES, ModelVersion, Promotion, RegisteredModel, version_number


class InMemoryModelRegistry:
    def __init__(self) -> None:
        self._versions: dict[str, list[ModelVersion]] = {}
        self._aliases: dict[str, dict[str, int]] = {}
        self._metrics: dict[str, dict[str, float]] = {}
        self._promotions: list[Promotion] = []
        self.up = True

    def add(self, name: str, run_id: str, metrics: dict[str, float]) -> ModelVersion:
        versions = self._versions.setdefault(name, [])
        version = ModelVersion(name=name, version=len(versions) + 1, run_id=run_id)
        versions.append(version)
        self._metrics[run_id] = metrics
        return version

    def _check(self) -> None:
        if not self.up:
            raise TrackingUnavailableError("the in-memory registry is down")

    def _with_aliases(self, version: ModelVersion) -> ModelVersion:
        aliases = tuple(a for a, v in self._aliases.get(version.name, {}).items() if v == version.version)
        return ModelVersion(name=version.name, version=version.version, run_id=version.run_id, aliases=aliases)

    def models(self) -> list[RegisteredModel]:
        self._check()
        return [
            RegisteredModel(
                name=name,
                latest=self._with_aliases(versions[-1]),
                metrics={k: v for k, v in self.evaluation_metrics(versions[-1]).items()
                         if k.startswith(SUMMARY_PREFIXES)},
                aliases=dict(self._aliases.get(name, {})),
            )
            for name, versions in self._versions.items()
        ]

    def resolve(self, name: str, ref: str) -> ModelVersion:
        self._check()
        versions = self._versions.get(name)
        if not versions:
            raise UnknownModelError(f"no registered model {name!r}")
        if version_number(ref) is not None:
            if not 1 <= int(ref) <= len(versions):
                raise UnknownModelError(f"model {name!r} has no version {ref}")
            return self._with_aliases(versions[int(ref) - 1])
        if ref == "latest":
            return self._with_aliases(versions[-1])
        alias = STAGE_ALIASES.get(ref.lower(), ref)
        if alias not in self._aliases.get(name, {}):  # in-memory versions are never in a legacy stage
            raise UnknownModelError(f"model {name!r} has no alias {alias!r}")
        return self._with_aliases(versions[self._aliases[name][alias] - 1])

    def evaluation_metrics(self, version: ModelVersion) -> dict[str, float]:
        self._check()
        return {k: v for k, v in self._metrics.get(version.run_id or "", {}).items() if k.startswith(WINDOW_PREFIXES)}

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        self._check()
        return [self._with_aliases(v) for versions in self._versions.values() for v in versions if v.run_id == run_id]

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._check()
        self._aliases.setdefault(name, {})[alias] = version

    def record_promotion(self, promotion: Promotion) -> None:
        self._check()
        self._promotions.append(promotion)

    def promotions(self, name: str) -> list[Promotion]:
        self._check()
        return sorted((p for p in self._promotions if p.model == name), key=lambda p: p.when)

    def reachable(self) -> bool:
        return self.up
