"""A browser session reads its run source once: ahead of the browser when its first page needs runs,
then never again for another page, only when Reload (or another source) asks."""

from __future__ import annotations

from adapters.memory.runs import InMemoryRunRepository
from application.benchmark import RankRuns
from entrypoints.dashboard.session import Session
from tests.support import RunSpec, domain_objects

SPECS = [RunSpec("a", "exp", {"test_mape": 3.0}, {}, {"model_type": "lightgbm", "dataset": "walmart"}),
         RunSpec("b", "exp", {"test_mape": 4.0}, {}, {"model_type": "xgboost", "dataset": "walmart"})]


def test_a_session_reads_its_source_once_for_every_page_and_again_on_reload():
    reads: list[str] = []

    def sources(name: str) -> InMemoryRunRepository:
        reads.append(name)
        return InMemoryRunRepository(*domain_objects(SPECS))

    session = Session(sources=sources, ranker=RankRuns, source="duckdb")
    session.read_ahead()
    for _ in range(3):  # three pages over the runs, shown in turn
        session.ensure_read()
        assert [r.model for r in session.report().leaderboard.rankings] == ["lightgbm", "xgboost"]
    assert reads == ["duckdb"]
    session.param.trigger("reload")
    assert reads == ["duckdb", "duckdb"]
    session.source = "json"
    assert reads == ["duckdb", "duckdb", "json"]
