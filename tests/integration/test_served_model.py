"""The API's table-backed model answers exactly what the registered pyfunc model answers."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from adapters.mlflow.registry import MlflowModelLoader
from domain.errors import UnknownStoreError
from domain.models import ModelVersion


@pytest.mark.parametrize("model", ["lightgbm", "seasonal_naive"])
def test_table_matches_the_pyfunc_model(synthetic_training, model):
    store, _, _ = synthetic_training
    served = MlflowModelLoader(store.uri).load(ModelVersion(name=model, version=1))
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{model}/1")
    for confidence in (0.5, 0.9, 0.99):
        expected = pyfunc.predict(pd.DataFrame({"store_id": [9, 3], "horizon": [13, 13], "confidence_level": [confidence] * 2}))
        points = served.forecast([9, 3], 13, confidence)
        got = pd.DataFrame([(p.store_id, p.step, p.date.isoformat(), p.prediction, p.lower, p.upper) for p in points],
                           columns=expected.columns)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    plain = served.forecast([1], 52, None)
    assert len(plain) == 52 and all(p.lower is None for p in plain)
    np.testing.assert_allclose([p.prediction for p in plain], pyfunc.predict(pd.DataFrame({"store_id": [1], "horizon": [52]})).prediction)
    with pytest.raises(UnknownStoreError, match="knows stores 1..45"):
        served.forecast([46], 3, 0.9)
