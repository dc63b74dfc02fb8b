"""TrainModels over the real MLflow tracker: a model that fails leaves the others intact."""

from __future__ import annotations

from adapters.filesystem.sales_csv import CsvSalesSource
from adapters.forecasting.synthetic import synthetic_walmart
from adapters.forecasting.trainer import ForecastingModelTrainer
from adapters.mlflow.tracker import MlflowExperimentTracker
from application.monitoring import TrainingLedger
from application.train import TrainModels, TrainRequest
from domain.errors import TrainingError
from tests.support import by_model, duckdb_actuals, every_experiment


class FailingFor:
    """The real trainer, except that one model breaks halfway through its training."""

    def __init__(self, broken: str) -> None:
        self._real, self._broken = ForecastingModelTrainer(), broken

    def prepare(self, model_keys, dataset, protocol, progress):
        self._real.prepare([k for k in model_keys if k != self._broken], dataset, protocol, progress)

    def train(self, model_key, dataset, protocol, progress):
        if model_key == self._broken:
            progress("backtest fold 1/4")
            raise TrainingError(f"{model_key} failed to fit: injected failure")
        return self._real.train(model_key, dataset, protocol, progress)


def test_a_failed_model_is_marked_failed_and_the_others_are_kept(store, tmp_path):
    csv = tmp_path / "sales.csv"
    synthetic_walmart(stores=3).to_csv(csv, index=False)
    messages: list[str] = []
    train = TrainModels(CsvSalesSource(), FailingFor("lightgbm"), MlflowExperimentTracker(store.uri),
                        TrainingLedger(*duckdb_actuals(store.folder)))
    report = train(TrainRequest(models=("seasonal_naive", "lightgbm"), data_path=str(csv)), progress=messages.append)

    assert [o.model for o in report.failed] == ["lightgbm"]
    assert "injected failure" in report.failed[0].error
    client = store.client()
    runs = by_model(client.search_runs(every_experiment(client)))
    assert runs["LightGBM"].info.status == "FAILED"
    assert runs["SeasonalNaive"].info.status == "FINISHED"
    assert client.get_model_version("seasonal_naive", "1").run_id == runs["SeasonalNaive"].info.run_id
    assert client.search_registered_models(filter_string="name='lightgbm'") == []
    assert "[2/2] lightgbm: FAILED: lightgbm failed to fit: injected failure" in messages


def test_training_again_adds_runs_and_versions(store, tmp_path):
    csv = tmp_path / "sales.csv"
    synthetic_walmart(stores=3).to_csv(csv, index=False)
    train = TrainModels(CsvSalesSource(), ForecastingModelTrainer(), MlflowExperimentTracker(store.uri),
                        TrainingLedger(*duckdb_actuals(store.folder)))
    request = TrainRequest(models=("seasonal_naive",), data_path=str(csv))
    first, second = train(request), train(request)
    assert (first.outcomes[0].version.version, second.outcomes[0].version.version) == (1, 2)
    client = store.client()
    assert len(client.search_runs(every_experiment(client))) == 2


class BrokenAtPredict:
    """LightGBM whose predictions fail, as a library bug at predict time would."""

    def __new__(cls, threads: int):
        from adapters.forecasting.estimators import LightGbm

        class Broken(LightGbm):
            def predict(self, X):
                raise RuntimeError("injected predict failure")

        return Broken(threads)


def _train_two(store, tmp_path):
    csv = tmp_path / "sales.csv"
    synthetic_walmart(stores=3).to_csv(csv, index=False)
    train = TrainModels(CsvSalesSource(), ForecastingModelTrainer(), MlflowExperimentTracker(store.uri),
                        TrainingLedger(*duckdb_actuals(store.folder)))
    return train(TrainRequest(models=("lightgbm", "seasonal_naive"), data_path=str(csv)))


def _statuses(store) -> dict[str, str]:
    client = store.client()
    found = client.search_runs(every_experiment(client))
    return {model: run.info.status for model, run in by_model(found).items()}


def test_a_library_failure_at_predict_time_fails_that_model_only(store, tmp_path, monkeypatch):
    from adapters.forecasting import estimators

    monkeypatch.setitem(estimators.ESTIMATORS, "lightgbm", BrokenAtPredict)
    report = _train_two(store, tmp_path)
    assert [o.model for o in report.failed] == ["lightgbm"]
    assert report.failed[0].error == (
        "lightgbm failed during backtest fold 1: RuntimeError: injected predict failure")
    assert _statuses(store) == {"LightGBM": "FAILED", "SeasonalNaive": "FINISHED"}
    assert store.client().get_model_version("seasonal_naive", "1").run_id == report.outcomes[1].run_id


def test_a_plotting_failure_fails_that_model_only(store, tmp_path, monkeypatch):
    from adapters.forecasting import plots

    real = plots.forecast_vs_actual

    def broken_for_lightgbm(*args):
        if args[-2].startswith("LightGBM"):  # the title
            raise ValueError("injected plotting failure")
        return real(*args)

    monkeypatch.setattr(plots, "forecast_vs_actual", broken_for_lightgbm)
    report = _train_two(store, tmp_path)
    assert [(o.model, o.error) for o in report.failed] == [
        ("lightgbm", "lightgbm failed during writing artifacts: ValueError: injected plotting failure")]
    assert _statuses(store) == {"LightGBM": "FAILED", "SeasonalNaive": "FINISHED"}
    assert store.client().search_registered_models(filter_string="name='lightgbm'") == []
