"""The one composition root: every adapter and use case is wired here.

Adapters are named by import path and imported when first built, so a command pays only for
the libraries it uses (`benchmark --source duckdb` never imports MLflow or the model libraries).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from dependency_injector import containers, providers

from application.actuals import LatestActuals, ReadActuals, RecordActuals
from application.batch import ForecastAll
from application.benchmark import BenchmarkRuns, RankRuns
from application.breaker import BreakerRegistry
from application.dashboard import DescribeRegistry, ForecastSeries, ReadHistory, ReadPredictions
from application.monitoring import MeasureAccuracy, MeasureServed, ReadServed, TrainingLedger
from application.portfolio import RunPortfolio
from application.retrain import Challenge, Retrain
from application.serving import (
    CheckHealth,
    DescribeModel,
    ForecastSales,
    ListModels,
    ListPromotions,
    PromoteModel,
    ServedModels,
)
from application.sync import SyncWarehouse
from application.train import TrainModels
from entrypoints.config import Settings


def adapter(path: str) -> Callable[..., Any]:
    """A factory for the class at `package.module.Class`, imported on first call."""
    module, _, name = path.rpartition(".")

    def build(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    build.__qualname__ = build.__name__ = name
    return build


def buffered(log: Any) -> Iterator[Any]:
    """The forecast log of served forecasts, written in batches and flushed when resources shut down."""
    built = adapter("adapters.actuals.buffered.BufferedForecastLog")(log)
    try:
        yield built
    finally:
        built.close()


def runner(path: str, **options: Any) -> Iterator[Any]:
    """A TaskRunner for the container's lifetime, closed (its local workers stopped) when resources shut down."""
    built = adapter(path)(**options)
    try:
        yield built
    finally:
        built.close()


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()
    settings = providers.Dependency(instance_of=Settings)

    task_runner = providers.Selector(
        config.compute,
        inprocess=providers.Resource(runner, "adapters.compute.inprocess.InProcessRunner"),
        dask=providers.Resource(runner, "adapters.compute.dask.DaskRunner", address=config.scheduler,
                                jobs=config.jobs),
    )
    sales_source = providers.Singleton(adapter("adapters.filesystem.sales_csv.CsvSalesSource"))
    actuals_store = providers.Selector(
        config.actuals_kind,
        duckdb=providers.Singleton(adapter("adapters.actuals.store.DuckDbActualsStore"), path=config.actuals),
        postgresql=providers.Singleton(adapter("adapters.actuals.store.PostgresActualsStore"), uri=config.actuals),
    )
    forecast_log = providers.Selector(
        config.actuals_kind,
        duckdb=providers.Singleton(adapter("adapters.actuals.log.DuckDbForecastLog"), path=config.actuals),
        postgresql=providers.Singleton(adapter("adapters.actuals.log.PostgresForecastLog"), uri=config.actuals),
    )
    served_log = providers.Resource(buffered, forecast_log)  # what the API and `forecast` serve, written in batches
    ledger = providers.Factory(TrainingLedger, store=actuals_store, log=forecast_log)
    latest_actuals = providers.Singleton(LatestActuals, store=actuals_store)
    trainer = providers.Singleton(adapter("adapters.forecasting.trainer.ForecastingModelTrainer"),
                                  threads=config.threads, runner=task_runner, distributed_fit=config.distributed_fit,
                                  design_rows=config.design_rows)
    tracker = providers.Singleton(
        adapter("adapters.mlflow.tracker.MlflowExperimentTracker"), tracking_uri=config.tracking_uri
    )

    mlflow_runs = providers.Singleton(
        adapter("adapters.mlflow.runs.MlflowRunRepository"), tracking_uri=config.tracking_uri
    )
    warehouse = providers.Singleton(adapter("adapters.duckdb.warehouse.DuckDbRunRepository"), path=config.warehouse)
    json_runs = providers.Singleton(
        adapter("adapters.filesystem.results_json.JsonRunRepository"), path=config.results_json
    )
    run_source = providers.Selector(config.source, mlflow=mlflow_runs, duckdb=warehouse, json=json_runs)
    results_writer = providers.Singleton(adapter("adapters.filesystem.results_writer.FilesystemResultsWriter"))

    train_models = providers.Factory(TrainModels, sales=sales_source, trainer=trainer, tracker=tracker, ledger=ledger)
    rank_runs = providers.Factory(RankRuns, source=run_source)
    benchmark_runs = providers.Factory(BenchmarkRuns, rank=rank_runs, writer=results_writer, history=warehouse)
    sync_warehouse = providers.Factory(SyncWarehouse, feed=mlflow_runs, warehouse=warehouse)

    mlflow_registry = providers.Singleton(
        adapter("adapters.mlflow.registry.MlflowModelRegistry"), tracking_uri=config.tracking_uri
    )
    model_registry = providers.Singleton(BreakerRegistry, registry=mlflow_registry)  # answers in bounded time
    model_loader = providers.Singleton(
        adapter("adapters.mlflow.loader.MlflowModelLoader"), tracking_uri=config.tracking_uri
    )
    served_models = providers.Singleton(ServedModels, registry=model_registry, loader=model_loader)
    forecast_sales = providers.Factory(ForecastSales, registry=model_registry, models=served_models,
                                       latest=latest_actuals, log=served_log)
    record_actuals = providers.Factory(RecordActuals, store=actuals_store)
    read_actuals = providers.Factory(ReadActuals, store=actuals_store)
    measure_accuracy = providers.Factory(MeasureAccuracy, registry=model_registry, models=served_models,
                                         log=forecast_log, store=actuals_store)
    measure_served = providers.Factory(MeasureServed, registry=model_registry, models=served_models,
                                       measure=measure_accuracy)
    read_served = providers.Factory(ReadServed, log=served_log, store=actuals_store)
    list_models = providers.Factory(ListModels, registry=model_registry)
    describe_model = providers.Factory(DescribeModel, registry=model_registry, models=served_models)
    locks = providers.Singleton(adapter("adapters.filesystem.locks.FileLocks"), scope=config.tracking_uri)
    promote_model = providers.Factory(PromoteModel, registry=model_registry, models=served_models, locks=locks)
    forecast_writer = providers.Singleton(adapter("adapters.filesystem.forecasts_parquet.ParquetForecastWriter"))
    history_source = providers.Singleton(adapter("adapters.filesystem.sales_csv.CsvHistorySource"))
    forecast_all = providers.Factory(ForecastAll, models=served_models, runner=task_runner, writer=forecast_writer,
                                     latest=latest_actuals, log=served_log)
    list_promotions = providers.Factory(ListPromotions, registry=model_registry)
    check_health = providers.Factory(CheckHealth, registry=model_registry, models=served_models)
    challenge = providers.Factory(Challenge, registry=model_registry, models=served_models, runs=mlflow_runs,
                                  store=actuals_store, promote=promote_model)
    retrain = providers.Factory(Retrain, train=train_models, challenge=challenge, store=actuals_store, locks=locks)
    run_portfolio = providers.Factory(
        RunPortfolio, train=train_models, benchmark=benchmark_runs, registry=model_registry, promote=promote_model
    )

    # The dashboard switches its run source per session: each source by name, beside the Selector.
    run_sources = providers.Aggregate(mlflow=mlflow_runs, duckdb=warehouse, json=json_runs)
    describe_registry = providers.Factory(DescribeRegistry, registry=model_registry)
    forecast_series = providers.Factory(ForecastSeries, forecast=forecast_sales, models=served_models)
    predictions_reader = providers.Singleton(adapter("adapters.filesystem.predictions_csv.CsvPredictionsReader"))
    read_predictions = providers.Factory(ReadPredictions, reader=predictions_reader)
    read_history = providers.Factory(ReadHistory, source=history_source)


def create_container(settings: Settings) -> Container:
    container = Container(settings=providers.Object(settings))
    container.config.from_dict(
        {"tracking_uri": settings.tracking_uri, "warehouse": settings.warehouse, "source": settings.source,
         "results_json": settings.results_json, "threads": settings.threads, "compute": settings.compute,
         "scheduler": settings.scheduler, "jobs": None if settings.scheduler else settings.jobs,
         "distributed_fit": settings.distributed_fit, "design_rows": settings.design_rows,
         "actuals": settings.actuals, "actuals_kind": settings.actuals_kind}
    )
    return container
