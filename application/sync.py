"""SyncWarehouse: copy new and changed runs from the tracking store into the warehouse."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Progress, RunFeed, RunWarehouse


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReport:
    origin: str
    run_ids: tuple[str, ...]  # every run read and saved
    watermark_ms: int | None
    full: bool  # True when there was no watermark: every run was read

    @property
    def fetched(self) -> int:
        return len(self.run_ids)


class SyncWarehouse:
    """Rules: the first sync reads every run; later ones read only runs started or ended since
    the watermark, plus the runs that were still unfinished; per-series errors are copied for
    runs that recorded them; everything fetched is saved in one transaction, so a sync that
    fails midway (tracking store down) leaves the warehouse exactly as it was.
    """

    def __init__(self, feed: RunFeed, warehouse: RunWarehouse) -> None:
        self._feed, self._warehouse = feed, warehouse

    def __call__(self, progress: Progress = lambda message: None) -> SyncReport:
        origin = self._feed.describe()
        watermark = self._warehouse.watermark(origin)
        progress(f"reading {'all runs' if watermark is None else 'runs changed since the last sync'} from {origin}")
        experiments = self._feed.experiments()
        runs = list(self._feed.changed_since(watermark, self._warehouse.unfinished_run_ids(origin)))
        recorded = [run for run in runs if run.errors_artifact]
        if recorded:
            progress(f"reading per-series errors of {len(recorded)} run(s)")
        errors = self._feed.series_errors([run.run_id for run in recorded])
        times = [int(t.timestamp() * 1000) for run in runs for t in (run.start_time, run.end_time) if t is not None]
        new_watermark = max(times + ([watermark] if watermark is not None else []), default=watermark)
        self._warehouse.save(origin, experiments, runs, errors, new_watermark)
        progress(f"saved {len(runs)} run(s)")
        return SyncReport(
            origin=origin, run_ids=tuple(r.run_id for r in runs), watermark_ms=new_watermark, full=watermark is None
        )
