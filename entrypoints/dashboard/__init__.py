"""The Panel dashboard: one `Dashboard` per browser session, built from the shared container.

Pages (one module each): Overview, Model comparison, Forecasts, Monitoring, Predictions explorer,
Benchmark results. The session object (session.py) holds what the pages share: the run source (MLflow
live, the benchmark JSON, the DuckDB warehouse), the experiment, the primary metric and the
runs read, once per source switch or Reload, into a RunSnapshot that the pages re-rank through
the same RankRuns use case the benchmark command runs. A failure to read one source is shown
where its data would be; the other pages keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import panel as pn

from domain.errors import masked
from entrypoints.container import Container

UPLOAD_BYTES = 256 * 1024 * 1024


def create_dashboard(container: Container) -> Callable[[], pn.template.BaseTemplate]:
    """The session factory: one container (and model cache) for the server, one Dashboard per session."""
    from entrypoints.dashboard.app import Dashboard

    def session() -> pn.template.BaseTemplate:
        return Dashboard(container, container.settings().source).template

    return session


def serve(container: Container, host: str, port: int) -> None:
    settings = container.settings()
    pn.extension("tabulator", notifications=False)
    origins = ["*"] if host in ("0.0.0.0", "::") else [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    print(
        f"dashboard on http://{host}:{port} reading {settings.source} (tracking store {masked(settings.tracking_uri)})",
        file=sys.stderr,
        flush=True,
    )
    # An upload travels over the session's websocket: room for the largest CSV the explorer takes
    # (1,000,000 rows is about 31 MB), where Bokeh's 20 MB default closed the session.
    pn.serve(create_dashboard(container), address=host, port=port, websocket_origin=origins, show=False,
             title="ml-portfolio", verbose=False, websocket_max_message_size=UPLOAD_BYTES)
