"""DaskRunner: tasks on a Dask cluster (dask.distributed), given by its scheduler's address or
started here as a local cluster of `jobs` worker processes.

Rules: a shared value reaches every worker once (scattered to all of them, so a task that is run
again on another worker finds it there); a task whose worker dies is run again on another one
(the scheduler does that; a task that takes `allowed-failures` workers down with it is given
up); while no worker is left for LOST_AFTER seconds, or when the last one took a task's data with
it, waiting ends with ComputeUnavailableError.
Tasks get and return plain data: only this process talks to MLflow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from domain.errors import ComputeUnavailableError, masked

T = TypeVar("T")
LOST_AFTER = 20.0  # seconds without a worker before a wait gives up
POLL = 1.0  # seconds between looks at the cluster while a task runs
CONNECT = "10s"


class _Remote(Generic[T]):
    def __init__(self, runner: DaskRunner, future: Any) -> None:
        self._runner, self._future = runner, future

    def result(self) -> T:
        return self._runner.wait(self._future)


class DaskRunner:
    def __init__(self, address: str | None = None, jobs: int | None = None) -> None:
        if (address is None) == (jobs is None):
            raise ValueError("give the address of a scheduler or a number of local workers")
        self._address, self._jobs = address, jobs
        self._client: Any = None
        self._cluster: Any = None

    def describe(self) -> str:
        return f"on the Dask cluster {self._where}"

    @property
    def _where(self) -> str:
        return f"at {masked(self._address)}" if self._address else f"of {self._jobs} local worker processes"

    def _connect(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            try:
                if self._address:
                    self._client = Client(self._address, timeout=CONNECT, set_as_default=False)
                else:
                    self._cluster = LocalCluster(n_workers=self._jobs, threads_per_worker=1, processes=True,
                                                 dashboard_address=None, silence_logs=logging.ERROR)
                    self._client = Client(self._cluster, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ComputeUnavailableError(f"cannot reach the Dask scheduler {self._where}: "
                                              f"{str(exc).splitlines()[0]}") from exc
        return self._client

    def client(self) -> Any:
        """The distributed.Client, for libraries that train on the cluster themselves (lightgbm.dask)."""
        return self._connect()

    def _workers(self) -> dict[str, Any]:
        return dict(self._connect().scheduler_info(n_workers=-1).get("workers", {}))

    def slots(self) -> int:
        """Tasks that run at once: the threads of every worker."""
        return max(1, sum(int(w.get("nthreads", 1)) for w in self._workers().values()))

    def share(self, value: T) -> T:
        if not self._workers():
            raise ComputeUnavailableError(f"the Dask cluster {self._where} has no workers")
        shared: T = self._connect().scatter(value, broadcast=True, hash=False)
        return shared

    def submit(self, task: Callable[..., T], *args: Any) -> _Remote[T]:
        return _Remote(self, self._connect().submit(task, *args, pure=False))

    def wait(self, future: Any) -> Any:
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        alone_since: float | None = None
        while True:
            try:
                return future.result(timeout=POLL)
            except TimeoutError:
                if self._workers():
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                elif time.monotonic() - alone_since > LOST_AFTER:
                    future.cancel()
                    raise self._no_worker(f"for {LOST_AFTER:.0f} s") from None
            except CancelledError as exc:  # the scheduler dropped it: the workers that held its data are gone
                if not self._workers():
                    raise self._no_worker("and the data of the run went with the last one") from exc
                raise ComputeUnavailableError(f"the Dask cluster {self._where} dropped a task of this run ({exc}): "
                                              "train again") from exc
            except KilledWorker as exc:
                raise ComputeUnavailableError(f"a task took down several workers of the Dask cluster "
                                              f"{self._where}: {exc}") from exc
            except OSError as exc:  # the scheduler went away
                raise ComputeUnavailableError(f"lost the Dask scheduler {self._where}: {exc}") from exc

    def _no_worker(self, how: str) -> ComputeUnavailableError:
        return ComputeUnavailableError(f"the Dask cluster {self._where} has no worker left ({how}): "
                                       "start workers (`dask worker ADDRESS`) and train again")

    def close(self) -> None:
        for part in (self._client, self._cluster):
            if part is not None:
                part.close()
        self._client = self._cluster = None
