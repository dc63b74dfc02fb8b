"""What one browser session shares across its pages: the run source, the experiment, the
primary metric, and the runs read from the source (once per source switch or Reload)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import panel as pn
import param

from application.benchmark import RankRuns
from application.dashboard import RunSnapshot
from application.ports import RunSource
from domain.benchmarks import BenchmarkReport, BenchmarkRequest
from domain.errors import DomainError
from domain.leaderboard import RANKABLE_METRICS, RunFilter
from entrypoints.dashboard.common import ALL, Page

SOURCES = {"MLflow live": "mlflow", "Benchmark JSON": "json", "DuckDB warehouse": "duckdb"}
READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="run-source")  # reads ahead of the browser


class Session(param.Parameterized):
    source = param.Selector(objects=SOURCES, default="mlflow", doc="where runs are read")
    experiment = param.Selector(objects=[ALL], default=ALL, doc="the experiment the pages show")
    metric = param.Selector(objects=list(RANKABLE_METRICS), default="mape", doc="the primary metric")
    reload = param.Event(doc="read the source again")
    snapshot = param.Parameter(default=None, doc="the runs read (a RunSnapshot), None when unreadable")
    error = param.String(default="", doc="why the source could not be read")
    status = param.String(default="read when a page needs it")

    def __init__(
        self, sources: Callable[[str], RunSource], ranker: Callable[[RunSource], RankRuns], **params: Any
    ) -> None:
        super().__init__(**params)
        self._sources, self._ranker = sources, ranker
        self._read = False
        self._ahead: tuple[str, Future[RunSnapshot]] | None = None

    def read_ahead(self) -> None:
        """Start reading the source on a worker thread while the browser is still loading the page,
        so the first page over the runs does not wait for the read after the browser connects."""
        if not self._read and self._ahead is None:
            source = self.source
            self._ahead = source, READERS.submit(lambda: RunSnapshot(self._sources(source)))

    @param.depends("source", "reload", watch=True)
    def read(self) -> None:
        """Read the selected source into a snapshot (now, not when a page first needs it); a read
        started ahead of the same source is its first read."""
        ahead, self._ahead = self._ahead, None
        try:
            snapshot: RunSnapshot | None = (ahead[1].result() if ahead and ahead[0] == self.source and not self._read
                                            else RunSnapshot(self._sources(self.source)))
            error = ""
        except DomainError as exc:
            snapshot, error = None, str(exc)
        self._read = True
        names = sorted(e.name for e in snapshot.experiments()) if snapshot else []
        self.param.experiment.objects = [ALL, *names]
        if snapshot:
            status = (f"**{snapshot.describe()}**  \nread {snapshot.read_at:%Y-%m-%d %H:%M:%S} UTC "
                      f"in {snapshot.read_seconds:.2f} s, {len(self.runs(snapshot)):,} finished runs")
        else:
            status = f"**{self.source}**: not readable"
        self.param.update(snapshot=snapshot, error=error, status=status,
                          experiment=self.experiment if self.experiment in names else ALL)

    def ensure_read(self) -> None:
        """The source is read when a page first needs it, so the other pages never wait for it."""
        if not self._read:
            self.read()

    @staticmethod
    def runs(snapshot: RunSnapshot | None) -> list[Any]:
        return list(snapshot.runs([e.experiment_id for e in snapshot.experiments()])) if snapshot else []

    def report(self, rank_by: str | None = None, **filters: Any) -> BenchmarkReport:
        """RankRuns over the snapshot, for the chosen experiment and the given filters."""
        self.ensure_read()
        if self.snapshot is None:
            raise DomainError(self.error)
        experiments = () if self.experiment == ALL else (self.experiment,)
        request = BenchmarkRequest(
            experiments=experiments, run_filter=RunFilter(**filters), rank_by=rank_by or self.metric
        )
        return self._ranker(self.snapshot)(request)

    def sidebar(self) -> list[Any]:
        return [
            pn.pane.Markdown("### Runs"),
            pn.widgets.RadioButtonGroup.from_param(self.param.source, name="Source", orientation="vertical",
                                                   button_type="primary", button_style="outline",
                                                   sizing_mode="stretch_width"),
            pn.widgets.Select.from_param(self.param.experiment, name="Experiment", sizing_mode="stretch_width"),
            pn.widgets.Button.from_param(self.param.reload, name="Reload", button_type="default",
                                         sizing_mode="stretch_width"),
            pn.pane.Markdown(self.param.status, css_classes=["source-status"], sizing_mode="stretch_width"),
        ]


class RunsPage(Page):
    """A page over the session's runs: the source is read before the page is first shown."""

    session = param.ClassSelector(class_=Session)

    def prepare(self) -> None:
        self.session.ensure_read()
