"""TrainModels over the real MLflow tracker: a model that fails leaves the others intact."""

from __future__ import annotations

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.trainer import ForecastingModelTrainer
from adapters.mlflow.tracker import MlflowExperimentTracker
from application.train import TrainModels, TrainRequest
from domain.errors import TrainingError


class FailingFor:
    """The real trainer, except that one model breaks halfway through its training."""

    def __init__(self, broken: str) -> None:
        self._real, self._broken = ForecastingModelTrainer(), broken

    def train(self, model_key, dataset, protocol, progress):
        if model_key == self._broken:
            progress("backtest fold 1/4")
            raise TrainingError(f"{model_key} failed to fit: injected failure")
        return self._real.train(model_key, dataset, protocol, progress)


def test_a_failed_model_is_marked_failed_and_the_others_are_kept(store, tmp_path):
    csv = tmp_path / "sales.csv"
    synthetic_walmart(stores=3).to_csv(csv, index=False)
    messages: list[str] = []
    train = TrainModels(CsvSalesSource(), FailingFor("lightgbm"), MlflowExperimentTracker(store.uri))
    report = train(TrainRequest(models=("seasonal_naive", "lightgbm"), data_path=str(csv)), progress=messages.append)

    assert [o.model for o in report.failed] == ["lightgbm"]
    assert "injected failure" in report.failed[0].error
    client = store.client()
    runs = {r.data.tags["model_type"]: r for r in client.search_runs([client.get_experiment_by_name("walmart_sales_forecasting").experiment_id])}
    assert runs["LightGBM"].info.status == "FAILED"
    assert runs["SeasonalNaive"].info.status == "FINISHED"
    assert client.get_model_version("seasonal_naive", "1").run_id == runs["SeasonalNaive"].info.run_id
    assert client.search_registered_models(filter_string="name='lightgbm'") == []
    assert "[2/2] lightgbm: FAILED: lightgbm failed to fit: injected failure" in messages


def test_training_again_adds_runs_and_versions(store, tmp_path):
    csv = tmp_path / "sales.csv"
    synthetic_walmart(stores=3).to_csv(csv, index=False)
    train = TrainModels(CsvSalesSource(), ForecastingModelTrainer(), MlflowExperimentTracker(store.uri))
    request = TrainRequest(models=("seasonal_naive",), data_path=str(csv))
    first, second = train(request), train(request)
    assert (first.outcomes[0].version.version, second.outcomes[0].version.version) == (1, 2)
    client = store.client()
    assert len(client.search_runs([client.get_experiment_by_name("walmart_sales_forecasting").experiment_id])) == 2
