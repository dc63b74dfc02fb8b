"""MlflowRunRepository: the run source (and sync feed) over the MLflow tracking API.

It goes through the MLflow client, never the store's files, so a local SQLite store and a
remote `mlflow server` behave the same.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Run as MlflowRun
from mlflow.entities import ViewType

from adapters.mlflow.errors import tracking_errors
from domain.errors import masked
from domain.forecasts import series_id
from domain.runs import LEGACY_ERRORS_TAG, SERIES_ERRORS_TAG, Experiment, Run, SeriesErrors, from_epoch_ms

PAGE = 50_000  # the largest page MLflow stores accept
# Overlap of successive syncs: a run committed while the last sync was reading, with a start
# time just under the watermark, is still picked up; the few runs in the overlap are re-read.
SYNC_OVERLAP_MS = 2_000


def to_run(found: MlflowRun) -> Run:
    info, data = found.info, found.data
    return Run(
        run_id=info.run_id, experiment_id=info.experiment_id, name=info.run_name or "",
        status=info.status, start_time=from_epoch_ms(info.start_time), end_time=from_epoch_ms(info.end_time),
        metrics=data.metrics, params=data.params,
        tags={k: v for k, v in data.tags.items() if not k.startswith("mlflow.")},
    )


class MlflowRunRepository:
    def __init__(self, tracking_uri: str) -> None:
        self._uri = tracking_uri
        self._client = MlflowClient(tracking_uri, tracking_uri)

    def describe(self) -> str:
        return f"mlflow {masked(self._uri)}"

    def experiments(self) -> list[Experiment]:
        with tracking_errors(self._uri, "listing experiments"):
            found = self._client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=PAGE)
        return [Experiment(experiment_id=e.experiment_id, name=e.name) for e in found]

    def _search(self, experiment_ids: Sequence[str], filter_string: str) -> Iterator[Run]:
        token = None
        while True:
            with tracking_errors(self._uri, "searching runs"):
                page = self._client.search_runs(
                    list(experiment_ids), filter_string=filter_string, run_view_type=ViewType.ACTIVE_ONLY,
                    max_results=PAGE, page_token=token,
                )
            yield from (to_run(found) for found in page)
            token = page.token
            if not token:
                return

    def runs(
        self, experiment_ids: Sequence[str], include_unfinished: bool = False, summary: bool = False
    ) -> Iterator[Run]:
        # Only the status filter goes into filter_string: a run's model and dataset may come
        # from tags, params or its name, a fallback order that one filter_string cannot express.
        if not experiment_ids:
            return iter(())
        return self._search(experiment_ids, "" if include_unfinished else "attributes.status = 'FINISHED'")

    def changed_since(self, watermark_ms: int | None, also: Sequence[str]) -> Iterator[Run]:
        ids = [e.experiment_id for e in self.experiments()]
        if not ids:
            return
        if watermark_ms is None:
            yield from self._search(ids, "")
            return
        since = watermark_ms - SYNC_OVERLAP_MS
        seen: set[str] = set()
        for query in (f"attributes.start_time > {since}", f"attributes.end_time > {since}"):
            for run in self._search(ids, query):
                if run.run_id not in seen:
                    seen.add(run.run_id)
                    yield run
        pending = [run_id for run_id in also if run_id not in seen]
        for start in range(0, len(pending), 500):
            quoted = ", ".join(f"'{run_id}'" for run_id in pending[start : start + 500])
            yield from self._search(ids, f"attributes.run_id IN ({quoted})")

    def series_errors(self, run_ids: Sequence[str]) -> dict[str, SeriesErrors]:
        found = {}
        for run_id in run_ids:
            with tracking_errors(self._uri, f"reading run {run_id}"):
                tags = self._client.get_run(run_id).data.tags
                path = tags.get(SERIES_ERRORS_TAG) or tags.get(LEGACY_ERRORS_TAG)
                if not path:
                    continue
                with tempfile.TemporaryDirectory() as folder:
                    text = Path(self._client.download_artifacts(run_id, path, folder)).read_text()
            found[run_id] = parse_series_errors(text)
        return found


def parse_series_errors(text: str) -> SeriesErrors:
    """The test-window rows of a per-series error table, as series id -> metric -> value; a table of
    an earlier version names the series store_id."""
    errors: dict[str, dict[str, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("window", "test") != "test":
            continue
        series = series_id(row.pop("series_id", None) or row.pop("store_id", ""))
        row.pop("window", None)
        errors[series] = {k: float(v) for k, v in row.items() if v not in ("", None)}
    return errors
