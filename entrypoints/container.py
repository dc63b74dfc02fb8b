"""The one composition root: every adapter and use case is wired here."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.trainer import ForecastingModelTrainer
from adapters.mlflow.tracker import MlflowExperimentTracker
from application.train import TrainModels
from entrypoints.config import Settings


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()

    sales_source = providers.Singleton(CsvSalesSource)
    trainer = providers.Singleton(ForecastingModelTrainer)
    tracker = providers.Singleton(MlflowExperimentTracker, tracking_uri=config.tracking_uri)

    train_models = providers.Factory(TrainModels, sales=sales_source, trainer=trainer, tracker=tracker)


def create_container(settings: Settings) -> Container:
    container = Container()
    container.config.from_dict({"tracking_uri": settings.tracking_uri})
    return container
