"""InMemoryModelRegistry and a loader of in-memory models: fakes kept honest by the contract tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from domain.errors import TrackingUnavailableError, UnknownModelError, UnknownSeriesError
from domain.forecasts import ForecastPoint, check_horizon
from domain.metrics import SUMMARY_PREFIXES
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
                metrics=self.evaluation_metrics(versions[-1]),
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
        return {k: v for k, v in self._metrics.get(version.run_id or "", {}).items() if k.startswith(SUMMARY_PREFIXES)}

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


class ConstantForecastModel:
    """Forecasts `level` for every series and week, with a +-10% interval at any confidence."""

    unit = "week"

    def __init__(self, level: float, series_ids: Sequence[str] = ("1", "2", "3"),
                 last_period: date = date(2012, 10, 26), max_horizon: int = 52) -> None:
        self.level, self.series_ids, self.last_period = level, tuple(series_ids), last_period
        self.max_horizon = max_horizon

    def _check(self, series_ids: Sequence[str]) -> None:
        unknown = [s for s in series_ids if s not in self.series_ids]
        if unknown:
            raise UnknownSeriesError(f"unknown series_id {unknown[0]}; this model knows {len(self.series_ids)} "
                                     f"series: {', '.join(self.series_ids)}")

    def history(self, series_id: str) -> tuple[tuple[date, float], ...]:
        """Eight weeks at `level`, ending at the last week."""
        self._check([series_id])
        return tuple((self.last_period - timedelta(weeks=k), self.level) for k in range(7, -1, -1))

    def forecast(self, series_ids: Sequence[str], horizon: int, confidence: float | None) -> tuple[ForecastPoint, ...]:
        self._check(series_ids)
        check_horizon(horizon, self.max_horizon)
        spread = None if confidence is None else 0.1 * self.level
        return tuple(
            ForecastPoint(series_id=s, step=h, date=self.last_period + timedelta(weeks=h), prediction=self.level,
                          lower=None if spread is None else self.level - spread,
                          upper=None if spread is None else self.level + spread)
            for s in series_ids for h in range(1, horizon + 1)
        )


class InMemoryModelLoader:
    """Loads a ConstantForecastModel whose level is the version number; counts the loads. Given a
    registry, a version that registry does not hold is unknown, as it is to the MLflow loader."""

    def __init__(self, registry: InMemoryModelRegistry | None = None) -> None:
        self.loads: list[tuple[str, int]] = []
        self._registry = registry

    def load(self, version: ModelVersion) -> ConstantForecastModel:
        if self._registry is not None:
            self._registry.resolve(version.name, str(version.version))
        self.loads.append((version.name, version.version))
        return ConstantForecastModel(float(version.version))
