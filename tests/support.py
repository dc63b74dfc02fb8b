"""Runs described once, then logged into any store: MLflow (through the real client) or domain objects.

Also used by benchmarks/benchmark_query.py to build large tracking stores.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.frequency import WEEKLY_FRIDAY
from domain.runs import SERIES_ERRORS_TAG, Experiment, Run
from domain.training import MODEL_TYPES, skipped_because

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WEEKLY_MODELS = tuple(m for m in MODEL_TYPES if not skipped_because(m, WEEKLY_FRIDAY))  # what `all` trains weekly


@dataclass(frozen=True)
class RunSpec:
    name: str
    experiment: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    status: str = "FINISHED"
    minute: int = 0  # start time: T0 plus this many minutes; ends 3 minutes later if finished
    series_errors: Mapping[str, Mapping[str, float]] | None = None

    @property
    def start(self) -> datetime:
        return T0 + timedelta(minutes=self.minute)

    @property
    def end(self) -> datetime | None:
        return None if self.status in ("RUNNING", "SCHEDULED") else self.start + timedelta(minutes=3)

    def all_tags(self) -> dict[str, str]:
        return {**self.tags, **({SERIES_ERRORS_TAG: "per_series_errors.csv"} if self.series_errors else {})}


def series_errors_csv(errors: Mapping[str, Mapping[str, float]]) -> str:
    metrics = sorted({m for values in errors.values() for m in values})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["window", "series_id", *metrics])
    for series, values in sorted(errors.items()):
        writer.writerow(["test", series, *(values[m] for m in metrics)])
    return buffer.getvalue()


def ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def log_to_mlflow(client, specs: Iterable[RunSpec]) -> dict[str, str]:
    """Log the runs through MlflowClient, as any training script would; run name -> run id."""
    from mlflow.entities import Metric, Param, RunTag

    experiment_ids: dict[str, str] = {}
    ids = {}
    for spec in specs:
        if spec.experiment not in experiment_ids:
            found = client.get_experiment_by_name(spec.experiment)
            experiment_ids[spec.experiment] = (
                found.experiment_id if found else client.create_experiment(spec.experiment)
            )
        run = client.create_run(experiment_ids[spec.experiment], start_time=ms(spec.start), run_name=spec.name)
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, ms(spec.start), 0) for k, v in spec.metrics.items()],
            params=[Param(k, v) for k, v in spec.params.items()],
            tags=[RunTag(k, v) for k, v in spec.all_tags().items()],
        )
        if spec.series_errors:
            client.log_text(run_id, series_errors_csv(spec.series_errors), "per_series_errors.csv")
        if spec.end is not None:
            client.set_terminated(run_id, spec.status, end_time=ms(spec.end))
        ids[spec.name] = run_id
    return ids


def domain_objects(specs: Iterable[RunSpec]) -> tuple[list[Experiment], list[Run], dict]:
    """The same runs as domain objects; run ids are the run names."""
    specs = list(specs)
    names = list(dict.fromkeys(s.experiment for s in specs))
    experiments = [Experiment(experiment_id=str(i + 1), name=n) for i, n in enumerate(names)]
    ids = {e.name: e.experiment_id for e in experiments}
    runs = [
        Run(run_id=s.name, experiment_id=ids[s.experiment], name=s.name, status=s.status, start_time=s.start,
            end_time=s.end, metrics=s.metrics, params=s.params, tags=s.all_tags())
        for s in specs
    ]
    errors = {s.name: {k: dict(v) for k, v in s.series_errors.items()} for s in specs if s.series_errors}
    return experiments, runs, errors


def every_experiment(client) -> list[str]:
    """The ids of every experiment of a store: a run goes to the one named after its dataset."""
    return [e.experiment_id for e in client.search_experiments()]


def by_model(runs, key=lambda run: run.data.tags["model_type"]) -> dict:
    """MLflow runs by model; two runs of one model fail here rather than pass as one."""
    keys = [key(run) for run in runs]
    assert len(keys) == len(set(keys)), f"more than one run of a model: {sorted(keys)}"
    return dict(zip(keys, runs))


def write_predictions(path: Path, rows: int) -> None:
    """A CSV of date (by the minute), actual and predicted whose scores are known: every actual is
    100 and every prediction 10 away from it (MAPE 10 %, MAE 10, RMSE 10)."""
    import numpy as np
    import pandas as pd

    actual = np.full(rows, 100.0)
    predicted = actual + np.where(np.arange(rows) % 2 == 0, 10.0, -10.0)
    dates = pd.date_range("2000-01-01", periods=rows, freq="min").strftime("%Y-%m-%d %H:%M")
    pd.DataFrame({"date": dates, "actual": actual, "predicted": predicted}).to_csv(path, index=False)


def duckdb_actuals(folder: Path):
    """An actuals store and its forecast log in a DuckDB file of the folder (the embedded default)."""
    from adapters.actuals.log import DuckDbForecastLog
    from adapters.actuals.store import DuckDbActualsStore

    path = str(folder / "actuals.duckdb")
    return DuckDbActualsStore(path), DuckDbForecastLog(path)


def forecast_sales(registry, models, folder: Path):
    """ForecastSales over these fakes, with an actuals store (and log) of the folder's."""
    from application.actuals import LatestActuals
    from application.serving import ForecastSales

    store, log = duckdb_actuals(folder)
    return ForecastSales(registry, models, LatestActuals(store), log)


def newest_runs(store, experiment: str) -> dict:
    """The newest run of each model (by its `model` param) in an experiment of a store."""
    client = store.client()
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id],
                               order_by=["attributes.start_time DESC"])
    latest: dict = {}
    for run in found:
        latest.setdefault(run.data.params["model"], run)
    return latest
