"""Overview: counts, the best model, the average training time, and the registry with its champion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import panel as pn
import param

from application.dashboard import DescribeRegistry, RegistryEntry, overview
from application.serving import best_champion
from domain.errors import DomainError
from entrypoints.dashboard.common import alert, fmt, shown, table
from entrypoints.dashboard.figures import bars
from entrypoints.dashboard.session import RunsPage


class OverviewPage(RunsPage):
    title, slug = "Overview", "overview"

    def __init__(self, registry: Callable[[], DescribeRegistry], **params: Any) -> None:
        self._registry = registry
        super().__init__(**params)

    @param.depends("active", "session.snapshot", "session.experiment")
    @shown
    def content(self) -> list[Any]:
        try:
            items = self._portfolio()
        except DomainError as exc:
            items = [alert(str(exc))]
        return [*items, pn.pane.Markdown("### Model registry"), *self._registry_items()]

    def _portfolio(self) -> list[Any]:
        report = self.session.report("mape")
        facts = overview(report)
        best = facts.best
        counts = (("Models", facts.models), ("Datasets", facts.datasets), ("Runs", facts.runs))
        items: list[Any] = [
            pn.Row(
                *(
                    pn.indicators.Number(
                        name=label,
                        value=value,
                        format="{value:,}",
                        font_size="28pt",
                        title_size="12pt",
                        css_classes=[f"count-{label.lower()}"],
                    )
                    for label, value in counts
                )
            ),
            pn.pane.Markdown(
                (
                    f"**Best model:** {best.model} on {best.dataset}, {report.leaderboard.rank_on} "
                    f"{report.leaderboard.rank_by.upper()} "
                    f"{fmt(best.value)}"
                    if best
                    else "**Best model:** none ranked"
                )
                + f"  \n**Average training time:** {fmt(facts.mean_training_time, 3)} s",
                css_classes=["overview-best"],
            ),
        ]
        several = facts.datasets > 1
        board = pd.DataFrame([(f"{r.model} ({r.dataset})" if several else r.model, r.value)
                              for r in report.leaderboard.rankings], columns=["model", "mape"])
        if not board.empty:
            title = f"{report.leaderboard.rank_on.capitalize()} MAPE per model, % (lower is better)"
            items += self.later(lambda: bars(board, "model", "mape", title))
        return items

    def _registry_items(self) -> list[Any]:
        try:
            entries = self._registry()()
        except DomainError as exc:
            return [alert(f"registry: {exc}")]
        if not entries:
            return [alert("no registered models yet; `ml-portfolio train` registers them", "info")]
        return [pn.pane.Markdown(_champion_line(entries), css_classes=["overview-registry"]), table(pd.DataFrame(
            [(e.name, e.newest_version, ", ".join(f"{a}: v{v}" for a, v in sorted(e.aliases.items())) or "-",
              e.champion_metrics.get("overall_mape"), e.champion_metrics.get("test_mape")) for e in entries],
            columns=["model", "newest version", "aliases", "champion overall_mape", "champion test_mape"]))]


def _champion_line(entries: list[RegistryEntry]) -> str:
    best = best_champion((e.name, e.champion_metrics) for e in entries if e.champion)
    if best:
        entry = next(e for e in entries if e.name == best)
        metrics = entry.champion_metrics
        line = (f"**Champion:** {best} version {entry.champion} (overall MAPE {fmt(metrics.get('overall_mape'))}, "
                f"test MAPE {fmt(metrics.get('test_mape'))})")
    else:
        line = "**Champion:** none; `ml-portfolio promote NAME --version V --alias champion` sets one"
    return f"{line}  \n**Registered versions:** {sum(e.newest_version for e in entries)} over {len(entries)} models"
