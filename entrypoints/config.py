"""Settings from flags and environment; MLflow's own MLFLOW_TRACKING_URI is honoured."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEFAULT_WAREHOUSE = "results/warehouse.duckdb"
DEFAULT_ACTUALS = "actuals.duckdb"  # beside the default MLflow store, in the working directory
DEFAULT_OUTPUT_DIR = "results/benchmarks"
SOURCES = ("mlflow", "duckdb", "json")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    tracking_uri: str
    warehouse: str = DEFAULT_WAREHOUSE
    source: str = "mlflow"
    results_json: str = str(Path(DEFAULT_OUTPUT_DIR) / "mlflow_benchmark_results.json")
    api_token: str | None = None  # promotion over HTTP is refused unless this is set
    threads: int | None = None  # threads a model fit may use; None: the trainer's default_threads per table
    scheduler: str | None = None  # a Dask scheduler's address: fits run on its cluster
    jobs: int | None = None  # fits run on a local Dask cluster of this many worker processes
    distributed_fit: bool = False  # lightgbm and xgboost train with lightgbm.dask / xgboost.dask on the cluster
    design_rows: int | None = None  # candidate rows past which a design is a sample; None: the trainer's default
    actuals: str = DEFAULT_ACTUALS  # the actuals store: a DuckDB file, or a postgresql:// URI

    @classmethod
    def from_env(cls, tracking_uri: str | None = None, warehouse: str | None = None, source: str | None = None,
                 results_json: str | None = None, threads: int | None = None, scheduler: str | None = None,
                 jobs: int | None = None, distributed_fit: bool = False, design_rows: int | None = None,
                 actuals: str | None = None) -> Settings:
        scheduler = scheduler or (None if jobs else os.environ.get("DASK_SCHEDULER_ADDRESS") or None)
        return cls(
            threads=threads, scheduler=scheduler, jobs=jobs, distributed_fit=distributed_fit, design_rows=design_rows,
            tracking_uri=tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI,
            warehouse=warehouse or os.environ.get("ML_PORTFOLIO_WAREHOUSE") or DEFAULT_WAREHOUSE,
            source=source or os.environ.get("ML_PORTFOLIO_SOURCE") or "mlflow",
            results_json=results_json or str(Path(DEFAULT_OUTPUT_DIR) / "mlflow_benchmark_results.json"),
            api_token=os.environ.get("ML_PORTFOLIO_API_TOKEN") or None,
            actuals=actuals or os.environ.get("ML_PORTFOLIO_ACTUALS") or DEFAULT_ACTUALS,
        )


    @property
    def actuals_kind(self) -> str:
        """Which database holds the actuals: `postgresql` for a postgresql:// URI, else `duckdb` (a file)."""
        return "postgresql" if self.actuals.startswith(("postgresql://", "postgres://")) else "duckdb"

    @property
    def compute(self) -> str:
        """Where fits run: `dask` (a cluster by address, or a local one of `jobs` processes) or `inprocess`."""
        return "dask" if self.scheduler or self.jobs else "inprocess"


def calm_threads() -> None:
    """OpenMP threads (LightGBM, XGBoost, CatBoost) sleep while they wait instead of spinning, so a
    fit on a machine where other work holds a core slows by that core, not by a lost time slice
    per spin. Read when the OpenMP runtime starts, so before any model library is imported."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def quiet_libraries() -> None:
    """Keep the CLI's output ours: libraries speak only when something is wrong."""
    # An unreachable server should fail in seconds, not after MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    # Read by MLflow when it is imported: its INFO/WARNING chatter (input-example validation,
    # the generic cloudpickle caution) is not for our users; failures reach them as errors.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module="mlflow")
    warnings.filterwarnings("ignore", category=UserWarning, module="mlflow")
