"""Trains one member of the portfolio under the evaluation protocol and packages it for serving.

Every member forecasts from each backtest origin, from the test origin and from the last period
of the data (the version that gets registered), each time seeing nothing after the origin; the
evidence (evidence.py) scores the windows. Each of those forecasts is a task of the runner (in
this process by default, else on the workers of a Dask cluster, which get the panel once); the
trainer submits every task of a training call up front (`prepare`), then waits for each model's
in turn. The forecasts of each member are kept for the rest of the training call: the ensemble
combines them, and members it needs that were not asked for are forecast for it. Whatever a
library raises becomes this member's TrainingError, so the other members of a training call go
on; a cluster that is gone is not the model's fault and ends the call (ComputeUnavailableError).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from adapters.compute.dask import DaskRunner
from adapters.compute.inprocess import InProcessRunner
from adapters.forecasting import artifacts
from adapters.forecasting.distributed import DISTRIBUTED, DistributedTrees
from adapters.forecasting.ensemble import window_scores
from adapters.forecasting.evidence import Origins, evaluate
from adapters.forecasting.features import DESIGN_ROWS, FEATURES
from adapters.forecasting.fitted import covariates_note, used_covariates
from adapters.forecasting.members import (
    MEMBERS,
    Ensemble,
    Forecasts,
    PanelData,
    Window,
    forecast_window,
)
from adapters.forecasting.pyfunc import PortfolioForecaster
from adapters.forecasting.table import Panel, SalesTable
from adapters.forecasting.windows import calibrate
from application.ports import Pending, TaskRunner, TrainedModel
from domain.covariates import describe
from domain.errors import ComputeUnavailableError, InvalidValueError, TrainingError
from domain.frequency import Frequency
from domain.runs import BASELINE_SERIES_TAG, BASELINE_WINDOWS_TAG, COVARIATES_TAG, SERIES_ERRORS_TAG, WINDOWS_TAG
from domain.training import EvaluationProtocol

Progress = Callable[[str], None]


# Below this many design rows a fit is many short parallel regions: on the Walmart table (45 series,
# about 330,000 rows) lightgbm took 38 s on 2 spinning threads, 90 s on 2 sleeping (PASSIVE) ones
# and 48 s on 1; spinning threads beside two busy processes took 114-310 s. One thread is the
# choice that holds up on a busy machine; more pay off once each region has real work.
PARALLEL_ROWS = 1_000_000


def available_threads() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_threads(panel: Panel) -> int:
    """Threads per fit when none are asked for: one for a small panel, every available CPU for a big one."""
    rows = panel.sales.shape[0] * panel.sales.shape[1] * panel.frequency.max_horizon  # the design's size, at most
    return available_threads() if rows >= PARALLEL_ROWS else 1


@contextmanager
def _step(model_key: str, doing: str) -> Iterator[None]:
    """A library's failure while `doing` becomes this model's TrainingError, naming the step."""
    try:
        yield
    except (TrainingError, ComputeUnavailableError):
        raise
    except Exception as exc:
        raise TrainingError(f"{model_key} failed during {doing}: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class _Table:
    panel: Panel
    data: PanelData
    shared: Any  # the data as the runner's tasks take it
    trees: DistributedTrees | None  # the design in parts on the cluster, with --distributed-fit


def _parts(key: str, frequency: Frequency) -> tuple[str, ...]:
    """The members whose windows a model needs: its own, or those the ensemble chooses from."""
    member = MEMBERS[key]
    return member.components(frequency) if isinstance(member, Ensemble) else (key,)


class ForecastingModelTrainer:
    """ModelTrainer for the portfolio's members on a regular panel of series."""

    def __init__(self, threads: int | None = None, runner: TaskRunner | None = None,
                 distributed_fit: bool = False, design_rows: int | None = None) -> None:
        self._budget = design_rows or DESIGN_ROWS
        self._threads = threads  # None: default_threads of each table in this process, 1 per task on workers
        self._runner: TaskRunner = runner or InProcessRunner()
        if distributed_fit and not isinstance(self._runner, DaskRunner):
            raise InvalidValueError("--distributed-fit trains on a Dask cluster: give --jobs N or --scheduler")
        self._distributed_fit = distributed_fit
        self._tables: dict[str, _Table] = {}
        self._forecasts: dict[tuple[str, str, EvaluationProtocol], Forecasts] = {}
        self._pending: dict[tuple[str, str, EvaluationProtocol], dict[int, Pending[Window]]] = {}

    def _table(self, table: SalesTable) -> _Table:
        if table.info.sha256 not in self._tables:  # one design per table, not per member
            data = PanelData.of(table, self._budget)
            shared = self._runner.share(data)
            trees = (DistributedTrees(self._runner.client(), shared, len(table.panel.series),
                                      len(FEATURES) + len(table.layout.feature_names()))
                     if self._distributed_fit and isinstance(self._runner, DaskRunner) else None)
            self._tables = {table.info.sha256: _Table(table.panel, data, shared, trees)}
            self._forecasts, self._pending = {}, {}
        return self._tables[table.info.sha256]

    def prepare(self, model_keys: Sequence[str], table: SalesTable, protocol: EvaluationProtocol,
                progress: Progress) -> None:
        """Submit every window of these models (an ensemble's: its members'), in the order they are asked for."""
        keys = [part for key in model_keys if key in MEMBERS for part in _parts(key, table.info.frequency)]
        protocol.check_length(table.info.periods)
        origins = Origins.of(protocol, table.info.periods)
        for key in dict.fromkeys(keys):
            self._submitted(key, table, origins, protocol)
        if not isinstance(self._runner, InProcessRunner):
            count = sum(len(p) for p in self._pending.values())
            progress(f"{count} fits of {len(dict.fromkeys(keys))} model(s) run {self._runner.describe()}")
        if self._distributed_fit:
            progress("lightgbm and xgboost fit with lightgbm.dask and xgboost.dask on a design in parts on the workers")

    def _submitted(self, key: str, table: SalesTable, origins: Origins,
                   protocol: EvaluationProtocol) -> dict[int, Pending[Window]]:
        cached = (table.info.sha256, key, protocol)
        if cached not in self._pending:
            known = self._table(table)
            slots = self._runner.slots()
            threads = self._threads or (default_threads(known.panel) if slots == 1 else 1)
            if known.trees is not None and key in DISTRIBUTED:  # fitted from here, on the whole cluster, when due
                later = InProcessRunner()
                self._pending[cached] = {origin: later.submit(known.trees.window, key, known.data, origin,
                                                              protocol.horizon, origin in origins.kept)
                                         for origin in origins.all}
            else:
                self._pending[cached] = {
                    origin: self._runner.submit(forecast_window, key, known.shared, origin, protocol.horizon, threads,
                                                origin in origins.kept)
                    for origin in origins.all}
        return self._pending[cached]

    def train(
        self, model_key: str, table: SalesTable, protocol: EvaluationProtocol, progress: Progress
    ) -> TrainedModel:
        if model_key not in MEMBERS:
            raise TrainingError(f"unknown model {model_key!r}; known: {', '.join(MEMBERS)}")
        if protocol.frequency != table.info.frequency:
            raise TrainingError(f"the protocol is for a {protocol.frequency.name} panel, the table is "
                                f"{table.info.frequency.name}")
        protocol.check_length(table.info.periods)
        panel = table.panel
        origins = Origins.of(protocol, len(panel.periods))
        found = self._forecasts_of(model_key, table, origins, protocol, progress)
        fallbacks = baseline_windows(found, origins, len(panel.series))
        for line in fallbacks.values():
            progress(line)
        with _step(model_key, "scoring the windows"):
            evidence = evaluate(panel.sales, panel.series, found, origins, protocol.horizon, protocol.season)
        with _step(model_key, "packaging the model"):
            servable = self._servable(model_key, table.info.name, self._table(table), found, origins)
        with _step(model_key, "writing artifacts"):
            files = artifacts.files(model_key, panel, found, origins, protocol, evidence)
        periods, offered = panel.period_list(), table.layout
        return TrainedModel(
            model_key=model_key,
            params={**artifacts.params(MEMBERS[model_key], periods, found, origins, protocol),
                    "interval_windows": servable.calibration.describe(),
                    **({"covariates": describe(servable.layout.covariates())} if offered else {})},
            metrics=evidence.metrics,
            artifacts=files,
            servable=servable,
            tags={
                SERIES_ERRORS_TAG: artifacts.SERIES_ERRORS_ARTIFACT,
                WINDOWS_TAG: ",".join(f"{origins.split(o)}={periods[o]}" for o in origins.scored),
                BASELINE_SERIES_TAG: str(int(found.baseline[origins.final].sum())),
                **({BASELINE_WINDOWS_TAG: "; ".join(fallbacks.values())} if fallbacks else {}),
                **({COVARIATES_TAG: covariates_note(servable.member, offered, servable.layout)} if offered else {}),
            },
        )

    def _forecasts_of(self, key: str, table: SalesTable, origins: Origins, protocol: EvaluationProtocol,
                      progress: Progress) -> Forecasts:
        cached = (table.info.sha256, key, protocol)
        if cached in self._forecasts:
            return self._forecasts[cached]
        member, found, known = MEMBERS[key], Forecasts(), self._table(table)
        if isinstance(member, Ensemble):
            parts = {}
            for part in member.components(table.info.frequency):
                if (table.info.sha256, part, protocol) not in self._forecasts:
                    progress(f"forecasts of {part}, a member of the ensemble")
                parts[part] = self._forecasts_of(part, table, origins, protocol, lambda message: None)
            with _step(key, "scoring its members' windows"):
                scores = window_scores(known.data.sales, {m: parts[m].grids for m in parts}, origins.scored,
                                       protocol.horizon, protocol.season)
            for origin in origins.all:
                with _step(key, origins.step(origin)):
                    member.combine(parts, scores, origins.scored, protocol.horizon, origin, found)
        else:
            pending, periods = self._submitted(key, table, origins, protocol), known.panel.period_list()
            for origin in origins.all:
                progress(origins.describe(origin, periods, protocol))
                with _step(key, origins.step(origin)):
                    found.add(origin, pending[origin].result())
            del self._pending[cached]  # what the tasks held (and returned) is in `found` now
        self._forecasts[cached] = found
        return found

    @staticmethod
    def _servable(model_key: str, dataset: str, known: _Table, found: Forecasts,
                  origins: Origins) -> PortfolioForecaster:
        """The member fitted at the last period, its forecast from there for every step up to the
        horizon limit, its interval from every scored window, and the training table."""
        panel, member = known.panel, found.fitted[origins.final].for_serving()
        return PortfolioForecaster(
            model_key=model_key, dataset=dataset, member=member, seasonality=known.data.seasonality,
            series=panel.series, periods=panel.periods, predictions=found.grids[origins.final].T.copy(),
            baseline=found.baseline[origins.final].copy(), history=panel.sales,
            calibration=calibrate(panel.sales, [(o, found.grids[o]) for o in origins.scored], origins.final),
            history_periods=member.history_periods(), requirements=artifacts.requirements(model_key),
            layout=used_covariates(member, known.data.layout),
            static={name: dict(zip(map(str, panel.series), known.data.covariates.static[:, k].tolist()))
                    for k, name in enumerate(known.data.layout.static)})


def baseline_windows(found: Forecasts, origins: Origins, series: int) -> dict[int, str]:
    """Per window where the baseline forecast some series, a line saying so (and why, when the member
    had no row to learn from)."""
    lines = {}
    for origin in origins.all:
        count = int(found.baseline[origin].sum())
        if not count:
            continue
        why = "no row to learn from before its origin" if origin in found.unlearnt else "too short for its features"
        lines[origin] = f"{origins.step(origin)}: {count:,} of {series:,} series forecast by the baseline ({why})"
    return lines
