"""The API's table-backed model answers exactly what the registered pyfunc model answers."""

from __future__ import annotations

from datetime import timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest

from adapters.forecasting.synthetic import synthetic_walmart
from adapters.mlflow.loader import MlflowModelLoader
from domain.errors import InvalidValueError, UnknownSeriesError
from domain.models import ModelVersion


@pytest.mark.parametrize("model", ["lightgbm", "seasonal_naive"])
def test_table_matches_the_pyfunc_model(synthetic_training, model):
    store, _, _ = synthetic_training
    served = MlflowModelLoader(store.uri).load(ModelVersion(name=model, version=1))
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{model}/1")
    for confidence in (0.5, 0.9, 0.99):
        expected = pyfunc.predict(
            pd.DataFrame({"series_id": ["9", "3"], "horizon": [13, 13], "confidence_level": [confidence] * 2})
        )
        points = served.forecast(["9", "3"], 13, confidence)
        got = pd.DataFrame([(p.series_id, p.step, p.date.isoformat(), p.prediction, p.lower, p.upper) for p in points],
                           columns=expected.columns)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    plain = served.forecast(["1"], 52, None)
    assert len(plain) == 52 and all(p.lower is None for p in plain)
    np.testing.assert_allclose(
        [p.prediction for p in plain], pyfunc.predict(pd.DataFrame({"store_id": [1], "horizon": [52]})).prediction
    )
    with pytest.raises(UnknownSeriesError, match="knows 45 series: 1..45"):
        served.forecast(["46"], 3, 0.9)
    with pytest.raises(InvalidValueError, match="horizon must be in 1..52 weeks for this model, not 53"):
        served.forecast(["1"], 53, 0.9)


def test_history_is_the_tail_of_the_training_table_the_forecast_continues(synthetic_training):
    store, _, _ = synthetic_training
    served = MlflowModelLoader(store.uri).load(ModelVersion(name="lightgbm", version=1))
    table = synthetic_walmart()
    table["Date"] = pd.to_datetime(table.Date, format="%d-%m-%Y")
    sales = table[table.Store == 9].sort_values("Date")
    history = served.history("9")
    assert len(history) == 65
    assert [round(v, 2) for _, v in history] == [round(v, 2) for v in sales.Weekly_Sales.tail(65)]
    assert history[-1][0] == served.last_period == sales.Date.iloc[-1].date()
    assert served.forecast(["9"], 1, None)[0].date == history[-1][0] + timedelta(weeks=1)
    with pytest.raises(UnknownSeriesError, match="knows 45 series: 1..45"):
        served.history("0")
