"""One contract for the TaskRunner port: this process, and a real local Dask cluster of two worker processes."""

from __future__ import annotations

import os

import numpy as np
import pytest

from adapters.compute.dask import DaskRunner
from adapters.compute.inprocess import InProcessRunner
from domain.errors import ComputeUnavailableError, TrainingError


def scaled(shared: np.ndarray, factor: float) -> tuple[float, int]:
    return float((shared * factor).sum()), os.getpid()


def broken(shared: np.ndarray) -> None:
    raise TrainingError("this task fails")


@pytest.fixture(scope="module", params=["inprocess", "dask"])
def runner(request):
    made = InProcessRunner() if request.param == "inprocess" else DaskRunner(jobs=2)
    yield made
    made.close()


def test_tasks_get_the_shared_value_and_return_their_results(runner):
    shared = runner.share(np.arange(1_000, dtype=float))
    pending = [runner.submit(scaled, shared, factor) for factor in (1.0, 2.0, 3.0)]
    results = [task.result() for task in pending]
    assert [value for value, _ in results] == [499_500.0, 999_000.0, 1_498_500.0]
    where = {pid for _, pid in results}
    assert (where == {os.getpid()}) == isinstance(runner, InProcessRunner)  # a cluster runs them elsewhere
    assert runner.slots() == (1 if isinstance(runner, InProcessRunner) else 2)


def test_what_a_task_raises_is_raised_where_its_result_is_asked_for(runner):
    task = runner.submit(broken, runner.share(np.zeros(3)))
    with pytest.raises(TrainingError, match="this task fails"):
        task.result()


def test_an_in_process_task_runs_when_its_result_is_first_asked_for():
    calls = []
    task = InProcessRunner().submit(calls.append, "ran")
    assert calls == []
    task.result()
    task.result()
    assert calls == ["ran"]


def test_a_scheduler_nobody_runs_is_one_clear_error():
    from tests.conftest import free_port

    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ComputeUnavailableError, match=f"cannot reach the Dask scheduler at {address}"):
        DaskRunner(address=address).share(1)
