"""Real servers for the scale-out tests, all on 127.0.0.1: PostgreSQL (Debian's postgresql), an
`mlflow server` keeping its runs in it, and a Dask scheduler with its workers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import BIN, free_port, running

PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None) \
    if Path("/usr/lib/postgresql").is_dir() else None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user."""
    if os.geteuid() != 0:
        return command
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]


@contextmanager
def postgres():
    """A PostgreSQL cluster of its own, listening on 127.0.0.1; yields its URI of database mlflow.

    Its folder is a temporary one of its own, not pytest's: as root the cluster runs as the `postgres`
    user, who cannot enter pytest's folders (mode 700, root's)."""
    assert PG_BIN is not None, "PostgreSQL is not installed (Debian package postgresql; .ci/run installs it)"
    folder = Path(tempfile.mkdtemp(prefix="ml-portfolio-postgres-"))
    data, sockets = folder / "pgdata", folder / "pgsockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    try:
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "portfolio"]),
                       check=True, capture_output=True)
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "postgres.log"), "-w",
                 "start"]
        subprocess.run(_as_postgres(start), check=True, capture_output=True)
        try:
            subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "portfolio",
                            "mlflow"], check=True, capture_output=True)
            yield f"postgresql://portfolio@127.0.0.1:{port}/mlflow"
        finally:
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def mlflow_on(database: str, folder: Path):
    """`mlflow server` over a database, serving its artifacts from `folder`; yields its http URI."""
    port = free_port()
    command = [str(BIN / "mlflow"), "server", "--backend-store-uri", database, "--artifacts-destination",
               str(folder / "artifacts"), "--serve-artifacts", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1"]
    with running(command, f"http://127.0.0.1:{port}/health", folder):
        yield f"http://127.0.0.1:{port}"


class DaskCluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1; workers can be killed and added."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def _start(self, command: list[str], name: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_WAIT_POLICY": "PASSIVE"}
        return subprocess.Popen(command, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start(self, workers: int = 2) -> DaskCluster:
        self.scheduler = self._start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--no-dashboard"], "scheduler")
        for _ in range(workers):
            self.add_worker()
        self.wait_for(workers)
        return self

    def add_worker(self) -> subprocess.Popen:
        number = len(self.workers) + 1
        worker = self._start([str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-dashboard",
                              "--name", f"worker-{number}", "--local-directory", str(self.folder / f"w{number}")],
                             f"worker-{number}")
        self.workers.append(worker)
        return worker

    def count(self) -> int:
        from distributed import Client

        with Client(self.address, timeout="10s") as client:
            return len(client.scheduler_info(n_workers=-1)["workers"])

    def wait_for(self, workers: int, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.count() == workers:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the Dask cluster did not reach {workers} workers within {seconds} s")

    def kill(self, worker: subprocess.Popen) -> None:
        """SIGKILL to the worker and the process it runs tasks in: a machine that went away."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
