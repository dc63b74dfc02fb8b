"""Retrain: the portfolio trained again on the actuals to date, and the champion replaced only when
the evidence says the new version is better."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from application.actuals import choose_dataset
from application.ports import ActualsStore, ForecastModel, History, Locks, ModelRegistry, Progress, RunSource
from application.serving import PromoteModel, PromoteRequest, ServedModels, best_champion
from application.train import TrainingReport, TrainModels, TrainRequest
from domain.errors import BusyError, InvalidValueError, TrainingError, UnknownModelError
from domain.forecasts import SeriesHistory
from domain.models import CHAMPION, ModelVersion, Promotion
from domain.significance import wilcoxon
from domain.training import COMBINATION

ALPHA = 0.05  # the significance a challenger's lead on the newest periods needs


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrainRequest:
    training: TrainRequest  # without data_path: the dataset's actuals to date
    who: str
    dataset: str | None = None  # None: the actuals store's only dataset


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrainReport:
    dataset: str
    training: TrainingReport | None  # None: nothing was new, nothing trained
    champion: ModelVersion | None  # what `champion` points at when it ends
    challenger: ModelVersion | None
    promotion: Promotion | None
    verdict: str  # why the champion moved or stayed, in words


@dataclass(frozen=True, slots=True, kw_only=True)
class _Window:
    """The newest settled periods: the challenger's test window."""

    origin: date
    periods: tuple[date, ...]


def _mape_by_series(forecasts: Mapping[tuple[str, date], float], actuals: Mapping[tuple[str, date], float],
                    window: _Window) -> dict[str, float]:
    found: dict[str, list[float]] = {}
    for (series, period), actual in actuals.items():
        if period in window.periods and actual != 0 and (series, period) in forecasts:
            found.setdefault(series, []).append(abs(forecasts[(series, period)] - actual) / abs(actual))
    return {s: 100 * sum(v) / len(v) for s, v in found.items()}


class Challenge:
    """Rules: the champion is the best champion trained on the dataset (as the API picks its default);
    the challenger is the new version of the same model. Both are judged on the newest settled periods
    (the challenger's test window) from the same origin: the challenger by its out-of-sample test-window
    errors, the champion by its forecast from the actuals up to that origin. The challenger is promoted
    only when its MAPE there is lower and the gap holds under the Wilcoxon signed-rank test on the
    series' errors (p < ALPHA); without a champion on the dataset the new ensemble version is promoted
    (else the best new version), as `run` does. The promotion records the evidence."""

    def __init__(self, registry: ModelRegistry, models: ServedModels, runs: RunSource, store: ActualsStore,
                 promote: PromoteModel) -> None:
        self._registry, self._models, self._runs, self._store, self._promote = registry, models, runs, store, promote

    def _champion(self, dataset: str) -> ModelVersion | None:
        champions = []
        for entry in self._registry.models():
            if CHAMPION in entry.aliases:
                version = self._models.resolve(entry.name, CHAMPION)
                if self._models.model(version).dataset == dataset:
                    champions.append((version, self._registry.evaluation_metrics(version)))
        best = best_champion((v.name, m) for v, m in champions)
        return next((v for v, _ in champions if v.name == best), None)

    def __call__(self, training: TrainingReport, who: str, progress: Progress) -> tuple[
            ModelVersion | None, ModelVersion | None, Promotion | None, str]:
        dataset = training.dataset.name
        champion = self._champion(dataset)
        trained = {o.model: (o.version, o) for o in training.outcomes if o.version is not None and not o.error}
        if not trained:
            return champion, None, None, "no new version was registered (--no-register, or every model failed)"
        if champion is None:
            if COMBINATION in trained:
                version, best = trained[COMBINATION]
                return self._promoted(version, f"no champion on {dataset} yet: the new {COMBINATION} version, as "
                                               f"`run` promotes (overall MAPE "
                                               f"{best.metrics.get('overall_mape', math.nan):.4g})", who)
            version, best = min(trained.values(), key=lambda found: found[1].metrics.get("overall_mape", math.inf))
            return self._promoted(version, f"no champion on {dataset} yet: the best new version by overall MAPE "
                                           f"({best.metrics.get('overall_mape', math.nan):.4g})", who)
        if champion.name not in trained:
            return champion, None, None, (f"kept {champion.name} version {champion.version}: {champion.name} was "
                                          "not retrained (see --models)")
        version, outcome = trained[champion.name]
        return self._judged(champion, version, outcome.run_id, training, who, progress)

    def _judged(self, champion: ModelVersion, challenger: ModelVersion, run_id: str, training: TrainingReport,
                who: str, progress: Progress) -> tuple[ModelVersion, ModelVersion, Promotion | None, str]:
        frequency = training.dataset.frequency
        horizon = training.protocol.horizon
        window = _Window(origin=frequency.next(training.dataset.last_period, -horizon),
                         periods=frequency.after(frequency.next(training.dataset.last_period, -horizon), horizon))
        history = self._store.history(training.dataset.name)
        rows = list(zip(*history.rows()))
        actuals = {(s, d): v for s, d, v in rows if d in window.periods and not math.isnan(v)}
        model = self._models.model(champion)
        mine = _forecasts(model, history, window, horizon)
        theirs = {s: errors["mape"] for s, errors in self._runs.series_errors([run_id]).get(run_id, {}).items()
                  if "mape" in errors and math.isfinite(errors["mape"])}
        ours = _mape_by_series(mine, actuals, window)
        paired = sorted(set(ours) & set(theirs))
        progress(f"{champion.name}: champion version {champion.version} against version {challenger.version} on "
                 f"{len(paired)} series over the {horizon} newest periods from {window.origin}")
        return _verdict(champion, challenger, paired, ours, theirs, window, who, self._promote)

    def _promoted(self, version: ModelVersion, why: str, who: str) -> tuple[
            ModelVersion, ModelVersion, Promotion, str]:
        promotion = self._promote(PromoteRequest(name=version.name, version=str(version.version), alias=CHAMPION,
                                                 who=who, evidence=why))
        return self._registry.resolve(version.name, CHAMPION), version, promotion, f"promoted: {why}"


def _forecasts(model: ForecastModel, history: History, window: _Window, horizon: int) -> dict[
        tuple[str, date], float]:
    """The model's forecasts of the window from the values up to its origin; a model with covariates is
    given theirs, and the window's values of the future ones (rows with an empty value)."""
    ids, dates, values = history.rows()
    columns = history.columns() if model.covariates else {}
    kept = [i for i, d in enumerate(dates) if d <= window.origin or (columns and d in window.periods)]
    if not kept:
        return {}
    given = SeriesHistory(series_ids=tuple(ids[i] for i in kept), dates=tuple(dates[i] for i in kept),
                          values=tuple(values[i] if dates[i] <= window.origin else math.nan for i in kept),
                          covariates={name: tuple(column[i] for i in kept) for name, column in columns.items()})
    return {(p.series_id, p.date): p.prediction for p in model.forecast_history(given, None, horizon, None)}


def _verdict(champion: ModelVersion, challenger: ModelVersion, paired: list[str], ours: Mapping[str, float],
             theirs: Mapping[str, float], window: _Window, who: str,
             promote: PromoteModel) -> tuple[ModelVersion, ModelVersion, Promotion | None, str]:
    if len(paired) < 2:
        return champion, challenger, None, (f"kept {champion.name} version {champion.version}: {len(paired)} series "
                                            "settled in both forecasts, too few to compare")
    mean_new = sum(theirs[s] for s in paired) / len(paired)
    mean_old = sum(ours[s] for s in paired) / len(paired)
    try:
        test = wilcoxon([theirs[s] for s in paired], [ours[s] for s in paired], metric="mape", paired_by="series")
        p_value = test.p_value
    except InvalidValueError:  # identical errors: no gap at all
        p_value = 1.0
    evidence = (f"on the {len(window.periods)} newest periods from {window.origin} ({len(paired)} series): "
                f"version {challenger.version} MAPE {mean_new:.4g}% (its test window), version {champion.version} "
                f"{mean_old:.4g}% (forecast from the same origin); Wilcoxon signed-rank p = {p_value:.3g}")
    if mean_new < mean_old and p_value < ALPHA:
        promotion = promote(PromoteRequest(name=challenger.name, version=str(challenger.version), alias=CHAMPION,
                                           who=who, evidence=evidence))
        return challenger, challenger, promotion, f"promoted version {challenger.version}: {evidence}"
    reason = "not better" if mean_new >= mean_old else f"better but not significantly (p >= {ALPHA})"
    return champion, challenger, None, f"kept version {champion.version}: the challenger is {reason}: {evidence}"


class Retrain:
    """Rules: one retrain at a time (another one, from cron or a person, stops at once saying so);
    on a table given with --data, or else the actuals to date of the dataset named (the store's only
    one by default); nothing is trained when no actuals arrived since the dataset's last training;
    what is trained is registered, and the Challenge decides the champion."""

    def __init__(self, train: TrainModels, challenge: Challenge, store: ActualsStore, locks: Locks) -> None:
        self._train, self._challenge, self._store, self._locks = train, challenge, store, locks

    def __call__(self, request: RetrainRequest, progress: Progress = lambda message: None) -> RetrainReport:
        with self._locks.attempt("retrain") as held:
            if not held:
                raise BusyError("another retrain is running on this machine; this one did nothing")
            training = request.training
            if training.data_path is None:
                found = choose_dataset(self._store, request.dataset)
                if found is None:
                    named = f" {request.dataset!r}" if request.dataset else ""
                    raise UnknownModelError(f"the actuals store {self._store.describe()} holds no dataset{named}: "
                                            "`train` or `actuals add` stores one")
                trained = self._store.trained(found.name)
                if trained >= found.revision:
                    return RetrainReport(dataset=found.name, training=None, champion=None, challenger=None,
                                         promotion=None, verdict=f"no new actuals of {found.name} since its last "
                                                                 f"training (revision {trained}): nothing trained")
                progress(f"{found.name}: actuals at revision {found.revision}, last trained at {trained}")
                training = replace(training, actuals=found.name)
            report = self._train(training, progress)
            if len(report.failed) == len(report.outcomes):
                raise TrainingError("no model trained: " + "; ".join(f"{o.model}: {o.error}" for o in report.failed))
            champion, challenger, promotion, verdict = self._challenge(report, request.who, progress)
            return RetrainReport(dataset=report.dataset.name, training=report, champion=champion,
                                 challenger=challenger, promotion=promotion, verdict=verdict)
